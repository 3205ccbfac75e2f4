"""The grader's fixture notebooks are graded by tests/test_grading*.py, not collected as notebook tests."""
collect_ignore_glob = ["notebooks/*.ipynb"]
