"""Grading end to end: a class of bad submissions of a small fixture lab, and lab 01 for real.

The fixture (tests/grading/notebooks/91_grading_fixture.ipynb) has three exercises (1, 1 and
2 points), hidden checks in 91.2, and cells that write to stderr. Each student below breaks
the notebook in one of the ways students (and nbgrader's users) do; each gets the score and
status it should, and none stops the grader or changes another's result.
"""
import copy
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from labs.__main__ import main
from labs.grading.exercises import meta, read_notebook, write_notebook
from labs.grading.grade import grade, grade_submission, students
from labs.grading.graft import graft
from labs.grading.release import STUDENT_TEST_COMMAND, release, student_notebook
from labs.grading.reports import merge, write_reports

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "grading"
NAME = "91_grading_fixture.ipynb"
INSTRUCTOR = read_notebook(FIXTURES / "notebooks" / NAME)
RELEASED = student_notebook(INSTRUCTOR, NAME)


def _answer(notebook, exercise, text):
    cell = next(c for c in notebook["cells"] if meta(c).get("exercise") == exercise and meta(c)["role"] == "solution")
    cell["source"] = text.splitlines(keepends=True)
    return cell


def _solved(**answers):
    """The released copy with the instructor's answers, then the given ones (exercise "91_1" -> source)."""
    notebook = copy.deepcopy(RELEASED)
    for cell, original in zip(notebook["cells"], INSTRUCTOR["cells"]):
        if meta(cell).get("role") == "solution":
            cell["source"] = [line for line in original["source"] if "### " not in line]
    for exercise, text in answers.items():
        _answer(notebook, exercise.replace("_", "."), text)
    return notebook


def _delete(notebook, exercise):
    notebook["cells"] = [c for c in notebook["cells"]
                         if not (meta(c).get("exercise") == exercise and meta(c)["role"] == "solution")]
    return notebook


def _duplicate(notebook, exercise):
    index = next(i for i, c in enumerate(notebook["cells"]) if meta(c).get("exercise") == exercise
                 and meta(c)["role"] == "solution")
    notebook["cells"].insert(index + 1, copy.deepcopy(notebook["cells"][index]))
    return notebook


def _new_ids(notebook, strip_metadata=False):
    for number, cell in enumerate(notebook["cells"]):
        cell["id"] = f"resaved-{number:03d}"
        if strip_metadata:
            cell["metadata"] = {}
    return notebook


def _tampered_nbval():
    notebook = _solved(**{"91_1": "# NBVAL_SKIP\nanswer = 41"})
    _answer(notebook, "91.1", "# NBVAL_SKIP\nanswer = 41")["metadata"]["tags"] = ["raises-exception"]
    check = next(c for c in notebook["cells"] if meta(c).get("exercise") == "91.1" and meta(c)["role"] == "check")
    check["source"] = ["# NBVAL_SKIP\n", "pass"]
    check["metadata"]["tags"] = ["raises-exception"]
    return notebook


HIDE_TRACEBACKS = "get_ipython().showtraceback = lambda *args, **kwargs: None\nanswer = 41"
# Several bad inputs share a submission where they touch different exercises (each run costs
# a kernel). (student folder, notebook / raw text / None, points per exercise, status start)
CLASS = [
    ("Zoë Ünal", _new_ids(_solved()), [1, 1, 2], "ok"),  # non-ASCII folder, cell ids changed on re-saving
    ("released, unanswered", RELEASED, [0, 0, 0], "ok"),
    ("missing notebook", None, [0, 0, 0], "missing notebook"),
    ("invalid json", '{"cells": [', [0, 0, 0], "invalid notebook: JSONDecodeError"),
    ("cells of the wrong shape", '{"cells": [{"cell_type": "code", "source": 3}]}', [0, 0, 0], "invalid notebook"),
    ("another lab", "LAB01", [0, 0, 0], "wrong notebook: it holds lab 01's exercises"),
    # 91.1 deleted, 91.2 emptied, 91.3 duplicated
    ("cell surgery", _duplicate(_delete(_solved(**{"91_2": ""}), "91.1"), "91.3"), [0, 0, 2],
     "solution cell missing: 91.1"),
    ("no metadata", _new_ids(_solved(), strip_metadata=True), [1, 1, 2], "ok"),  # matched by position
    ("nbval markers", _tampered_nbval(), [0, 1, 2], "ok"),
    ("hidden tracebacks", _solved(**{"91_1": HIDE_TRACEBACKS, "91_3": "words = []\ncount = 5"}), [0, 1, 0], "ok"),
    ("patched check", _solved(**{"91_1": "check_equal = lambda *args, **kwargs: None\nanswer = 41"}), [1, 1, 2], "ok"),
    # 91.1 calls sys.exit(), 91.2 fails only the hidden check, 91.3 prints 5 MB and is right
    ("exit, hidden, megabytes", _solved(**{"91_1": "import sys\nsys.exit()",
                                           "91_2": "def double(x):\n    return abs(2 * x)",
                                           "91_3": 'print("x" * 5_000_000)\nwords = "to be or not".split()\n'
                                                   'count = 4'}), [0, 0, 2], "ok"),
    ("kernel killed", _solved(**{"91_2": "import os\nos._exit(1)"}), [1, 0, 0], "kernel died"),
]


def _write_class(folder, roster):
    lab01 = student_notebook(read_notebook(ROOT / "notebooks" / "01_convolution_arithmetic.ipynb"),
                             "01_convolution_arithmetic.ipynb")
    for student, notebook, _, _ in roster:
        (folder / student).mkdir(parents=True)
        path = folder / student / NAME
        if isinstance(notebook, dict):
            write_notebook(notebook, path)
        elif notebook == "LAB01":
            write_notebook(lab01, path)
        elif notebook is not None:
            path.write_text(notebook)
    return folder


LOOP = _solved(**{"91_2": "import time\ndef double(x):\n    while True:\n        time.sleep(0.05)\ndouble(1)"})


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    folder = _write_class(tmp_path_factory.mktemp("submissions"), CLASS)
    looping = tmp_path_factory.mktemp("looping") / NAME
    write_notebook(LOOP, looping)
    with ThreadPoolExecutor(1) as pool:  # the never-ending notebook waits out its limit beside the class
        loop = pool.submit(grade_submission, "looping", FIXTURES / "notebooks" / NAME, looping, timeout=20)
        graded = grade(folder, workers=2, timeout=120, root=FIXTURES)
        out = write_reports(graded, tmp_path_factory.mktemp("report"))
        return graded, out, loop.result()


@pytest.mark.parametrize("student, expected, status", [(s, p, st) for s, _, p, st in CLASS], ids=[c[0] for c in CLASS])
def test_each_submission_scores_what_it_should(graded_class, student, expected, status):
    result = next(r for r in graded_class[0]["results"] if r["student"] == student)
    assert [row["points"] for row in result["exercises"]] == expected, result
    assert result["status"].startswith(status), result["status"]


def test_flags_name_the_code_that_touches_the_checks(graded_class):
    flags = {r["student"]: r["flags"] for r in graded_class[0]["results"]}
    assert flags["hidden tracebacks"] == ["91.1: touches get_ipython", "91.1: touches showtraceback"]
    assert flags["patched check"] == ["91.1: touches check_equal"]
    assert not flags["Zoë Ünal"] and not flags["nbval markers"]


def test_messages_say_what_failed(graded_class):
    rows = {r["student"]: r["exercises"] for r in graded_class[0]["results"]}
    assert "double(-1)" in rows["exit, hidden, megabytes"][1]["message"]  # the hidden check's own message
    assert "SystemExit" in rows["exit, hidden, megabytes"][0]["message"]
    assert [r["outcome"] for r in rows["cell surgery"]] == ["error", "error", "passed"]
    assert rows["cell surgery"][0]["message"] == "no solution cell found (deleted?)"
    assert rows["hidden tracebacks"][0]["message"].startswith("AssertionError: answer: got 41, expected 42")
    assert [r["outcome"] for r in rows["released, unanswered"]] == ["unanswered"] * 3
    assert "NotImplementedError" in rows["released, unanswered"][0]["message"]
    assert rows["kernel killed"][2]["outcome"] == "kernel died"


def test_reports_add_up(graded_class):
    _, out, _ = graded_class
    with open(out / "grades.csv", encoding="utf-8") as stream:
        grades = list(csv.reader(stream))
    with open(out / "exercises.csv", encoding="utf-8") as stream:
        long = list(csv.DictReader(stream))
    assert grades[0][:5] == ["student", "91.1", "91.2", "91.3", "total"]
    assert grades[1][:6] == ["points", "1", "1", "2", "4", "100"]
    for row in grades[2:]:
        total = sum(float(r["points"]) for r in long if r["student"] == row[0])
        assert float(row[4]) == total and float(row[5]) == pytest.approx(100 * total / 4, abs=0.05)
    assert len(grades) == 2 + len(CLASS) and len(long) == 3 * len(CLASS)
    assert (out / "pass_rate.png").stat().st_size > 1000 and "pass_rate.png" in (out / "summary.md").read_text()
    assert "91.1: touches showtraceback" in (out / "summary.md").read_text()
    feedback = (out / "feedback" / "exit, hidden, megabytes" / "91_grading_fixture.md").read_text()
    assert "double(-1)" in feedback and "negative numbers too" in feedback  # the hint reaches the student
    assert (out / "junit" / "Zoë Ünal" / "91_grading_fixture.xml").read_text().count("<testcase") == 3


def test_plain_nbval_is_fooled_by_a_replaced_showtraceback(tmp_path):
    notebook = graft(INSTRUCTOR, NAME, _solved(**{"91_1": HIDE_TRACEBACKS})).notebook
    write_notebook(notebook, tmp_path / NAME)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
               "-p", "labs.grading.lean", "--nbval-lax", "--nbval-current-env",
               "-c", str(tmp_path / "pytest.ini"), "-q", NAME]
    plain = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    # the check cell raised, yet nbval saw no error; the guard fails it ("hidden tracebacks" above)
    assert plain.returncode == 0, plain.stdout[-2000:]


def test_an_endless_cell_times_out_and_keeps_what_was_checked_before(graded_class):
    result = graded_class[2]
    assert result["status"] == "timeout (20 s)"
    assert [(row["points"], row["outcome"]) for row in result["exercises"]] == [(1, "passed"), (0, "timeout"),
                                                                               (0, "timeout")]


@pytest.mark.slow
def test_sharded_then_merged_equals_graded_at_once(tmp_path):
    roster = [c for c in CLASS if c[0] in ("Zoë Ünal", "missing notebook", "invalid json", "another lab")]
    folder = _write_class(tmp_path / "submissions", roster)
    at_once = write_reports(grade(folder, root=FIXTURES, timeout=120), tmp_path / "at once")
    assert [s.name for s in students(folder, (2, 3))] == ["another lab"]  # sorted: Z < a
    shards = [write_reports(grade(folder, root=FIXTURES, timeout=120, shard=(k, 2)), tmp_path / f"shard {k}")
              for k in (1, 2)]
    assert main(["merge", str(shards[0]), str(shards[1]), "--out", str(tmp_path / "merged")]) == 0
    merged = tmp_path / "merged"
    for name in ("grades.csv", "exercises.csv", "summary.md", "feedback/Zoë Ünal/91_grading_fixture.md",
                 "feedback/invalid json/91_grading_fixture.md"):
        assert (merged / name).read_text() == (at_once / name).read_text(), name
    with pytest.raises(ValueError, match="in two shards"):
        merge([shards[0], shards[0]], tmp_path / "twice")


def test_the_students_workflow_command_passes_on_a_solved_copy(tmp_path):
    release(tmp_path, root=FIXTURES)
    workflow = (tmp_path / ".github" / "workflows" / "labs.yml").read_text()
    assert f"run: {STUDENT_TEST_COMMAND}" in workflow
    write_notebook(_solved(), tmp_path / "notebooks" / NAME)
    lean = ["-p", "no:hypothesispytest", "-p", "labs.grading.lean"]  # start-up seconds only
    run = subprocess.run(STUDENT_TEST_COMMAND.split() + lean, cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "LABS_PROFILE": "quick"})
    assert run.returncode == 0 and "8 passed" in run.stdout, run.stdout[-2000:]


@pytest.mark.slow
def test_lab01_instructor_copy_scores_full_marks_and_the_released_copy_zero(tmp_path):
    for student, notebook in (("teacher", read_notebook(ROOT / "notebooks" / "01_convolution_arithmetic.ipynb")),
                              ("unanswered", None)):
        (tmp_path / "in" / student).mkdir(parents=True)
        if notebook is not None:
            write_notebook(notebook, tmp_path / "in" / student / "01_convolution_arithmetic.ipynb")
    release(tmp_path / "released", labs=["01"])
    (tmp_path / "released" / "notebooks" / "01_convolution_arithmetic.ipynb").rename(
        tmp_path / "in" / "unanswered" / "01_convolution_arithmetic.ipynb")
    assert main(["grade", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "2"]) == 0
    results = {r["student"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert results["teacher"]["status"] == "ok" and not results["teacher"]["flags"]
    assert [row["outcome"] for row in results["teacher"]["exercises"]] == ["passed"] * 3
    assert [row["points"] for row in results["unanswered"]["exercises"]] == [0, 0, 0]
    assert results["unanswered"]["status"] == "ok" and results["unanswered"]["notes"] == []  # every other cell ran
    grades = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert grades[2].startswith("teacher,1,1,1,3,100,ok") and grades[3].startswith("unanswered,0,0,0,0,0,ok")
