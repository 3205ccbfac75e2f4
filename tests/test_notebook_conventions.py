"""Every notebook follows the collection's conventions (shared STYLE.md); nbval runs them."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no lab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_clean(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert not cell["outputs"] and cell["execution_count"] is None, f"{path.name}: clear outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_button_setup_pick_exercise_and_summary(path):
    cells = _cells(path)
    first, setup = "".join(cells[0]["source"]), "".join(cells[1]["source"])
    text = "\n".join("".join(c["source"]) for c in cells)
    assert first.startswith("# ") and f"/notebooks/{path.name})" in first, "title and Colab button first"
    assert '"google.colab" in sys.modules' in setup and "labs.setup()" in setup, "guarded install + labs.setup()"
    assert "labs.pick(" in text, "profile-dependent sizes chosen with labs.pick"
    assert "### BEGIN SOLUTION" in text and "### END SOLUTION" in text, "at least one exercise"
    assert "What to remember" in text


def test_every_notebook_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert path.name in readme, f"{path.name} missing from the README's table"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_screen(path):
    """Lines over 110 characters scroll sideways in JupyterLab."""
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            for number, line in enumerate("".join(cell["source"]).split("\n"), 1):
                assert len(line) <= 110, f"{path.name}, cell {index}, line {number}: {len(line)} characters"
