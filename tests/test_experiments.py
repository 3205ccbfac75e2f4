"""Tests of labs.experiments: run ids, resuming an interrupted grid, the table, the CLI."""
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from labs import experiments
from labs.__main__ import main
from labs.experiments import Run, grid_runs, load_results, results_table, run_grid, write_record
from labs.recipe import recipe
from grid_helpers import TINY, fake_record, tiny_data


class FakeTrainer:
    """Stands in for train_run: counts calls, can raise KeyboardInterrupt in the middle of call N."""

    def __init__(self, interrupt_at=None):
        self.calls = []
        self.interrupt_at = interrupt_at

    def __call__(self, run, settings, data, callbacks=()):
        self.calls.append(run.run_id)
        if len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        return fake_record(run, settings, accuracy=0.1 + 0.01 * len(self.calls))


# ------------------------------------------------------------------ runs
def test_grid_has_18_runs_in_table_order_with_stable_ids():
    runs = grid_runs()
    assert len(runs) == 18 and len({run.run_id for run in runs}) == 18
    assert runs[0].run_id == "vgg16-sgd-none-seed0"
    assert runs[-1].run_id == "inception_v2-adam-dropout-seed0"
    assert len(grid_runs(seeds=(0, 1))) == 36


def test_only_is_a_glob_on_run_ids():
    assert [run.model for run in grid_runs(only="resnet18-*")] == ["resnet18"] * 6
    assert len(grid_runs(only="*-adam-batchnorm-*")) == 3
    with pytest.raises(ValueError, match="matches no run id"):
        grid_runs(only="alexnet-*")


@pytest.mark.parametrize("arguments, message", [
    (("alexnet", "sgd", "none"), "model must be one of"),
    (("vgg16", "rmsprop", "none"), "optimizer must be one of"),
    (("vgg16", "sgd", "l2"), "regularization must be one of"),
    (("vgg16", "sgd", "none", -1), "seed must be a non-negative int"),
])
def test_bad_runs_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        Run(*arguments)


# ------------------------------------------------------------------ resuming
def test_interrupted_grid_resumes_without_rerunning_finished_runs(tmp_path, monkeypatch):
    first = FakeTrainer(interrupt_at=3)
    monkeypatch.setattr(experiments, "train_run", first)
    with pytest.raises(KeyboardInterrupt):
        run_grid(tmp_path, settings=TINY, data={}, progress=False)
    assert len(first.calls) == 3 and len(load_results(tmp_path)) == 2
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}

    second = FakeTrainer()
    monkeypatch.setattr(experiments, "train_run", second)
    records = run_grid(tmp_path, settings=TINY, data={}, progress=False)
    assert second.calls[0] == first.calls[2]  # the interrupted run is trained again...
    assert not set(second.calls) & set(first.calls[:2])  # ...the finished ones are not
    assert len(second.calls) == 16 and len(records) == 18 and len(load_results(tmp_path)) == 18
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == ns for name, ns in mtimes.items())

    third = FakeTrainer()
    monkeypatch.setattr(experiments, "train_run", third)
    assert run_grid(tmp_path, settings=TINY, data={}, progress=False) == records
    assert third.calls == []


def test_corrupt_or_foreign_records_are_rerun(tmp_path, monkeypatch):
    runs = grid_runs(only="vgg16-sgd-*")
    for run in runs:
        write_record(tmp_path, fake_record(run, TINY))
    (tmp_path / f"{runs[0].run_id}.json").write_text("{not json")
    other = recipe("quick", width=1 / 16, epochs=2)
    write_record(tmp_path, fake_record(runs[1], other))  # made with another budget
    trainer = FakeTrainer()
    monkeypatch.setattr(experiments, "train_run", trainer)
    records = run_grid(tmp_path, settings=TINY, only="vgg16-sgd-*", data={}, progress=False)
    assert trainer.calls == [runs[0].run_id, runs[1].run_id]
    assert [r["config"]["recipe"]["epochs"] for r in records] == [1, 1, 1]


class InterruptInRun(keras.callbacks.Callback):
    """Raises KeyboardInterrupt after the first training batch of the ``run``-th fit."""

    fits = 0

    def __init__(self, run):
        super().__init__()
        self.run = run

    def on_train_begin(self, logs=None):
        InterruptInRun.fits += 1

    def on_train_batch_end(self, batch, logs=None):
        if InterruptInRun.fits == self.run:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_real_training_grid_interrupted_in_its_third_run_resumes(tmp_path):
    data = tiny_data()
    InterruptInRun.fits = 0
    with pytest.raises(KeyboardInterrupt):
        run_grid(tmp_path, settings=TINY, only="vgg16-sgd-*", data=data, callbacks=[InterruptInRun(3)],
                 progress=False)
    finished = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}
    assert sorted(finished) == ["vgg16-sgd-batchnorm-seed0.json", "vgg16-sgd-none-seed0.json"]
    assert not list(tmp_path.glob(".*.tmp"))

    InterruptInRun.fits = 0
    records = run_grid(tmp_path, settings=TINY, only="vgg16-sgd-*", data=data, callbacks=[InterruptInRun(99)],
                       progress=False)
    assert InterruptInRun.fits == 1  # only the interrupted run was trained again
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == ns for name, ns in finished.items())
    assert [r["run_id"] for r in records] == [r.run_id for r in grid_runs(only="vgg16-sgd-*")]
    for record in records:
        assert record["epochs"] == 1 and 0 <= record["test_accuracy"] <= 1
        assert record["parameters"] > 0 and record["images_per_second"] > 0
        assert set(record["history"]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert record["config"]["recipe"]["width"] == TINY.width
        assert "keras" in record["versions"]
    assert load_results(tmp_path) == sorted(records, key=lambda r: r["run_id"])  # read back as written


# ------------------------------------------------------------------ the table
def test_results_table_places_cells_and_compares_with_the_slides():
    runs = grid_runs(only="resnet18-*")
    records = [fake_record(run, TINY, accuracy=0.6) for run in runs]
    table = results_table(records)
    assert table.values.shape == (3, 6)
    assert np.all(np.isnan(table.values[0])) and np.allclose(table.values[1], 0.6)
    assert table.cell("resnet18", "sgd", "batchnorm") == pytest.approx(0.6)
    difference = table - experiments.SLIDES_TABLE
    assert difference.cell("resnet18", "sgd", "batchnorm") == pytest.approx(0.6 - 0.6370)
    assert "ResNet18" in str(table) and "SGD BatchNorm" in str(table)
    assert "<table>" in table._repr_html_()
    assert experiments.SLIDES_TABLE.cell("vgg16", "adam", "batchnorm") == pytest.approx(0.6232)


def test_gpu_time_estimate():
    seconds = experiments.estimated_gpu_seconds(0.5e9, recipe("full"), achieved_tflops=25)
    # 2 · 0.5e9 · (3 · 60 · 45,000 + 60 · 5,000 + 10,000) / 25e12
    assert seconds == pytest.approx(2 * 0.5e9 * (3 * 60 * 45_000 + 60 * 5_000 + 10_000) / 25e12)
    with pytest.raises(ValueError, match="achieved_tflops must be positive"):
        experiments.estimated_gpu_seconds(1e9, TINY, achieved_tflops=0)


# ------------------------------------------------------------------ the command line
def test_cli_grid_runs_and_resumes(tmp_path, monkeypatch, capsys):
    trainer = FakeTrainer()
    monkeypatch.setattr(experiments, "train_run", trainer)
    monkeypatch.setattr(experiments, "load_grid_data", lambda settings: {})
    out = tmp_path / "results"
    assert main(["grid", "--out", str(out), "--profile", "quick", "--only", "resnet18-sgd-*", "--workers", "1"]) == 0
    assert len(trainer.calls) == 3 and len(load_results(out)) == 3
    assert "3 record(s)" in capsys.readouterr().out
    assert main(["grid", "--out", str(out), "--profile", "quick", "--only", "resnet18-*", "--workers", "1"]) == 0
    assert len(trainer.calls) == 6
    assert main(["grid", "--out", str(out), "--only", "nothing-*"]) == 1
    assert "matches no run id" in capsys.readouterr().err


def test_cli_grid_help_in_a_subprocess():
    result = subprocess.run([sys.executable, "-m", "labs", "grid", "--help"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=120)
    assert result.returncode == 0 and "--only" in result.stdout and "--profile" in result.stdout
