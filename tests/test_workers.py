"""Tests of labs.workers: the grid on two processes, interrupted and resumed; errors reach the caller."""
import multiprocessing

import keras
import pytest

from labs import workers
from labs.experiments import grid_runs, load_results, run_grid
from grid_helpers import TINY, tiny_data


@pytest.mark.slow
def test_parallel_grid_writes_records_from_worker_processes_and_resumes_after_an_interrupt(tmp_path):
    data = tiny_data()
    runs = grid_runs(only="vgg16-sgd-*")
    seen = []

    def interrupt_after_first(record):
        seen.append(record["run_id"])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        workers.train_in_processes(runs, TINY, data, tmp_path, 2, interrupt_after_first)
    assert multiprocessing.active_children() == []  # the other worker was stopped, not left running
    written = {p.stem for p in tmp_path.glob("*.json")}
    assert seen[0] in written and len(written) < len(runs)  # written by the worker that finished the run
    kept = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}

    records = run_grid(tmp_path, settings=TINY, only="vgg16-sgd-*", data=data, progress=False, workers=2)
    assert [r["run_id"] for r in records] == [run.run_id for run in runs]
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == ns for name, ns in kept.items())
    assert load_results(tmp_path) == sorted(records, key=lambda r: r["run_id"])
    assert all(r["epochs"] == 1 and r["parameters"] > 0 for r in records)


@pytest.mark.slow
def test_parallel_grid_errors(tmp_path):
    with pytest.raises(ValueError, match="workers must be a positive int"):
        run_grid(tmp_path, settings=TINY, data={}, workers=0)
    with pytest.raises(ValueError, match="callbacks run only with workers=1"):
        run_grid(tmp_path, settings=TINY, data={}, workers=2, callbacks=[keras.callbacks.Callback()])
    with pytest.raises(KeyError, match="x_train"):  # an error in a worker reaches the caller
        run_grid(tmp_path, settings=TINY, only="vgg16-sgd-*", data={}, progress=False, workers=2)
    assert load_results(tmp_path) == []
    assert workers.default_workers("full") == 1 and 1 <= workers.default_workers("quick") <= 2
