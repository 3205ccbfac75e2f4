import ast
import functools
import importlib.metadata
import json
import re
import sys
import tomllib
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from labs import colab

ROOT = Path(__file__).resolve().parents[1]


def _copy_repository(tmp_path, github="someone/else"):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text(f'[tool.cnn-labs]\ngithub = "{github}"\nbranch = "main"\n')
    (tmp_path / "README.md").write_text(
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/old/repo/blob/main/notebooks/01_x.ipynb)\n"
    )
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": ['subprocess.run([..., "git+https://github.com/old/repo"])\n']}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps(notebook))
    return tmp_path


def test_rewrite_points_buttons_and_install_line_at_the_configured_repository(tmp_path):
    root = _copy_repository(tmp_path)
    assert len(colab.rewrite_links(root, check=True)) == 2
    colab.rewrite_links(root)
    assert "github/someone/else/blob/main/notebooks/01_x.ipynb" in (root / "README.md").read_text()
    assert "git+https://github.com/someone/else" in (root / "notebooks" / "01_x.ipynb").read_text()
    assert colab.rewrite_links(root, check=True) == []


def test_a_branch_other_than_main_goes_into_both_links():
    text = colab.rewrite_text("https://colab.research.google.com/github/a/b/blob/main/notebooks/x.ipynb "
                              "git+https://github.com/a/b", "c/d", "dev")
    assert "github/c/d/blob/dev/notebooks/x.ipynb" in text and "git+https://github.com/c/d@dev" in text


def test_bad_repository_path_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cnn-labs]\ngithub = "not a path"\n')
    with pytest.raises(ValueError, match="must look like 'owner/name', got 'not a path'"):
        colab.repository(tmp_path)


def test_missing_pyproject_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="pyproject.toml not found"):
        colab.repository(tmp_path)


def test_the_committed_links_are_up_to_date():
    assert colab.rewrite_links(ROOT, check=True) == [], "run: python -m labs colab-links"


# --- the generated install block -------------------------------------------------------------

def _run_block(block, monkeypatch, on_colab=True):
    """Execute an install block as a notebook would, with pip replaced by a recorder."""
    calls = []
    fake_subprocess = type("FakeSubprocess", (), {"run": staticmethod(lambda cmd, check: calls.append(cmd))})
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(block, "<setup cell>", "exec"), {"sys": sys, "subprocess": fake_subprocess})
    return calls


def test_the_block_installs_the_extras_on_colab_and_says_what_it_did(monkeypatch, capsys):
    block = colab.install_block("owner/name", "main", ["automl"])
    calls = _run_block(block, monkeypatch)
    assert calls == [[sys.executable, "-m", "pip", "install", "-q",
                      "cnn-labs[automl] @ git+https://github.com/owner/name"]]
    keras = importlib.metadata.version("keras")
    assert capsys.readouterr().out == f"Colab: installed cnn-labs[automl]; Keras {keras} before, {keras} now\n"


def test_the_block_installs_the_bare_package_without_extras_and_nothing_off_colab(monkeypatch, capsys):
    block = colab.install_block("owner/name", "dev")
    assert _run_block(block, monkeypatch)[0][-1] == "git+https://github.com/owner/name@dev"
    capsys.readouterr()
    assert _run_block(block, monkeypatch, on_colab=False) == [] and capsys.readouterr().out == ""


def test_a_bad_extra_name_is_named():
    with pytest.raises(ValueError, match="extra 'Auto ML' is not a valid extra name"):
        colab.install_block("a/b", "main", ["Auto ML"])


def test_rewrite_regenerates_an_old_block_and_keeps_its_extras():
    old = ('import sys, subprocess\n'
           'if "google.colab" in sys.modules:  # old comment\n'
           '    subprocess.run([sys.executable, "-m", "pip", "install", "cnn-labs[automl] @ git+https://github.com/x/y"])\n'
           'import labs\n')
    new = colab.rewrite_text(old, "a/b", "main")
    assert new == ("import sys, subprocess\n" + colab.install_block("a/b", "main", ["automl"]) + "\nimport labs\n")
    assert colab.rewrite_text(new, "a/b", "main") == new


# --- each notebook installs exactly what it needs ---------------------------------------------
# What Colab ships and the labs use without declaring it (the package must not fight them), and
# the other Keras backends, imported only when KERAS_BACKEND selects them.
COLAB_SHIPS = {"tensorflow", "keras", "ipython"}
OTHER_BACKENDS = {"jax", "torch"}


@functools.lru_cache(maxsize=None)
def _imports(source, package=None):
    """Absolute module names imported by ``source`` (relative imports resolved against ``package``)."""
    lines = [line for line in source.splitlines() if not re.match(r"[%!](?!=)", line)]  # IPython magics
    found = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # maybe submodules
    return found


def _labs_file(module):
    path = ROOT.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _third_party(sources):
    """Top-level third-party modules that ``sources`` need, following ``labs`` modules they import."""
    todo, seen, modules = [(s, None) for s in sources], set(), set()
    while todo:
        source, package = todo.pop()
        for name in _imports(source, package):
            top = name.split(".")[0]
            if top == "labs":
                for depth in range(1, len(name.split(".")) + 1):  # labs, labs.models, labs.models.lenet
                    module = ".".join(name.split(".")[:depth])
                    path = _labs_file(module)
                    if path and module not in seen:
                        seen.add(module)
                        package_name = module if path.name == "__init__.py" else module.rpartition(".")[0]
                        todo.append((path.read_text(encoding="utf-8"), package_name))
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                modules.add(top)
    return modules


@functools.lru_cache(maxsize=None)
def _owners():
    return importlib.metadata.packages_distributions()


def _distributions(modules):
    owners = _owners()
    unknown = sorted(m for m in modules if m not in owners)
    assert not unknown, f"modules no installed distribution provides: {unknown}"
    return {canonicalize_name(owners[m][0]) for m in modules}


def _requirement_names(requirements):
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _with_dependencies(names):
    """``names`` and everything they require (installed metadata; extras' requirements left out)."""
    todo, closure = list(names), set()
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(_requires(name))
    return closure


@functools.lru_cache(maxsize=None)
def _requires(name):
    try:
        requires = importlib.metadata.requires(name) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    found = [Requirement(text) for text in requires]
    return [canonicalize_name(r.name) for r in found if r.marker is None or r.marker.evaluate({"extra": ""})]


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_installs_exactly_the_extras_it_needs(path):
    project = _project()
    base = _requirement_names(project["dependencies"])
    extras = {name: _requirement_names(reqs) - base for name, reqs in project.get("optional-dependencies", {}).items()}
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    blocks = [found.group(0) for source in code for found in [colab.BLOCK.search(source)] if found]
    assert len(blocks) == 1, f"{path.name}: one Colab install block, in the setup cell"
    needed = _distributions(_third_party(code) - OTHER_BACKENDS)
    wanted = sorted(name for name, names in extras.items() if names & needed)
    assert colab.block_extras(blocks[0]) == wanted, f"{path.name}: install cnn-labs[{','.join(wanted)}]"
    installed = _with_dependencies(base | {d for name in wanted for d in extras[name]} | COLAB_SHIPS)
    assert needed <= installed, f"{path.name} imports what its Colab cell does not install: {sorted(needed - installed)}"
