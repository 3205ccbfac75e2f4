"""A simulated Colab run: each lab as a student gets it, from a fresh environment, offline from GitHub.

For each lab: a new virtual environment (no system site packages) holding a Colab-like set of
packages, a stand-in ``google.colab`` imported when the kernel starts (as on Colab), git told
that the GitHub URL of the install line is a commit of this working tree, and a fresh home
directory. The notebook then runs top to bottom in a Jupyter kernel of that environment
(nbclient), in the quick profile: its setup cell installs the package exactly as written,
and every later cell runs against what that install left.

The Colab-like set (``COLAB_PACKAGES``): TensorFlow 2.20.0 with Keras 3.13.2. Colab ships a
TensorFlow 2.x with a Keras 3.x and trails the newest TensorFlow; 2.20 is one release behind
the 2.21 that requirements.txt tests locally, and Keras 3.13 is the first line with which
AutoKeras 3.0.0 fails, so lab 07's cell must replace it (with the newest Keras below 3.13) and
lab 01's must leave it alone. Nothing else is preinstalled, although Colab ships NumPy,
matplotlib, scikit-learn, scikit-image and tqdm too: the install line must bring every package
a lab needs beyond TensorFlow and Keras. Python is the one running the tests (Colab's is 3.12).

Marked ``colab``: run by ``.ci/run`` (``pytest -m colab``), not by the README's ``pytest``.
Set LABS_COLAB_LABS to a comma-separated list of notebook names (without ``.ipynb``), or
``all``, to run other labs. The Colab-like wheels are downloaded once into LABS_COLAB_WHEELS
(default ``~/.cache/cnn-labs-test/colab-wheels``); the notebooks' own pip calls use the
package index as on Colab.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from labs import colab

pytestmark = pytest.mark.colab

ROOT = Path(__file__).resolve().parents[1]
COLAB_PACKAGES = ["tensorflow==2.20.0", "keras==3.13.2"]
KERNEL_PACKAGES = ["ipykernel", "nbclient"]  # Colab's kernel (ipykernel); nbclient drives it here
WHEELS = Path(os.environ.get("LABS_COLAB_WHEELS", Path.home() / ".cache" / "cnn-labs-test" / "colab-wheels"))
LABS_TO_RUN = os.environ.get("LABS_COLAB_LABS", "01_convolution_arithmetic,07_autokeras_search")
NOTEBOOKS = (sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) if LABS_TO_RUN == "all"
             else [name.strip() for name in LABS_TO_RUN.split(",") if name.strip()])

STAND_IN = '''"""Stand-in for Colab's google.colab (tests/test_colab_simulated.py): its presence in
sys.modules is what a notebook's setup cell looks for."""
'''
RUNNER = '''
import sys
import nbformat
from nbclient import NotebookClient

source, executed, workdir = sys.argv[1:4]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": workdir}})
try:
    client.execute()
finally:
    nbformat.write(notebook, executed)
'''


def _run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise AssertionError(f"{' '.join(map(str, command))} failed ({done.returncode}):\n"
                             f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _quiet_git_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **extra}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """A git repository holding one commit of this working tree (uncommitted changes included)."""
    github, branch = colab.repository(ROOT)
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    repo = tmp_path_factory.mktemp("colab-github") / "cnn-labs"
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    env = _quiet_git_env(GIT_AUTHOR_NAME="colab test", GIT_AUTHOR_EMAIL="colab@test",
                         GIT_COMMITTER_NAME="colab test", GIT_COMMITTER_EMAIL="colab@test")
    for command in (["git", "init", "-q", "-b", branch], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "working tree, for the simulated Colab run"]):
        _run(command, cwd=repo, env=env)
    commit = _run(["git", "rev-parse", "HEAD"], cwd=repo, env=env).strip()
    return {"repo": repo, "commit": commit, "github": github}


@pytest.fixture(scope="module")
def wheels():
    """The Colab-like wheels, downloaded once (pip's own cache is not kept by every index)."""
    marker = WHEELS / ("complete-" + "-".join(COLAB_PACKAGES + KERNEL_PACKAGES).replace("=", "") + ".txt")
    if not marker.is_file():
        WHEELS.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "pip", "download", "-q", "-d", str(WHEELS), *COLAB_PACKAGES, *KERNEL_PACKAGES])
        marker.write_text("downloaded\n")
    return WHEELS


def _colab_like_environment(place: Path, wheels: Path, snapshot: dict) -> dict:
    """A fresh venv with the Colab-like packages, a home, git redirected; returns the kernel's environment."""
    venv, home = place / "venv", place / "home"
    place.mkdir(exist_ok=True)
    _run([sys.executable, "-m", "venv", str(venv)], cwd=place)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", str(wheels),
          *COLAB_PACKAGES, *KERNEL_PACKAGES], cwd=place)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=place).strip())
    (site / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (site / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    startup = home / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # Colab's kernel has it loaded\n")
    gitconfig = place / "gitconfig"
    _run(["git", "config", "--file", str(gitconfig), f"url.{snapshot['repo']}.insteadOf",
          f"https://github.com/{snapshot['github']}"])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LABS_", "GIT_", "PYTHON", "JUPYTER", "IPYTHON", "KERAS_", "XDG_", "VIRTUAL_ENV",
                                "MPLBACKEND", "TF_"))}
    return {**env, "HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "VIRTUAL_ENV": str(venv), "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
            "PIP_FIND_LINKS": " ".join(filter(None, [env.get("PIP_FIND_LINKS"), str(wheels)])),
            "LABS_PROFILE": "quick", "LABS_OFFLINE": "1", "PYTHONNOUSERSITE": "1"}


def _installed(python: Path, env: dict) -> dict:
    listed = json.loads(_run([str(python), "-m", "pip", "list", "--format=json"], env=env, cwd=env["HOME"]))
    return {item["name"].lower(): item["version"] for item in listed}


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        for text in (output.get("text", ""), output.get("data", {}).get("text/plain", "")):
            parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


@pytest.fixture
def workspace(tmp_path):
    """A temporary folder whose virtual environment (2–3 GB) is removed after the test."""
    yield tmp_path
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_runs_as_a_student_gets_it_on_colab(name, workspace, snapshot, wheels):
    timings, started = {}, time.perf_counter()
    env = _colab_like_environment(workspace, wheels, snapshot)
    python = workspace / "venv" / "bin" / "python"
    timings["fresh venv with the Colab-like packages"] = time.perf_counter() - started
    before = _installed(python, env)

    content = workspace / "content"  # Colab's working directory: no checkout, no labs/ to import by accident
    content.mkdir()
    (workspace / "run_notebook.py").write_text(RUNNER)
    executed = workspace / f"{name}.executed.ipynb"
    started = time.perf_counter()
    _run([str(python), str(workspace / "run_notebook.py"), str(ROOT / "notebooks" / f"{name}.ipynb"),
          str(executed), str(content)], env=env, cwd=content)
    timings["notebook, setup cell's pip install included"] = time.perf_counter() - started

    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    setup = next(c for c in cells if c["cell_type"] == "code" and colab.BLOCK.search("".join(c["source"])))
    meta = setup["metadata"].get("execution", {})
    if "iopub.execute_input" in meta and "shell.execute_reply" in meta:
        stamps = [datetime.fromisoformat(meta[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply")]
        timings["  of which the setup cell"] = (stamps[1] - stamps[0]).total_seconds()
    output, after = _text(setup), _installed(python, env)
    extras = colab.block_extras(colab.BLOCK.search("".join(setup["source"])).group(0))
    print(f"\n{name}: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}")
    print(f"{name}: {output.strip()}")

    # The cell said what it did, and did it: Colab's TensorFlow kept, Keras replaced only where a lab needs it.
    said = re.search(r"Colab: installed (\S+); Keras (\S+) before, (\S+) now", output)
    assert said, f"the setup cell's Colab line is missing from:\n{output}"
    assert said.groups() == (f"cnn-labs[{','.join(extras)}]" if extras else "cnn-labs", before["keras"], after["keras"])
    colab_tensorflow = next(p for p in COLAB_PACKAGES if p.startswith("tensorflow==")).partition("==")[2]
    assert after["tensorflow"] == before["tensorflow"] == colab_tensorflow, "Colab's TensorFlow must be kept"
    keras_version = tuple(int(part) for part in after["keras"].split(".")[:2])
    if "automl" in extras:
        assert keras_version < (3, 13) and {"autokeras", "keras-tuner", "tensorboard"} <= after.keys()
    else:
        assert after["keras"] == before["keras"], "a lab without extras must keep Colab's Keras"
        assert "autokeras" not in after and "keras-tuner" not in after, "installs more than the lab needs"
    # The package came through the GitHub URL of the install line, i.e. from the redirected commit.
    direct_url = json.loads(_run([str(python), "-c", "from importlib.metadata import distribution; "
                                  "print(distribution('cnn-labs').read_text('direct_url.json'))"], env=env, cwd=content))
    assert direct_url["url"] == f"https://github.com/{snapshot['github']}"
    assert direct_url["vcs_info"]["commit_id"] == snapshot["commit"]
    # Where things go on Colab: the user cache, never a checkout; the device is reported.
    cache = Path(env["HOME"]) / ".cache" / "cnn-labs"
    assert f"[labs] data directory {cache}" in output
    assert re.search(r"\[labs\] backend tensorflow on .*CPU:0", output)
    assert "[labs] versions: " in output and f"keras {after['keras']}" in output
