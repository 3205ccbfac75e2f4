"""Grade a class: ``SUBMISSIONS/<student>/<NN_*.ipynb>`` → points per exercise.

Each submission is grafted into the instructor's notebook (``graft``) and run by nbval under
pytest in its own process, its own work directory and its own kernel, offline, in the chosen
profile and under one time limit; ``guard`` makes the kernel's reply, not the traceback on
screen, decide whether a cell failed. An exercise scores its points only if all its check
cells pass. Whatever a submission does, the grader records a status and goes on.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .exercises import ROOT, exercises, lab_notebooks, read_notebook, write_notebook
from .graft import graft


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` → ``(2, 5)``: the 2nd of 5 shards."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like K/N (e.g. 2/5), got {text!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return index, count


def students(submissions, shard=(1, 1)) -> list[Path]:
    """The student folders, sorted by name; with ``shard=(k, n)`` every n-th from the k-th."""
    root = Path(submissions)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {root} not found (layout: SUBMISSIONS/<student>/<NN_*.ipynb>)")
    folders = sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
    index, count = shard
    return folders[index - 1::count]


def submitted_file(folder: Path, lab: str) -> Path | None:
    """The student's notebook for ``lab`` (``NN_name.ipynb``): the same name, else the one ``NN_*.ipynb``."""
    exact = folder / lab
    if exact.is_file():
        return exact
    candidates = sorted(folder.glob(f"{lab[:2]}_*.ipynb"))
    return candidates[0] if len(candidates) == 1 else None


def _blank(student: str, lab: str, listed, status: str, notes=()) -> dict:
    return {"student": student, "lab": lab.removesuffix(".ipynb"), "status": status, "flags": [], "notes": list(notes),
            "seconds": 0.0,
            "exercises": [{"exercise": e.id, "title": e.title, "points": 0, "max": e.points, "outcome": "not graded",
                           "message": status} for e in listed]}


def _run(notebook: dict, name: str, profile: str, timeout: float) -> tuple[dict, list[dict], str]:
    """Run ``notebook`` with nbval in a fresh process; return (cell records by code-cell number, extras, status)."""
    folder = Path(tempfile.mkdtemp(prefix="labs-grade-"))
    try:
        (folder / "work").mkdir()
        write_notebook(notebook, folder / name)
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        record = folder / "cells.jsonl"
        env = {**os.environ, "LABS_PROFILE": profile, "LABS_OFFLINE": "1", "LABS_WORK_DIR": str(folder / "work"),
               "LABS_GRADING_RECORD": str(record), "LABS_GRADING_DEADLINE": str(time.time() + timeout),
               "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        command = [sys.executable, "-m", "pytest", "-p", "labs.grading.guard", "-p", "no:cacheprovider",
                   "-p", "no:hypothesispytest", "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={int(timeout) + 1}",
                   "-c", str(folder / "pytest.ini"), "--rootdir", str(folder), "-q", "--tb=no", name]
        status = "ok"
        with open(folder / "pytest.log", "wb") as log:
            process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                process.wait(timeout=timeout + 90)
            except subprocess.TimeoutExpired:
                status = f"timeout ({timeout:g} s)"
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        cells, extras = {}, []
        if record.is_file():
            for line in record.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if "cell" in entry:
                    cells.setdefault(entry["cell"], entry)
                else:
                    extras.append(entry)
        for entry in extras:  # a kernel left behind by a killed run
            if entry.get("kernel_pid"):
                try:
                    os.kill(entry["kernel_pid"], signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if not cells and status == "ok":
            tail = (folder / "pytest.log").read_text(encoding="utf-8", errors="replace")[-300:]
            status = f"the notebook did not run: {tail.strip()}"
        return cells, extras, status
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _outcome(records: list[dict | None], run_status: str) -> tuple[str, str]:
    """(outcome, message) of an exercise from the records of its check cells."""
    for entry in records:
        if entry is None:
            return ("timeout", run_status) if run_status.startswith("timeout") else ("not run", run_status)
        if entry["outcome"] == "passed":
            continue
        message = entry.get("message", "")
        if message.startswith("timeout"):
            return "timeout", message
        if "kernel died" in message or "Kernel dead" in message:
            return "kernel died", message
        return ("failed" if message.startswith("AssertionError") else "error"), message
    return "passed", ""


def grade_submission(student: str, instructor_path: Path, path: Path | None, profile: str = "quick",
                     timeout: float = 600) -> dict:
    """Grade one student's notebook for one lab; never raises for a bad submission."""
    name = instructor_path.name
    instructor = read_notebook(instructor_path)
    listed = exercises(instructor, name)
    if path is None:
        return _blank(student, name, listed, "missing notebook")
    try:
        submitted = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return _blank(student, name, listed, f"invalid notebook: {type(error).__name__}: {str(error)[:120]}")
    start = time.time()
    try:
        grafted = graft(instructor, name, submitted)
    except (AttributeError, KeyError, TypeError, ValueError) as error:  # cells of the wrong shape
        return _blank(student, name, listed, f"invalid notebook: {type(error).__name__}: {str(error)[:120]}")
    if grafted.notebook is None:
        return _blank(student, name, listed, grafted.status, grafted.notes)
    cells, _, status = _run(grafted.notebook, name, profile, timeout)
    number = {}  # notebook cell index -> nbval's code-cell number
    for index, cell in enumerate(grafted.notebook["cells"]):
        if cell["cell_type"] == "code":
            number[index] = len(number)
    if status == "ok":
        messages = [entry.get("message", "") for entry in cells.values()]
        if any(m.startswith("timeout") for m in messages):
            status = f"timeout ({timeout:g} s)"
        elif any("kernel died" in m or "Kernel dead" in m for m in messages):
            status = "kernel died"
    rows = []
    for exercise in listed:
        outcome, message = _outcome([cells.get(number[i]) for i in exercise.checks], status)
        if exercise.id in grafted.missing and outcome != "passed":
            message = "no solution cell found (deleted?)"
        solution = [cells.get(number[i]) for i in exercise.solution]
        failed = [entry["message"] for entry in solution if entry and entry["outcome"] == "failed"]
        raised = failed[0] if failed else message  # the template's NotImplementedError, in the cell or a def
        if outcome == "error" and raised.startswith("NotImplementedError") and exercise.id not in grafted.missing:
            outcome, message = "unanswered", "not answered: the answer still raises NotImplementedError"
        elif outcome != "passed" and failed and exercise.id not in grafted.missing:
            message = f"your answer cell failed ({failed[0]}); then the check: {message}"
        rows.append({"exercise": exercise.id, "title": exercise.title,
                     "points": exercise.points if outcome == "passed" else 0, "max": exercise.points,
                     "outcome": outcome, "message": message})
    graded_cells = {i for exercise in listed for i in exercise.solution + exercise.checks}
    for index, code_number in number.items():
        entry = cells.get(code_number)
        if index not in graded_cells and entry and entry["outcome"] == "failed":
            grafted.notes.append(f"cell {index} (not an exercise) failed: {entry['message'][:200]}")
    if status == "ok" and grafted.missing:
        status = f"solution cell missing: {', '.join(grafted.missing)}"
    return {"student": student, "lab": name.removesuffix(".ipynb"), "status": status, "flags": grafted.flags,
            "notes": grafted.notes, "seconds": round(time.time() - start, 2), "exercises": rows}


def grade(submissions, labs=None, workers: int = 1, timeout: float = 600, profile: str = "quick",
          shard=(1, 1), root=ROOT, progress: bool = False) -> dict:
    """Grade every student folder of ``submissions`` (this shard) for the chosen labs; the results as a dict."""
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if profile not in ("quick", "full"):
        raise ValueError(f"--profile must be quick or full, got {profile!r}")
    folders = students(submissions, shard)
    every = students(submissions)
    paths = lab_notebooks(root, labs)
    if not labs:  # the labs somebody handed in
        handed = {p.name[:2] for folder in every for p in folder.glob("[0-9][0-9]_*.ipynb")}
        paths = [path for path in paths if path.name[:2] in handed] or paths
    jobs = [(folder.name, path, submitted_file(folder, path.name)) for folder in folders for path in paths]
    from tqdm.auto import tqdm

    def one(job):
        try:
            return grade_submission(*job, profile=profile, timeout=timeout)
        except Exception as error:  # a grader bug must not stop the class: record it and go on
            listed = exercises(read_notebook(job[1]), job[1].name)
            return _blank(job[0], job[1].name, listed, f"grader error: {type(error).__name__}: {error}")
        finally:
            bar.update()

    with tqdm(total=len(jobs), desc="grading", unit="notebook", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs))
    lab_table = {path.name.removesuffix(".ipynb"): [{"exercise": e.id, "title": e.title, "max": e.points}
                                                    for e in exercises(read_notebook(path), path.name)]
                 for path in paths}
    return {"profile": profile, "labs": lab_table, "students": [folder.name for folder in folders], "results": results}
