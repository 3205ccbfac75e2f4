"""Test configuration: quick profile and quiet TensorFlow, for unit tests and notebook kernels.

Set here, at import time, so that the Jupyter kernels nbval starts inherit them.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

os.environ.setdefault("LABS_PROFILE", "quick")
# TensorFlow's C++ log off, as labs.setup() sets it for a student (the start-up lines it writes
# regardless are filtered where labs imports TensorFlow, labs.environment.start_tensorflow).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# No download attempts from tests: loaders go straight to local files or the stand-ins.
os.environ.setdefault("LABS_OFFLINE", "1")
# What the labs write (figures, run records, search projects) goes to the checkout's ignored
# data/, never into a shared data folder that LABS_DATA_DIR may point at.
os.environ.setdefault("LABS_WORK_DIR", str(ROOT / "data"))
os.environ.setdefault("MPLBACKEND", "Agg")
# Every notebook kernel guards the checkout: a write inside it but outside LABS_WORK_DIR (and the
# data directory) fails the cell (tests/kernel_startup.py, run by IPython at kernel start).
os.environ["LABS_CHECKOUT"] = str(ROOT)
os.environ.setdefault("PYTHONSTARTUP", str(ROOT / "tests" / "kernel_startup.py"))
# Notebook kernels run in notebooks/: let them import the package without an install too.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)

# Notebooks too heavy for the README's `pytest` (budget: 10 minutes on 2 CPU cores): lab 06 trains
# 18 networks (about 8 minutes alone, more beside other notebooks). Their cells are marked `slow`,
# so `pytest` leaves them out and `.ci/run` runs them in a step of their own
# (`pytest -m slow ... notebooks/06_cifar100_optimizers.ipynb`, or by name as any notebook).
SLOW_NOTEBOOKS = {"06_cifar100_optimizers.ipynb"}


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.path.name in SLOW_NOTEBOOKS:
            item.add_marker(pytest.mark.slow)
