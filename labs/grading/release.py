"""Student copies: solutions replaced, hidden checks removed, outputs cleared, checks locked.

``python -m labs release DEST`` writes a repository for the students: ``notebooks/``, the
``labs`` package (so that Colab and CI can install it), a README and, optionally, a GitHub
Actions workflow that runs the notebooks' checks at each push.
"""
from __future__ import annotations

import ast
import re
import shutil
import textwrap
from pathlib import Path

from .. import colab
from .exercises import (BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, ROOT, MarkerError, exercises,
                        lab_notebooks, meta, read_notebook, regions, set_source, source, where, write_notebook)

BUTTON = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(https://colab\.research\.google\.com/[^)]*\)[ \t]*")
STUDENT_TEST_COMMAND = "pytest notebooks"
LOCKED = {"editable": False, "deletable": False}


def _names_assigned(statements) -> list[str]:
    names = []

    def targets(node):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for statement in statements:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                targets(target)
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            targets(statement.target)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names.extend((alias.asname or alias.name).split(".")[0] for alias in statement.names)
        elif isinstance(statement, (ast.If, ast.With, ast.Try)):
            names.extend(_names_assigned(statement.body + getattr(statement, "orelse", [])))
    return list(dict.fromkeys(name for name in names if not name.startswith("_")))


def _names_read(texts) -> set[str]:
    read = set()
    for text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        read |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read


def define_comment(region: str, enclosing: str, check_texts) -> str:
    """What the region must define, from its assignments and defs: ``"define: c3_full_parameters, c3_saved"``."""
    try:
        tree = ast.parse(textwrap.dedent(region))
    except SyntaxError:
        tree = None
    returns = tree is not None and any(isinstance(node, ast.Return) for node in tree.body)
    function = re.findall(r"^\s*def\s+(\w+)\s*\(", enclosing, flags=re.M)
    if function and region[:1].isspace():
        return f"complete {function[-1]}" + (", returning its result" if returns else "")
    names = _names_assigned(tree.body) if tree is not None else []
    read = _names_read(check_texts)
    wanted = [name for name in names if name in read] or names
    return "define: " + ", ".join(wanted) if wanted else "write your answer here"


def student_source(text: str, place: str, check_texts=()) -> str:
    """Each solution region becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at its indentation."""
    lines = text.splitlines()
    out, position = [], 0
    for begin, end in regions(text, BEGIN_SOLUTION, END_SOLUTION, place):
        indent = re.match(r"\s*", lines[begin]).group(0)
        body = "\n".join(lines[begin + 1:end])
        comment = define_comment(body, "\n".join(lines[:begin]), check_texts)
        out += lines[position:begin]
        out += [f"{indent}# YOUR CODE HERE", f"{indent}# {comment}", f"{indent}raise NotImplementedError()"]
        position = end + 1
    out += lines[position:]
    return "\n".join(out)


def without_hidden_checks(text: str, place: str) -> str:
    """The check cell without its ``### BEGIN HIDDEN CHECKS`` … ``### END HIDDEN CHECKS`` regions."""
    lines = text.splitlines()
    drop = set()
    for begin, end in regions(text, BEGIN_HIDDEN, END_HIDDEN, place):
        drop.update(range(begin, end + 1))
    return "\n".join(line for number, line in enumerate(lines) if number not in drop)


def student_notebook(notebook: dict, name: str, github: str | None = None, branch: str = "main") -> dict:
    """The student copy of an instructor notebook (a new dict; ``notebook`` is not changed)."""
    import copy

    listed = exercises(notebook, name)  # validates: malformed markers raise MarkerError naming the cell
    checks_of = {ex.id: [source(notebook["cells"][i]) for i in ex.checks] for ex in listed}
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        place, text, info = where(name, index, cell), source(cell), meta(cell)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if info.get("role") == "solution":
                text = student_source(text, place, checks_of[info["exercise"]])
            elif info.get("role") == "check":
                text = without_hidden_checks(text, place)
                cell["metadata"].update(LOCKED)
        text = colab.rewrite_text(text, github, branch) if github else BUTTON.sub("", text)
        set_source(cell, text)
    return student


def leftover_solution_lines(notebook: dict, student: dict) -> list[str]:
    """Lines of solutions or hidden checks that appear nowhere else in the instructor copy but in the student copy."""
    secret, public = set(), set()
    for cell in notebook["cells"]:
        text, lines = source(cell), source(cell).splitlines()
        hidden = set()
        for marks in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            for begin, end in regions(text, *marks, "instructor copy"):
                hidden.update(range(begin, end + 1))
        for number, line in enumerate(lines):
            (secret if number in hidden else public).add(line.strip())
    secret -= public | {""}
    student_lines = {line.strip() for cell in student["cells"] for line in source(cell).splitlines()}
    return sorted(secret & student_lines)


def student_readme(names: list[str], github: str | None, workflow: bool) -> str:
    rows = "\n".join(f"- [`{n}`](notebooks/{n})" + (f" · [Open in Colab](https://colab.research.google.com/github/"
                                                    f"{github}/blob/main/notebooks/{n})" if github else "")
                     for n in names)
    ci = ("\nEvery push runs the checks on GitHub (Actions tab): a red cross means some check still fails.\n"
          if workflow else "")
    return f"""# CNN Labs: your copy

Each lab ends with exercises. Write your answer where a cell says `# YOUR CODE HERE`, delete the
`raise NotImplementedError()` line, and run the check cell after it: it says what is wrong and
gives a hint. Do not edit or delete the check cells; only your answer cells are graded (the
grader puts them into a fresh copy of the lab and runs the instructor's checks).

{rows}

Set up and check your work locally (quick profile, a few minutes on a laptop):

```bash
pip install -r requirements.txt -e .
LABS_PROFILE=quick {STUDENT_TEST_COMMAND}
```
{ci}"""


def workflow_yaml() -> str:
    return f"""name: labs
on: [push, pull_request]
jobs:
  checks:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install -r requirements.txt -e .
      - run: {STUDENT_TEST_COMMAND}
        env:
          LABS_PROFILE: quick
          LABS_OFFLINE: "0"
          TF_CPP_MIN_LOG_LEVEL: "3"
          MPLBACKEND: Agg
"""


def release(dest, root=ROOT, labs=None, github: str | None = None, branch: str = "main",
            workflow: bool = True) -> list[Path]:
    """Write the students' repository into ``dest`` (notebooks from ``root/notebooks``); return the notebooks written."""
    root, dest = Path(root), Path(dest)
    if github is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
        raise ValueError(f"--github must look like 'owner/name', got {github!r}")
    paths = lab_notebooks(root, labs)
    copies = []
    for path in paths:  # everything is checked before anything is written
        notebook = read_notebook(path)
        student = student_notebook(notebook, path.name, github, branch)
        left = leftover_solution_lines(notebook, student)
        if left:
            raise MarkerError(f"{path.name}: solution lines survive in the student copy: {left[:3]}")
        copies.append((path.name, student))
    (dest / "notebooks").mkdir(parents=True, exist_ok=True)
    written = []
    for name, student in copies:
        write_notebook(student, dest / "notebooks" / name)
        written.append(dest / "notebooks" / name)
    # the package, so that Colab's install line and the students' CI can install it from their repository
    shutil.copytree(ROOT / "labs", dest / "labs", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for extra in ("requirements.txt", "conftest.py", "data/README.md"):
        if (ROOT / extra).is_file():
            (dest / extra).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / extra, dest / extra)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if github:
        pyproject = re.sub(r'(?m)^github = ".*"$', f'github = "{github}"', pyproject)
        pyproject = re.sub(r'(?m)^branch = ".*"$', f'branch = "{branch}"', pyproject)
    (dest / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (dest / "README.md").write_text(student_readme([name for name, _ in copies], github, workflow), encoding="utf-8")
    if workflow:
        (dest / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
        (dest / ".github" / "workflows" / "labs.yml").write_text(workflow_yaml(), encoding="utf-8")
    return written
