"""Exercises declared in cell metadata, and the solution / hidden-check markers inside cells.

Every cell of a graded exercise carries ``metadata["labs"] = {"exercise": "NN.k", "role": ...}``
with role ``"prompt"`` (markdown), ``"solution"`` (code holding ``### BEGIN SOLUTION`` …
``### END SOLUTION``) or ``"check"`` (code after it). The first solution cell also carries
``"title"`` and ``"points"``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN CHECKS", "### END HIDDEN CHECKS"
ROLES = ("prompt", "solution", "check")
ROOT = Path(__file__).resolve().parents[2]


class MarkerError(ValueError):
    """A malformed exercise: the message names the notebook and the cell."""


@dataclass
class Exercise:
    """One graded exercise: its id, title, points and the indices of its cells in the notebook."""

    id: str
    title: str = ""
    points: float = 1
    prompt: list[int] = field(default_factory=list)
    solution: list[int] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)


def read_notebook(path) -> dict:
    """The notebook at ``path`` as a dict (``json.load``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(notebook: dict, path) -> None:
    """Write in the collection's format (indent 1, UTF-8, final newline)."""
    Path(path).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def source(cell) -> str:
    """A cell's source as one string."""
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def set_source(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def meta(cell) -> dict:
    """The cell's ``labs`` metadata, or ``{}``."""
    value = cell.get("metadata", {}).get("labs", {})
    return value if isinstance(value, dict) else {}


def where(name: str, index: int, cell=None) -> str:
    """``"01_x.ipynb, cell 46 (id ad346d07)"``: how errors name a cell."""
    cell_id = f" (id {cell['id']})" if cell and cell.get("id") else ""
    return f"{name}, cell {index}{cell_id}"


def regions(text: str, begin: str, end: str, place: str) -> list[tuple[int, int]]:
    """``(begin_line, end_line)`` of each ``begin``…``end`` region; unclosed, nested or stray markers raise."""
    found, start = [], None
    for number, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped == begin:
            if start is not None:
                raise MarkerError(f"{place}: nested '{begin}' (line {number + 1}; the region opened on line {start + 1})")
            start = number
        elif stripped == end:
            if start is None:
                raise MarkerError(f"{place}: '{end}' without '{begin}' (line {number + 1})")
            found.append((start, number))
            start = None
    if start is not None:
        raise MarkerError(f"{place}: '{begin}' on line {start + 1} is never closed with '{end}'")
    return found


def exercises(notebook: dict, name: str) -> list[Exercise]:
    """The notebook's exercises in order, validated; a malformed one raises ``MarkerError``."""
    lab = name[:2]
    found: dict[str, Exercise] = {}
    order: list[str] = []
    last_id = None
    for index, cell in enumerate(notebook["cells"]):
        place, text, info = where(name, index, cell), source(cell), meta(cell)
        kind = cell.get("cell_type")
        solution_regions = regions(text, BEGIN_SOLUTION, END_SOLUTION, place) if kind == "code" else []
        hidden_regions = regions(text, BEGIN_HIDDEN, END_HIDDEN, place) if kind == "code" else []
        role, exercise_id = info.get("role"), info.get("exercise")
        if not info:
            if solution_regions or hidden_regions:
                raise MarkerError(f"{place}: solution or hidden-check markers in a cell that belongs to no exercise")
            continue
        if role not in ROLES or not isinstance(exercise_id, str) or not re.fullmatch(rf"{lab}\.\d+", exercise_id):
            raise MarkerError(f"{place}: metadata 'labs' must be {{'exercise': '{lab}.k', 'role': one of {ROLES}}}, "
                              f"got {info!r}")
        if exercise_id not in found:
            found[exercise_id] = Exercise(exercise_id)
            order.append(exercise_id)
        elif exercise_id != last_id:
            raise MarkerError(f"{place}: exercise {exercise_id} is declared again after another exercise (ids must be unique)")
        last_id = exercise_id
        exercise = found[exercise_id]
        if role == "solution":
            if kind != "code" or len(solution_regions) == 0:
                raise MarkerError(f"{place}: a solution cell of {exercise_id} needs a '{BEGIN_SOLUTION}' region")
            if exercise.checks:
                raise MarkerError(f"{place}: solution cell of {exercise_id} after its check cell")
            if "points" in info or "title" in info:
                if exercise.solution:
                    raise MarkerError(f"{place}: title/points go on the first solution cell of {exercise_id} only")
                exercise.title = str(info.get("title", ""))
                exercise.points = info.get("points", 1)
            exercise.solution.append(index)
        elif role == "check":
            if kind != "code" or solution_regions:
                raise MarkerError(f"{place}: a check cell of {exercise_id} must be code without solution markers")
            exercise.checks.append(index)
        else:
            if solution_regions or hidden_regions:
                raise MarkerError(f"{place}: markers in the prompt of {exercise_id}")
            exercise.prompt.append(index)
        if hidden_regions and role != "check":
            raise MarkerError(f"{place}: hidden checks outside a check cell of {exercise_id}")
    for exercise in found.values():
        if not exercise.solution:
            raise MarkerError(f"{name}: exercise {exercise.id} has no solution cell")
        if not exercise.checks:
            raise MarkerError(f"{name}: exercise {exercise.id} has no check cell after its solution")
        points = exercise.points
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
            raise MarkerError(f"{name}: exercise {exercise.id} has points {points!r}; give a positive number")
    return [found[i] for i in order]


def lab_notebooks(root=ROOT, labs=None) -> list[Path]:
    """``notebooks/NN_*.ipynb`` of the repository, optionally only the labs numbered in ``labs``."""
    paths = sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if labs:
        wanted = {f"{int(lab):02d}" for lab in labs}
        unknown = wanted - {path.name[:2] for path in paths}
        if unknown:
            raise ValueError(f"no notebook for lab(s) {', '.join(sorted(unknown))} in {Path(root) / 'notebooks'}")
        paths = [path for path in paths if path.name[:2] in wanted]
    return paths
