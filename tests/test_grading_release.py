"""Student copies: no solution left, every other cell kept, checks locked, links to the students' repository."""
import copy
import json
from pathlib import Path

import pytest

from labs.__main__ import main
from labs.grading.exercises import MarkerError, exercises, lab_notebooks, meta, read_notebook, source
from labs.grading.release import define_comment, leftover_solution_lines, release, student_notebook, student_source

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "grading"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    dest = tmp_path_factory.mktemp("students")
    assert main(["release", str(dest), "--github", "teacher/cnn-students"]) == 0
    return dest


@pytest.mark.parametrize("path", lab_notebooks(ROOT), ids=lambda p: p.name)
def test_released_copy_has_no_solution_and_keeps_every_other_cell(released, path):
    instructor, student = read_notebook(path), read_notebook(released / "notebooks" / path.name)
    text = json.dumps(student)
    assert "BEGIN SOLUTION" not in text and "HIDDEN CHECKS" not in text
    assert leftover_solution_lines(instructor, student) == []
    assert len(student["cells"]) == len(instructor["cells"])
    solutions = {i for e in exercises(instructor, path.name) for i in e.solution}
    for index, (mine, theirs) in enumerate(zip(instructor["cells"], student["cells"])):
        assert meta(mine) == meta(theirs) and mine.get("id") == theirs.get("id")
        if theirs["cell_type"] == "code":
            assert theirs["outputs"] == [] and theirs["execution_count"] is None
        if index in solutions:
            assert "raise NotImplementedError()" in source(theirs) and "# YOUR CODE HERE" in source(theirs)
        elif meta(mine).get("role") == "check":
            assert theirs["metadata"]["editable"] is False and theirs["metadata"]["deletable"] is False
        elif "colab" not in source(mine):
            assert source(theirs) == source(mine), f"cell {index} changed"
    assert "github/teacher/cnn-students/blob/main/notebooks/" + path.name in source(student["cells"][0])
    assert "git+https://github.com/teacher/cnn-students" in text and "cnn-labs/cnn-labs" not in text


def test_the_release_is_a_repository_students_can_install(released):
    for name in ("README.md", "pyproject.toml", "requirements.txt", "labs/checks.py", ".github/workflows/labs.yml"):
        assert (released / name).is_file(), name
    assert 'github = "teacher/cnn-students"' in (released / "pyproject.toml").read_text()
    assert "pytest notebooks" in (released / ".github" / "workflows" / "labs.yml").read_text()


def test_what_a_region_must_define_is_named():
    text = "### BEGIN SOLUTION\nc3_full_parameters = (5 * 5 * 6 + 1) * 16\nc3_saved = c3_full_parameters - 1_516\n" \
           "### END SOLUTION\nprint(c3_saved)"
    out = student_source(text, "here", ["check(c3_full_parameters, c3_saved)"])
    assert out == "# YOUR CODE HERE\n# define: c3_full_parameters, c3_saved\nraise NotImplementedError()\nprint(c3_saved)"
    indented = "def f(x):\n    ### BEGIN SOLUTION\n    y = x\n    return y\n    ### END SOLUTION"
    assert student_source(indented, "here") == ("def f(x):\n    # YOUR CODE HERE\n    # complete f, returning its "
                                                "result\n    raise NotImplementedError()")
    # only the names the check reads, when it reads some
    assert define_comment("scale = 2\nkernel = 3 * scale", "", ["check(kernel)"]) == "define: kernel"


def test_no_github_path_means_no_colab_button(tmp_path):
    release(tmp_path, root=FIXTURES, workflow=False)
    student = read_notebook(tmp_path / "notebooks" / "91_grading_fixture.ipynb")
    assert "colab.research.google.com" not in source(student["cells"][0])
    assert not (tmp_path / ".github").exists()
    checks = [c for c in student["cells"] if meta(c).get("role") == "check"]
    assert "double(-1)" not in json.dumps(student) and len(checks) == 3


def test_malformed_markers_stop_the_release_and_write_nothing(tmp_path):
    (tmp_path / "notebooks").mkdir()
    notebook = read_notebook(FIXTURES / "notebooks" / "91_grading_fixture.ipynb")
    notebook["cells"][4]["source"] = ["### BEGIN SOLUTION\n", "answer = 42\n"]
    (tmp_path / "notebooks" / "91_grading_fixture.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(MarkerError, match=r"91_grading_fixture.ipynb, cell 4 \(id ex1-solution\).*never closed"):
        release(tmp_path / "out", root=tmp_path)
    assert not (tmp_path / "out").exists()


def test_the_cli_reports_a_malformed_notebook(tmp_path, capsys):
    assert main(["release", str(tmp_path), "--labs", "99"]) == 1
    assert "no notebook for lab(s) 99" in capsys.readouterr().err


def test_a_surviving_solution_line_is_caught():
    notebook = read_notebook(FIXTURES / "notebooks" / "91_grading_fixture.ipynb")
    student = student_notebook(notebook, "91_grading_fixture.ipynb")
    leaky = copy.deepcopy(student)
    leaky["cells"][2]["source"].append("\nanswer = base * 7")
    assert leftover_solution_lines(notebook, leaky) == ["answer = base * 7"]
