"""What a student sees: JupyterLab in headless Chromium runs labs through its own UI (Run → Run All Cells).

Fails on any error output, any stderr ("red box"), any output of the first code cell other than
the ``[labs]`` lines, and (lab 06) a progress bar that is not a working widget. Needs Debian's
``chromium`` and the Python ``playwright`` package (driven with ``executable_path``: no browser
download). Marked ``browser``: .ci/run runs it (``pytest -m browser``), the README's ``pytest``
does not. Screenshots go to ``LABS_SCREENSHOTS`` (default: the test's temporary folder).
``LABS_BROWSER_LABS=04,07`` runs those labs instead of the default 01 and 06.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labs.grading.exercises import lab_notebooks

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
# Lab 01: quick, many figures and checks. Lab 06: the grid's progress bar and worker processes.
DEFAULT_NOTEBOOKS = {"01_convolution_arithmetic.ipynb": 300, "06_cifar100_optimizers.ipynb": 900}


def notebooks_to_run(choice: str | None) -> dict:
    """Notebook name → seconds allowed for Run All: the default pair, or ``LABS_BROWSER_LABS`` ("04,07")."""
    numbers = [part.strip() for part in (choice or "").split(",") if part.strip()]
    if not numbers:
        return dict(DEFAULT_NOTEBOOKS)
    try:
        if not all(re.fullmatch(r"\d\d", number) for number in numbers):
            raise ValueError(f"not two digits: {numbers}")
        paths = lab_notebooks(ROOT, numbers)
    except ValueError as error:
        raise ValueError(f"LABS_BROWSER_LABS: {choice!r} names no lab (two digits, e.g. '04,07'): "
                         f"{error}") from None
    return {path.name: DEFAULT_NOTEBOOKS.get(path.name, 300) for path in paths}


NOTEBOOKS = notebooks_to_run(os.environ.get("LABS_BROWSER_LABS"))
SETTINGS = {  # JupyterLab user settings: every cell in the page (no windowing), no news or update checks
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the Python package playwright is not installed (pip install playwright; "
                    "no `playwright install` needed: the test uses Debian's chromium)")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """A JupyterLab server on a free port with a token, serving copies of the notebooks."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the browser test needs it")
    home = tmp_path_factory.mktemp("jupyterlab")
    (home / "notebooks").mkdir()
    for name in NOTEBOOKS:  # copies: the UI saves the notebook, and outputs must never reach the checkout
        shutil.copy(ROOT / "notebooks" / name, home / "notebooks" / name)
    for name, values in SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    environment = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
                   "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                   "LABS_WORK_DIR": str(home / "work"),
                   "LABS_PROFILE": os.environ.get("LABS_PROFILE", "quick")}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a student's kernel starts: labs.setup() alone keeps it quiet
    log = open(home / "jupyter.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}", "--ServerApp.port_retries=0",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=home, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (home / "jupyter.log").read_text())
                time.sleep(1)
        yield {"url": url, "token": token, "home": home}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt", "nodes => nodes.map(n => n.textContent.trim())")


def _run_all_cells(page, timeout: float) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline = time.monotonic() + timeout
    time.sleep(2)
    while True:
        prompts = _prompts(page)
        if prompts and all(p.strip("[]:").isdigit() for p in prompts):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"cells still running or not run after {timeout} s: {prompts}")
        time.sleep(2)


def _scroll_to(locator) -> None:
    """Scroll an element into view for a screenshot, without Playwright's wait for it to be
    "visible" (which a cell in a panel JupyterLab is re-laying out can fail for 30 s)."""
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")
    time.sleep(0.5)


def _saved_notebook(page, path: Path) -> dict:
    before = path.stat().st_mtime
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert path.stat().st_mtime != before, "JupyterLab did not save the notebook (Ctrl+S)"
    time.sleep(1)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    unrun = [i for i, cell in enumerate(c for c in notebook["cells"] if c["cell_type"] == "code")
             if cell.get("execution_count") is None]
    assert not unrun, f"code cells not run: {unrun}"
    return notebook


def _problems(notebook: dict) -> list[str]:
    problems = []
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for index, cell in enumerate(code):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"code cell {index}: {output['ename']}: {output['evalue']}")
            elif output.get("name") == "stderr":
                problems.append(f"code cell {index} wrote to stderr (a red box): {''.join(output['text'])[:500]!r}")
    for output in code[0].get("outputs", []):
        lines = "".join(output.get("text", "")).splitlines() if output["output_type"] == "stream" else []
        if output["output_type"] != "stream" or output.get("name") != "stdout" \
                or any(not line.startswith("[labs] ") for line in lines):
            problems.append(f"first cell shows more than [labs] lines: {json.dumps(output)[:500]}")
    return problems


def test_problems_are_found_in_a_saved_notebook():
    def cell(*outputs):
        return {"cell_type": "code", "outputs": list(outputs)}

    stdout = {"output_type": "stream", "name": "stdout", "text": "[labs] profile 'quick'\n"}
    clean = {"cells": [cell(stdout), cell({"output_type": "display_data", "data": {}})]}
    assert _problems(clean) == []
    noisy = {"cells": [cell(stdout, {"output_type": "stream", "name": "stderr", "text": "WARNING: All log"}),
                       cell({"output_type": "error", "ename": "AssertionError", "evalue": "got 0.8"}),
                       cell({"output_type": "stream", "name": "stderr", "text": "TqdmWarning"})]}
    found = _problems(noisy)
    assert len(found) == 4 and "first cell" in found[-1] and "AssertionError: got 0.8" in found[1]
    assert _problems({"cells": [cell({"output_type": "execute_result", "data": {"text/plain": "{...}"}})]})


def test_labs_to_run_can_be_chosen():
    assert notebooks_to_run(None) == DEFAULT_NOTEBOOKS
    assert notebooks_to_run("04, 07") == {"04_batchnorm_folding.ipynb": 300, "07_autokeras_search.ipynb": 300}
    assert notebooks_to_run("06") == {"06_cifar100_optimizers.ipynb": 900}
    for wrong in ("4", "99", "04;07", "lab04"):
        with pytest.raises(ValueError, match="names no lab"):
            notebooks_to_run(wrong)


@pytest.mark.browser
@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_lab_runs_cleanly_in_jupyterlab(jupyter_lab, name, tmp_path):
    sync_playwright = _playwright()
    shots = Path(os.environ.get("LABS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    path = jupyter_lab["home"] / "notebooks" / name
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            # a workspace of its own, reset: JupyterLab would otherwise reopen the previous test's notebook
            # beside this one, and Run All could run that one while this one's cells stay empty
            page.goto(f"{jupyter_lab['url']}/lab/workspaces/{path.stem}/tree/notebooks/{name}"
                      f"?reset&token={jupyter_lab['token']}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
            # Run All Cells before the kernel is connected runs nothing: wait for "Python 3 (ipykernel) | Idle"
            page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=180_000)
            _run_all_cells(page, NOTEBOOKS[name])
            _scroll_to(page.locator(".jp-CodeCell").first)
            page.screenshot(path=str(shots / f"{path.stem}-first-cell.png"))
            widgets = page.locator(".jp-OutputArea-output .widget-hprogress, .jp-OutputArea-output .progress")
            if name.startswith("06_"):
                assert widgets.count() >= 1, "lab 06's grid shows no progress widget"
                _scroll_to(widgets.first)
                page.screenshot(path=str(shots / f"{path.stem}-progress.png"))
            notebook = _saved_notebook(page, path)
        finally:
            context.close()
    problems = _problems(notebook)
    text = json.dumps(notebook)
    if "IProgress not found" in text or "TqdmWarning" in text:
        problems.append("tqdm fell back to text: IProgress not found (is ipywidgets installed?)")
    assert not problems, f"{name} in JupyterLab (screenshots in {shots}):\n" + "\n".join(problems)
