"""The notebook kernels' checkout guard (tests/kernel_startup.py): writes outside LABS_WORK_DIR fail."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import os, sys
exec(open(sys.argv[1]).read())
work = os.environ["LABS_WORK_DIR"]
os.makedirs(os.path.join(work, "figures"), exist_ok=True)
open(os.path.join(work, "figures", "ok.png"), "wb").close()  # under LABS_WORK_DIR: allowed
for what in ("open", "mkdir"):
    try:
        if what == "open":
            open(os.path.join(sys.argv[2], "figures", "stray.png"), "wb")
        else:
            os.mkdir(os.path.join(sys.argv[2], "results"))
    except PermissionError as error:
        print("refused:", error)
"""


def test_a_write_into_the_checkout_outside_the_work_directory_is_refused(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "figures").mkdir(parents=True)
    environment = {"LABS_CHECKOUT": str(checkout), "LABS_WORK_DIR": str(checkout / "data"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "tests" / "kernel_startup.py"), str(checkout)],
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    refused = result.stdout.splitlines()
    assert len(refused) == 2 and "write" in refused[0] and "create the folder" in refused[1], result.stdout
    assert "outside LABS_WORK_DIR" in refused[0] and not (checkout / "figures" / "stray.png").exists()
    assert (checkout / "data" / "figures" / "ok.png").exists()


RMTREE = """
import os, shutil, sys, tempfile
exec(open(sys.argv[1]).read())
os.chdir(sys.argv[2])  # the kernel runs in the checkout; rmtree removes names relative to a folder's fd
outside = tempfile.mkdtemp()
os.makedirs(os.path.join(outside, "assets", "inner"))
open(os.path.join(outside, "assets", "inner", "x"), "w").close()
shutil.rmtree(os.path.join(outside, "assets"))
print("removed" if not os.path.exists(os.path.join(outside, "assets")) else "kept")
try:
    shutil.rmtree(os.path.join(sys.argv[2], "figures"))
except PermissionError as error:
    print("refused:", error)
"""


def test_removals_relative_to_a_folder_outside_the_checkout_are_allowed(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "figures" / "assets").mkdir(parents=True)
    environment = {"LABS_CHECKOUT": str(checkout), "LABS_WORK_DIR": str(checkout / "data"), "PATH": "/usr/bin:/bin",
                   "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", RMTREE, str(ROOT / "tests" / "kernel_startup.py"), str(checkout)],
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "removed", result.stdout
    assert lines[1].startswith("refused:") and (checkout / "figures" / "assets").is_dir(), result.stdout
