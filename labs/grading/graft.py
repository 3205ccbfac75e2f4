"""Graft a student's solution cells into the pristine instructor notebook.

Only what the student was asked to write is taken: the solution cells, matched by exercise id
(``metadata.labs``), else by cell id, else by position (the code cell just before the
exercise's check cell). Every other cell, checks and hidden checks included, comes from the
instructor's copy; nbval markers are stripped from the grafted code, and code that touches
the checking machinery is flagged for the instructor to read.
"""
from __future__ import annotations

import copy
import io
import re
import tokenize
from dataclasses import dataclass, field

from .exercises import exercises, meta, set_source, source
from .release import student_notebook, without_hidden_checks

NBVAL_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION", "NBVAL_SKIP",
                 "PYTEST_VALIDATE_IGNORE_OUTPUT"}
SUSPICIOUS = {"checks", "showtraceback", "_showtraceback", "builtins", "__builtins__", "get_ipython",
              "excepthook", "check_equal", "check_close", "check_at_least", "check_at_most"}


@dataclass
class Graft:
    """The notebook to run and what grafting found."""

    notebook: dict | None
    status: str = "ok"
    matched: dict[str, str] = field(default_factory=dict)  # exercise id -> how its cell was found
    missing: list[str] = field(default_factory=list)        # exercises without a student cell
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def strip_nbval_markers(text: str) -> str:
    """Drop comment lines that steer nbval (``# NBVAL_SKIP``, ``# NBVAL_RAISES_EXCEPTION``, …)."""
    return "\n".join(line for line in text.splitlines()
                     if line.strip().lstrip("#").strip() not in NBVAL_MARKERS or not line.strip().startswith("#"))


def suspicious_names(text: str) -> list[str]:
    """Names in ``text`` that reach into the checking machinery (``sys.modules``, ``showtraceback``, …)."""
    try:
        words = [token.string for token in tokenize.generate_tokens(io.StringIO(text).readline)
                 if token.type == tokenize.NAME]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        words = re.findall(r"[A-Za-z_]\w*", text)
    found = [word for word in words if word in SUSPICIOUS]
    if re.search(r"\bsys\s*\.\s*modules\b", text):
        found.append("sys.modules")
    return sorted(set(found))


def _lab_of(student: dict) -> set[str]:
    return {str(meta(cell).get("exercise", ""))[:2] for cell in student.get("cells", []) if meta(cell)} - {""}


def graft(instructor: dict, name: str, student: dict) -> Graft:
    """The instructor notebook with the student's solution cells in place of the solutions."""
    listed = exercises(instructor, name)
    lab = name[:2]
    if not isinstance(student, dict) or not isinstance(student.get("cells"), list):
        return Graft(None, status="not a notebook (no cell list)", missing=[e.id for e in listed])
    labs_found = _lab_of(student)
    if labs_found and lab not in labs_found:
        return Graft(None, status=f"wrong notebook: it holds lab {', '.join(sorted(labs_found))}'s exercises",
                     missing=[e.id for e in listed])
    template = student_notebook(instructor, name)  # solutions replaced: what a missing answer runs
    grafted = copy.deepcopy(template)
    for index, cell in enumerate(grafted["cells"]):  # hidden checks come back
        if meta(cell).get("role") == "check":
            set_source(cell, source(instructor["cells"][index]))
    cells = [cell for cell in student["cells"] if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    result = Graft(grafted)
    used: set[int] = set()
    public = {source(cell).strip() for cell in template["cells"]
              if cell["cell_type"] == "code" and meta(cell).get("role") != "solution"}

    for exercise in listed:
        by_meta = [i for i, cell in enumerate(cells)
                   if meta(cell).get("exercise") == exercise.id and meta(cell).get("role") == "solution"]
        found, how = [], ""
        if by_meta:
            found, how = by_meta, "exercise id"
        else:
            ids = {instructor["cells"][i].get("id") for i in exercise.solution} - {None}
            by_id = [i for i, cell in enumerate(cells) if cell.get("id") in ids and i not in used and not meta(cell)]
            if by_id:
                found, how = by_id, "cell id"
            else:
                check_text = without_hidden_checks(source(instructor["cells"][exercise.checks[0]]), name).strip()
                anchors = [i for i, cell in enumerate(cells) if source(cell).strip() == check_text]
                if anchors and anchors[0] > 0 and anchors[0] - 1 not in used \
                        and source(cells[anchors[0] - 1]).strip() not in public:
                    found, how = [anchors[0] - 1], "position before the check cell"
        if not found:
            result.missing.append(exercise.id)
            result.notes.append(f"{exercise.id}: no solution cell found (deleted?); it scores 0")
            continue
        used.update(found)
        result.matched[exercise.id] = how
        targets = exercise.solution
        groups = [[i] for i in found[:len(targets) - 1]] + [found[len(targets) - 1:]]
        if len(found) > len(targets):
            result.notes.append(f"{exercise.id}: {len(found)} cells for {len(targets)} solution cell(s) "
                                f"(duplicated?); the extra ones are run after it, in order")
        elif len(found) < len(targets):
            result.notes.append(f"{exercise.id}: {len(found)} of {len(targets)} solution cells found")
        for target, group in zip(targets, groups):
            text = "\n".join(strip_nbval_markers(source(cells[i])) for i in group)
            if not text.strip():
                result.notes.append(f"{exercise.id}: the solution cell is empty")
            set_source(grafted["cells"][target], text)
            for word in suspicious_names(text):
                result.flags.append(f"{exercise.id}: touches {word}")
    if len(result.missing) == len(listed):
        result.status = "no solution cell found"
    return result
