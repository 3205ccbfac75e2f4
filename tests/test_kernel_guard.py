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
