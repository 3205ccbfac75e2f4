"""Lab 06's grid on several processes: each trains whole runs and writes their records.

Processes, not threads: tracing a Keras training step is Python, which one process runs on one
core at a time. Workers are started with ``spawn`` (a fork of a process that has started
TensorFlow is unsafe) and get the grid's data once, at start-up.
"""
from __future__ import annotations

import os

from .records import write_record


def default_workers(profile: str) -> int:
    """Processes that train runs at once: 2 in the quick profile (at most one per CPU core), 1 in full.

    Quick: tracing a model's training step is single-threaded Python and the 1/8-wide models do not
    keep two cores busy, so two one-thread processes finish the grid about 1.65× sooner than one
    two-thread process (measured on 2 cores). Full: one GPU, which a second process would share.
    """
    return min(2, os.cpu_count() or 1) if profile == "quick" else 1


def train_in_processes(todo, settings, data, out, workers: int, finished) -> None:
    """Train the runs ``todo`` in ``workers`` fresh processes, longest first; each process writes
    its runs' records and ``finished(record)`` is called here as each one arrives.

    An interruption or an error in any run stops every worker at once (``Pool.terminate``); the
    records already written stay, and the next ``run_grid`` trains only the rest.
    """
    import multiprocessing

    threads = max(1, (os.cpu_count() or 1) // workers)
    order = sorted(todo, key=_expected_cost, reverse=True)
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_start_worker, initargs=(data, threads))
    try:
        for record in pool.imap_unordered(_train_in_worker, [(run, settings, str(out)) for run in order]):
            finished(record)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _expected_cost(run) -> tuple:
    """Measured order of a run's time: Inception > ResNet > VGG; BN, then Adam, add to tracing."""
    from .experiments import MODELS

    return list(MODELS).index(run.model), run.regularization == "batchnorm", run.optimizer == "adam"


_worker_data: dict = {}


def _start_worker(data: dict, threads: int) -> None:
    """Set up a worker process: the grid's data, ``threads`` CPU threads, deterministic ops, Ctrl-C
    left to the parent, and TensorFlow started without its start-up lines (the parent's
    ``labs.setup()`` already showed what runs where; four copies would bury the progress bar)."""
    import signal

    from .environment import _start_up_lines_filtered

    global _worker_data
    _worker_data = data
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _start_up_lines_filtered():
        import keras

        if keras.config.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
            tf.config.experimental.enable_op_determinism()
            tf.config.list_logical_devices()
        elif keras.config.backend() == "torch":
            import torch

            torch.set_num_threads(threads)


def _train_in_worker(task) -> dict:
    from .experiments import train_run

    run, settings, out = task
    record = train_run(run, settings, _worker_data)
    write_record(out, record)
    return record
