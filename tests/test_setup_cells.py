"""The first code cell of every notebook: Colab install, then ``import labs`` and ``labs.setup()``
before anything imports TensorFlow (so that its start-up lines are filtered), and no wide lines."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDEST = 110


def _setup_cell(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"]).splitlines()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_labs_starts_tensorflow_before_anything_imports_it(path):
    lines = _setup_cell(path)
    statements = [line for line in lines if line.strip() and not line.startswith((" ", "\t", "#"))]
    first_labs = next(i for i, line in enumerate(statements) if line == "import labs")
    assert statements[first_labs + 1].startswith("labs.setup()"), "labs.setup() right after import labs"
    before = [line for line in statements[:first_labs] if line not in ("import sys, subprocess",)
              and not line.startswith("if \"google.colab\" in sys.modules")]
    assert not before, f"{path.name}: imports before `import labs` would start TensorFlow noisily: {before}"
    heavy = re.compile(r"^(import|from) (tensorflow|keras|autokeras)\b")
    assert not any(heavy.match(line) for line in statements[:first_labs])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_lines_fit(path):
    colab = ("subprocess.run(", "if \"google.colab\"")  # the Colab install line is generated (colab-links)
    wide = [line for line in _setup_cell(path) if len(line) > WIDEST and not line.strip().startswith(colab)]
    assert not wide, f"{path.name}: setup lines over {WIDEST} characters: {wide}"
