"""What a notebook runs on: versions, backend, devices, profile and data; ``setup()`` for cell one."""
from __future__ import annotations

import importlib.metadata
import os
import platform

from .config import data_dir, notice, profile, seed

REPORTED_PACKAGES = ("keras", "tensorflow", "numpy", "autokeras", "keras-tuner", "scikit-learn", "jax", "torch")


def versions() -> dict:
    """Installed versions of Python and the packages the labs use (missing ones left out)."""
    found = {"python": platform.python_version()}
    for package in REPORTED_PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def backend() -> str:
    """The Keras backend in use (``KERAS_BACKEND``, default tensorflow)."""
    import keras

    return keras.backend.backend()


def devices() -> list[str]:
    """Compute devices the Keras backend sees, e.g. ``["CPU:0", "GPU:0"]``."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_logical_devices()]
    if name == "jax":
        import jax

        return [str(d) for d in jax.devices()]
    if name == "torch":
        import torch

        return ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu"]


def setup(seed_value: int = 0) -> dict:
    """First cell of every notebook: seed, then report versions, backend, devices, profile and data.

    Returns the report as a dict so a notebook can use it.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    seed(seed_value)
    from . import data

    report = {
        "profile": profile(),
        "seed": seed_value,
        "backend": backend(),
        "devices": devices(),
        "versions": versions(),
        "data_dir": str(data_dir()),
        "datasets": data.status(),
    }
    notice(f"profile {report['profile']!r} (set LABS_PROFILE=quick|full), seed {seed_value}")
    notice("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    notice(f"backend {report['backend']} on {', '.join(report['devices'])}")
    notice(f"data directory {report['data_dir']}")
    for name, state in report["datasets"].items():
        notice(f"  {name}: {state}")
    return report
