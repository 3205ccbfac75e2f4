"""Exercise metadata: every lab's exercises are consistent; malformed markers are named."""
import ast
import copy
import textwrap
from pathlib import Path

import pytest

from labs.grading.exercises import MarkerError, exercises, lab_notebooks, meta, read_notebook, source
from labs.grading.release import _names_assigned

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = lab_notebooks(ROOT)
FIXTURE = ROOT / "tests" / "grading" / "notebooks" / "91_grading_fixture.ipynb"


@pytest.mark.parametrize("path", [*NOTEBOOKS, FIXTURE], ids=lambda p: p.name)
def test_every_solution_belongs_to_an_exercise_with_a_check_after_it(path):
    notebook = read_notebook(path)
    listed = exercises(notebook, path.name)  # raises MarkerError on any inconsistency
    assert listed, f"{path.name}: no exercise declared in cell metadata"
    assert len({e.id for e in listed}) == len(listed)
    declared = [i for i, c in enumerate(notebook["cells"]) if "### BEGIN SOLUTION" in source(c)]
    assert declared == sorted(i for e in listed for i in e.solution), "a solution region outside a solution cell"
    for exercise in listed:
        assert exercise.points > 0 and exercise.title and exercise.prompt
        assert max(exercise.solution) < min(exercise.checks)


def _fixture():
    return read_notebook(FIXTURE)


def _cell(notebook, exercise, role):
    return next(c for c in notebook["cells"] if meta(c) == {**meta(c), "exercise": exercise, "role": role})


@pytest.mark.parametrize("change, message", [
    (lambda nb: _cell(nb, "91.1", "solution")["source"].pop(), "never closed"),
    (lambda nb: _cell(nb, "91.1", "solution")["source"].insert(1, "### BEGIN SOLUTION\n"), "nested"),
    (lambda nb: nb["cells"][2]["source"].append("\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), "belongs to no exercise"),
    (lambda nb: _cell(nb, "91.1", "solution")["metadata"]["labs"].update(points=0), "points 0"),
    (lambda nb: _cell(nb, "91.3", "check")["metadata"]["labs"].update(exercise="91.1"), "declared again"),
    (lambda nb: _cell(nb, "91.1", "check")["metadata"].pop("labs"), "91.1 has no check cell"),
    (lambda nb: _cell(nb, "91.2", "solution")["metadata"]["labs"].update(exercise="02.2"), "must be"),
])
def test_malformed_exercises_are_named_with_notebook_and_cell(change, message):
    notebook = copy.deepcopy(_fixture())
    change(notebook)
    with pytest.raises(MarkerError, match=message) as error:
        exercises(notebook, FIXTURE.name)
    assert FIXTURE.name in str(error.value)


def test_the_error_names_the_cell():
    notebook = copy.deepcopy(_fixture())
    _cell(notebook, "91.1", "solution")["source"].pop()
    with pytest.raises(MarkerError, match=r"91_grading_fixture.ipynb, cell 4 \(id ex1-solution\)"):
        exercises(notebook, FIXTURE.name)


def _region_names(text):
    region = text.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    if region.strip("\n")[:1].isspace():  # the body of a def: the def itself is the answer
        return set(_names_assigned(ast.parse(text).body))
    return set(_names_assigned(ast.parse(textwrap.dedent(region)).body))


def _outside_names(text):
    kept = []
    inside = False
    for line in text.splitlines():
        if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
            inside = not inside
            kept.append(line[:len(line) - len(line.lstrip())] + "pass")
        elif not inside:
            kept.append(line)
    try:
        tree = ast.parse("\n".join(kept))
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)} | \
        set(_names_assigned(tree.body))


@pytest.mark.parametrize("path", [*NOTEBOOKS, FIXTURE], ids=lambda p: p.name)
def test_an_unanswered_copy_scores_zero_and_runs_every_other_cell(path):
    # statically, since running every lab's released copy would double the suite's time:
    # each check needs a name that only its answer defines, and no other cell needs such a name
    notebook = read_notebook(path)
    cells = notebook["cells"]
    listed = exercises(notebook, path.name)
    answers = {i for e in listed for i in e.solution}
    only_answers = set()
    for exercise in listed:
        only_answers |= set().union(*(_region_names(source(cells[i])) for i in exercise.solution))
    defined_elsewhere = set()
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":  # a def around an answer raises NotImplementedError when unanswered
            text = source(cell)
            defined_elsewhere |= _outside_names(text) - (_region_names(text) if index in answers else set())
    only_answers -= defined_elsewhere
    for exercise in listed:
        mine = set().union(*(_region_names(source(cells[i])) for i in exercise.solution)) & only_answers
        read = {node.id for i in exercise.checks for node in ast.walk(ast.parse(source(cells[i])))
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        assert mine & read, f"{path.name} {exercise.id}: an unanswered copy could pass the check"
    checks = {i for e in listed for i in e.checks}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code" and index not in answers | checks:
            read = {node.id for node in ast.walk(ast.parse(source(cell))) if isinstance(node, ast.Name)}
            assert not read & only_answers, f"{path.name} cell {index} needs an answer: {read & only_answers}"
