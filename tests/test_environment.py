import subprocess
import sys
from pathlib import Path

import pytest

import labs
from labs import environment

ROOT = Path(__file__).resolve().parents[1]
# TensorFlow 2.21's start-up lines on a machine without a GPU, as written to file descriptor 2.
START_UP_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796138265.218504   10471 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
    "GPU will not be used.",
    "I0000 00:00:1796138265.670918   10471 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
    "E0000 00:00:1796138274.326960   10471 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1796138265.1   10471 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. "
    "To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
]


def test_versions_name_python_and_keras():
    found = environment.versions()
    assert found["python"].count(".") == 2
    assert found["keras"].startswith("3.")


def test_devices_include_a_cpu():
    assert any("cpu" in device.lower() for device in environment.devices())


def test_setup_prints_everything_a_notebook_needs_and_returns_nothing(capsys):
    assert labs.setup(seed_value=1) is None  # no Out[1] under the first cell
    printed = capsys.readouterr().out
    assert "profile 'quick'" in printed and "data directory" in printed and "mnist" in printed
    assert all(line.startswith("[labs] ") for line in printed.splitlines())
    report = environment.report(seed_value=1)
    for key in ("profile", "seed", "backend", "devices", "versions", "data_dir", "datasets"):
        assert key in report


@pytest.mark.parametrize("line", START_UP_LINES)
def test_start_up_lines_are_recognised(line):
    assert environment.is_start_up_noise(line)


@pytest.mark.parametrize("line", [
    "E0000 00:00:1796138274.326960   10471 op_kernel.cc:1857] OP_REQUIRES failed at conv_ops.cc: INVALID_ARGUMENT",
    "Traceback (most recent call last):",
    "UserWarning: something a student should read",
])
def test_real_problems_are_not_start_up_noise(line):
    assert not environment.is_start_up_noise(line)


def test_a_fresh_process_starts_quietly_and_keeps_real_errors():
    # In a fresh process (TensorFlow not yet imported): setup's start-up lines are filtered
    # from descriptor 2, a real line written there meanwhile is written back, and the last
    # line, written after start-up, is untouched.
    script = (
        "import os, labs, labs.environment as e\n"
        "with e._start_up_lines_filtered():\n"
        "    os.write(2, b'I0000 00:00:1.2   7 cudart_stub.cc:31] Could not find cuda drivers\\n')\n"
        "    os.write(2, b'a real error\\n')\n"
        "labs.setup()\n"
        "os.write(2, b'after start-up\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                            env={**_environment(), "TF_CPP_MIN_LOG_LEVEL": ""}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["a real error", "after start-up"]
    assert all(line.startswith("[labs] ") for line in result.stdout.splitlines())
    assert "deterministic ops" in result.stdout


def _environment():
    import os

    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_tensorflow_retracing_notice_is_dropped_other_warnings_kept():
    # Lab 09's full profile showed TensorFlow's retracing notice in red under an exercise cell: many small
    # models' predict functions counted together. setup() drops that notice and nothing else.
    import logging

    environment.start_tensorflow(deterministic=False)
    import tensorflow as tf

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Keep()
    tf.get_logger().addHandler(handler)
    try:
        tf.get_logger().warning("6 out of the last 322 calls to <function f at 0x1> triggered tf.function "
                                "retracing. Tracing is expensive")
        tf.get_logger().warning("a real TensorFlow warning")
    finally:
        tf.get_logger().removeHandler(handler)
    assert seen == ["a real TensorFlow warning"]
