import subprocess
import sys
from pathlib import Path

from labs.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_doctor_reports_versions_profile_and_data(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for expected in ("profile        quick", "keras", "backend", "data directory", "mnist"):
        assert expected in out


def test_fetch_rejects_an_unknown_name(capsys):
    assert main(["fetch", "imagenet"]) == 2
    assert "unknown data set 'imagenet'; choose one of all, mnist" in capsys.readouterr().err


def test_fetch_offline_fails_with_a_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    assert main(["fetch", "mnist"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "mnist" in err and str(tmp_path) in err


def test_colab_links_check_passes_on_the_repository(capsys):
    assert main(["colab-links", "--check", "--root", str(ROOT)]) == 0


def test_module_runs_as_a_script():
    result = subprocess.run([sys.executable, "-m", "labs", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "fetch" in result.stdout and "doctor" in result.stdout
