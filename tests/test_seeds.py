"""Training notebooks' checks hold under other seeds, and one seed gives the same numbers twice.

``LABS_SEED=N`` shifts every ``labs.seed(n)`` of a notebook to ``n + N`` (and the data
pipeline's shuffle), so a whole lab reruns under another seed. Marked ``seeds`` (about 8 min
on 2 cores): .ci/run runs it as its own step on every CI run; the README's ``pytest`` does not.
Lab 05 (its gradient checks depend on training) and lab 04 (BN's effect on training) are
rerun; lab 06's grid checks only "above chance" with a 3σ margin, and labs 02 and 07 are
owned and measured elsewhere.
"""
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.seeds

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (1, 2)
# What each notebook computed from training, printed as JSON by a cell appended to a copy.
NUMBERS = {
    "04_batchnorm_folding.ipynb": "{name: h.history for name, h in histories.items()}",
    "05_resnet_blocks.ipynb": "{'histories': histories, 'gradients': gradients}",
}
MARKER = "LABS-NUMBERS "


def _run(name: str, seed: int, work: Path) -> dict:
    """Run a copy of notebook ``name`` with LABS_SEED=seed; fail on an error; return its numbers."""
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        f"import json as _json\nprint({MARKER!r} + _json.dumps({NUMBERS[name]}, "
        "default=lambda o: o.tolist() if hasattr(o, 'tolist') else float(o)))"))
    saved = {k: os.environ.get(k) for k in ("LABS_SEED", "LABS_WORK_DIR")}
    os.environ.update(LABS_SEED=str(seed), LABS_WORK_DIR=str(work))
    try:
        client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT / "notebooks")}})
        client.execute()  # raises CellExecutionError, with the failing check, on any error
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    text = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    return json.loads(text.split(MARKER, 1)[1])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(NUMBERS))
def test_checks_hold_under_another_seed(name, seed, tmp_path):
    _run(name, seed, tmp_path)


def test_lab05_same_seed_same_numbers(tmp_path):
    first = _run("05_resnet_blocks.ipynb", 0, tmp_path / "first")
    second = _run("05_resnet_blocks.ipynb", 0, tmp_path / "second")
    assert first == second, "lab 05 gave different numbers for the same seed (is op determinism on?)"
