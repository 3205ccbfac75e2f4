import labs
from labs import environment


def test_versions_name_python_and_keras():
    found = environment.versions()
    assert found["python"].count(".") == 2
    assert found["keras"].startswith("3.")


def test_devices_include_a_cpu():
    assert any("cpu" in device.lower() for device in environment.devices())


def test_setup_reports_everything_a_notebook_needs(capsys):
    report = labs.setup(seed_value=1)
    for key in ("profile", "seed", "backend", "devices", "versions", "data_dir", "datasets"):
        assert key in report
    assert report["profile"] == "quick"
    printed = capsys.readouterr().out
    assert "profile 'quick'" in printed and "data directory" in printed and "mnist" in printed
