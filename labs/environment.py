"""What a notebook runs on: versions, backend, devices, profile and data; ``setup()`` for cell one.

TensorFlow's C++ start-up lines (absl's "All log messages before absl::InitializeLog()",
"Could not find cuda drivers", ``cpu_feature_guard``, ``cuInit``, oneDNN, CUDA factory
registrations) are written straight to file descriptor 2 while TensorFlow is imported and its
devices are created; ``TF_CPP_MIN_LOG_LEVEL`` does not hide all of them. ``start_tensorflow()``
does both with descriptor 2 pointed at a temporary file, then writes back every captured line
that is not one of those known start-up lines: a real error still shows, and nothing after
start-up is touched.
"""
from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import platform
import re
import sys
import tempfile

from .config import data_dir, notice, profile, seed, seed_offset

REPORTED_PACKAGES = ("keras", "tensorflow", "numpy", "autokeras", "keras-tuner", "scikit-learn", "jax", "torch")

# C++ log lines TensorFlow writes while it starts: "I0000 00:00:1796138265.218504   10471 cudart_stub.cc:31] ..."
_CPP_LINE = re.compile(r"^[IWEF]\d{4} [\d:. ]+\d+ (?P<source>[\w.]+):\d+\] (?P<text>.*)$")
_START_UP_SOURCES = ("cudart_stub.cc", "cpu_feature_guard.cc", "cuda_platform.cc", "cuda_executor.cc",
                     "cuda_dnn.cc", "cuda_fft.cc", "cuda_blas.cc", "computation_placer.cc", "port.cc",
                     "gpu_device.cc", "cuda_diagnostics.cc")
_START_UP_TEXT = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r"|.*oneDNN custom operations are on.*|.*TF_ENABLE_ONEDNN_OPTS=0.*"
    r"|.*TF-TRT Warning: Could not find TensorRT.*)$")


def is_start_up_noise(line: str) -> bool:
    """Whether ``line`` is one of TensorFlow's known start-up log lines (not a real problem)."""
    line = line.rstrip("\r\n")
    if _START_UP_TEXT.match(line):
        return True
    match = _CPP_LINE.match(line)
    return bool(match) and (match["source"] in _START_UP_SOURCES or "oneDNN custom operations" in match["text"])


@contextlib.contextmanager
def _start_up_lines_filtered():
    """Point file descriptor 2 at a temporary file; afterwards write back what is not start-up noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if line.strip() and not is_start_up_noise(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


class _RetracingNoticeFilter(logging.Filter):
    """Drops TensorFlow's "N out of the last M calls to <function> triggered tf.function retracing".

    Keras traces one predict function per model and per batch shape; the labs build many small
    models and probes on purpose, and TensorFlow counts all their traces together, so the notice (a
    performance hint, shown in red under whichever cell crosses its threshold) says nothing about
    that cell. Every other TensorFlow warning still shows.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def start_tensorflow(*, deterministic: bool = True) -> None:
    """Import Keras (and TensorFlow when it is the backend) and create the devices, without the start-up noise.

    ``deterministic``: enable TensorFlow's op determinism, so that the same seed gives the same
    numbers run after run on one machine (``tf.config.experimental.enable_op_determinism``).
    Call it before anything imports TensorFlow; afterwards it only sets determinism.
    """
    # TensorFlow's C++ log off (e.g. tf.data's harmless "NodeDef mentions attribute use_unbounded_threadpool"
    # in red during training); its errors still reach Python as exceptions, Python warnings still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    quiet = "tensorflow" not in sys.modules
    with _start_up_lines_filtered() if quiet else contextlib.nullcontext():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_logical_devices()
            tensorflow_log = tf.get_logger()
            if not any(isinstance(f, _RetracingNoticeFilter) for f in tensorflow_log.filters):
                tensorflow_log.addFilter(_RetracingNoticeFilter())
            if deterministic:
                tf.config.experimental.enable_op_determinism()


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
    start_tensorflow(deterministic=False)
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


def report(seed_value: int = 0) -> dict:
    """Profile, seed, backend, devices, versions, data directory and data sets, as a dict."""
    from . import data

    return {
        "profile": profile(),
        "seed": seed_value,
        "backend": backend(),
        "devices": devices(),
        "versions": versions(),
        "data_dir": str(data_dir()),
        "datasets": data.status(),
    }


def setup(seed_value: int = 0, *, deterministic: bool = True) -> None:
    """First cell of every notebook: start TensorFlow quietly, make it deterministic, seed, and report.

    Prints versions, backend, devices, profile and data as ``[labs]`` lines and returns nothing
    (so the cell shows no ``Out[1]``); ``labs.environment.report()`` returns the same as a dict.
    ``deterministic=False`` keeps TensorFlow's faster non-deterministic kernels.
    """
    start_tensorflow(deterministic=deterministic)
    used = seed(seed_value)
    found = report(used)
    mode = "deterministic ops" if deterministic and found["backend"] == "tensorflow" else "non-deterministic ops"
    shifted = f" (LABS_SEED={seed_offset()} shifts every seed)" if seed_offset() else ""
    notice(f"profile {found['profile']!r} (set LABS_PROFILE=quick|full), seed {used}{shifted}, {mode}")
    notice("versions: " + ", ".join(f"{k} {v}" for k, v in found["versions"].items()))
    notice(f"backend {found['backend']} on {', '.join(found['devices'])}")
    notice(f"data directory {found['data_dir']}")
    for name, state in found["datasets"].items():
        notice(f"  {name}: {state}")
