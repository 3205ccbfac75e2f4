"""Profile, seeds and the data directory: the few pieces of state every lab shares.

``LABS_PROFILE`` picks ``"quick"`` (small data, minutes on 2 CPU cores; what the tests
use) or ``"full"`` (the real data sets and epochs; the default for students).
``LABS_DATA_DIR`` points the loaders at a data directory; ``LABS_WORK_DIR`` says where the
labs write what they make (figures, run records, search projects), by default the data
directory. ``LABS_SEED`` shifts every seed (default 0).
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

PROFILES = ("quick", "full")
PROFILE_VARIABLE = "LABS_PROFILE"
DATA_DIR_VARIABLE = "LABS_DATA_DIR"
WORK_DIR_VARIABLE = "LABS_WORK_DIR"
SEED_VARIABLE = "LABS_SEED"
_PACKAGE_ROOT = Path(__file__).resolve().parent


def notice(message: str) -> None:
    """Print a message from the package: the one place where ``labs`` talks to the user."""
    print(f"[labs] {message}", file=sys.stdout, flush=True)


def profile() -> str:
    """Return ``"quick"`` or ``"full"`` from ``LABS_PROFILE`` (default ``"full"``)."""
    value = os.environ.get(PROFILE_VARIABLE, "full").strip().lower() or "full"
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_VARIABLE}={value!r} is not a profile; use one of {PROFILES}"
        )
    return value


def pick(*, quick, full):
    """Return ``quick`` in the quick profile and ``full`` in the full one."""
    return quick if profile() == "quick" else full


def seed_offset() -> int:
    """``LABS_SEED`` (default 0): added to every seed a lab sets, to rerun a whole lab under another seed."""
    value = os.environ.get(SEED_VARIABLE, "").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"{SEED_VARIABLE}={value!r} is not a non-negative integer")
    return int(value)


def derived_seed(n: int) -> int:
    """The seed actually used for a lab's seed ``n``: ``n + LABS_SEED``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"seed must be a non-negative int, got {n!r}")
    return n + seed_offset()


def seed(n: int = 0) -> int:
    """Seed Python, NumPy and the Keras backend with ``n + LABS_SEED`` so that a run can be repeated.

    Returns the seed used. ``LABS_SEED`` is unset (0) in a normal run; the multi-seed tests set it
    to rerun a whole notebook, every ``labs.seed(n)`` in it shifted alike.
    """
    n = derived_seed(n)
    random.seed(n)
    import numpy as np

    np.random.seed(n)
    if "keras" in sys.modules or _keras_available():
        import keras

        keras.utils.set_random_seed(n)
    return n


def _keras_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("keras") is not None


def repository_root() -> Path | None:
    """The checkout that holds this package, or ``None`` when installed elsewhere."""
    root = _PACKAGE_ROOT.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return None


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cnn-labs`` (default ``~/.cache/cnn-labs``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnn-labs"


def data_dir() -> Path:
    """The data directory: ``LABS_DATA_DIR``, else the checkout's ``data/``, else the user cache."""
    configured = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    root = repository_root()
    if root is not None:
        return root / "data"
    return user_cache_dir()


def work_dir() -> Path:
    """Where labs write what they make (figures, run records, search projects): ``LABS_WORK_DIR``, else ``data_dir()``.

    Tests set it so that nothing is ever written into a shared, read-only data folder.
    """
    configured = os.environ.get(WORK_DIR_VARIABLE, "").strip()
    return Path(configured).expanduser().resolve() if configured else data_dir()
