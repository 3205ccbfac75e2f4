"""pytest plugin for grading runs of nbval (``-p labs.grading.guard``): trust the kernel's reply.

nbval fails a cell only when an ``error`` message reaches the output channel; a notebook that
replaces IPython's ``showtraceback`` sends none, and every cell "passes". This plugin reads the
kernel's ``execute_reply`` (its ``status`` is ``"error"`` whatever the notebook did to the
display of tracebacks), fails the cell when it says so, gives the notebook one deadline
(``LABS_GRADING_DEADLINE``, seconds since the epoch) instead of a limit per cell, notices a dead
kernel at once, and appends one JSON line per cell to ``LABS_GRADING_RECORD``.
"""
from __future__ import annotations

import json
import os
import time
from queue import Empty

from . import lean  # noqa: F401  (before nbformat is imported)

import pytest  # noqa: E402
from nbval.kernel import RunningKernel  # noqa: E402
from nbval.plugin import IPyNbCell  # noqa: E402

DEADLINE = float(os.environ.get("LABS_GRADING_DEADLINE", "inf"))
RECORD = os.environ.get("LABS_GRADING_RECORD")


def _await_reply(self, msg_id, timeout=None):
    """nbval's ``await_reply``, keeping the reply, polling for a dead kernel and the notebook's deadline."""
    while True:
        left = DEADLINE - time.time()
        if left <= 0:
            raise Empty  # nbval interrupts the kernel and reports a timeout
        try:
            msg = self.get_message(stream="shell", timeout=min(1.0, left))
        except Empty:
            if not self.is_alive():
                raise RuntimeError("the kernel died (the notebook ended its own process?)") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            self.labs_reply = msg["content"]
            if msg["content"]["status"] == "aborted":
                raise RuntimeError("Kernel aborted execution request")
            return


RunningKernel.await_reply = _await_reply


def _write(record: dict) -> None:
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if isinstance(item, IPyNbCell):
        if time.time() >= DEADLINE or getattr(item.parent, "timed_out", False):
            pytest.skip("timeout: the notebook's time limit was reached before this cell")
        kernel = getattr(item.parent, "kernel", None)
        if kernel is not None and not kernel.is_alive():
            pytest.skip("kernel died before this cell")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not isinstance(item, IPyNbCell):
        yield
        return
    kernel = item.parent.kernel
    kernel.labs_reply = None
    if not getattr(item.parent, "labs_pid_written", False):
        item.parent.labs_pid_written = True
        process = getattr(getattr(kernel.km, "provisioner", None), "process", None)
        _write({"kernel_pid": getattr(process, "pid", None)})
    outcome = yield
    reply = kernel.labs_reply or {}
    if outcome.excinfo is None and reply.get("status") == "error":
        outcome.force_exception(AssertionError(
            f"{reply.get('ename')}: {reply.get('evalue')} (the kernel reported an error; no traceback was shown)"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not isinstance(item, IPyNbCell) or not (call.when == "call" or report.outcome != "passed"):
        return
    if call.when == "teardown":
        return
    reply = getattr(getattr(item.parent, "kernel", None), "labs_reply", None) or {}
    message = ""
    if report.skipped:
        message = str(call.excinfo.value) if call.excinfo else "skipped"
    elif report.failed:
        if reply.get("status") == "error" and reply.get("ename"):
            message = reply["ename"] + (f": {reply['evalue']}" if reply.get("evalue") else "")
        elif call.excinfo is not None:
            message = str(call.excinfo.value).strip().splitlines()[0] if str(call.excinfo.value).strip() else \
                call.excinfo.typename
        if getattr(item.parent, "timed_out", False) or (call.excinfo and "Timeout" in str(call.excinfo.value)):
            message = "timeout: " + message
    _write({"cell": item.cell_num, "when": call.when, "outcome": report.outcome, "message": message[:2000],
            "seconds": round(call.duration, 3)})
