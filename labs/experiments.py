"""Lab 06's controlled experiment: a grid of runs whose records survive interruptions.

One run = (model, optimizer, regularization, seed, budget) → a record (test accuracy, best
validation accuracy, epochs, wall time, images/s, parameters, history, the configuration and
the versions), written atomically as ``OUT/RUN_ID.json`` by ``labs.records``.

``run_grid(out)`` trains only the runs without a valid record, so a grid stopped by Ctrl-C,
a crash or a killed kernel resumes where it stopped and loses no finished run. A record that
does not parse, lacks a field, or was made with another configuration is not trusted: the
run is trained again. ``workers=2`` trains two runs at once (``labs.workers``).
"""
from __future__ import annotations

import fnmatch
import html
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from . import slides as _slides
from .arith import trainable_params
from .config import notice
from .recipe import OPTIMIZERS, Recipe, recipe
from .records import RECORD_FIELDS, load_results, read_record, record_path, write_record
from .workers import default_workers, train_in_processes

__all__ = ["CHANCE", "CIFAR100_CLASSES", "COLUMNS", "MODELS", "MODEL_TITLES", "RECORD_FIELDS", "REGULARIZATIONS",
           "REGULARIZATION_TITLES", "SLIDES_TABLE", "ResultsTable", "Run",
           "default_workers", "estimated_gpu_seconds", "grid_runs", "load_grid_data", "load_results",
           "read_record", "results_table", "run_config", "run_grid", "train_run", "write_record"]

MODELS = {"vgg16": "vgg16_cifar", "resnet18": "resnet18_cifar", "inception_v2": "inception_v2_cifar"}
MODEL_TITLES = {"vgg16": "VGG16", "resnet18": "ResNet18", "inception_v2": "InceptionV2"}
REGULARIZATIONS = ("none", "batchnorm", "dropout")
REGULARIZATION_TITLES = {"none": "none", "batchnorm": "BatchNorm", "dropout": "Dropout"}
COLUMNS = tuple((o, r) for o in OPTIMIZERS for r in REGULARIZATIONS)
CHANCE = 0.01
# CIFAR-100's 100 fine labels in label order (alphabetical, as in the archive's ``meta`` file).
CIFAR100_CLASSES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly "
    "camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup "
    "dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower "
    "leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid "
    "otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road "
    "rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower "
    "sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale "
    "willow_tree wolf woman worm").split()


@dataclass(frozen=True)
class Run:
    """One cell of the grid for one seed."""

    model: str
    optimizer: str
    regularization: str
    seed: int = 0

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {tuple(MODELS)}, got {self.model!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(f"regularization must be one of {REGULARIZATIONS}, got {self.regularization!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")

    @property
    def run_id(self) -> str:
        """Stable file name of the run, e.g. ``resnet18-sgd-batchnorm-seed0``."""
        return f"{self.model}-{self.optimizer}-{self.regularization}-seed{self.seed}"


def grid_runs(seeds=(0,), only: str | None = None) -> list[Run]:
    """The 3 × 2 × 3 runs per seed, in table order, keeping those whose id matches the glob ``only``."""
    runs = [Run(m, o, r, s) for s in seeds for m in MODELS for o, r in COLUMNS]
    if only is not None:
        runs = [run for run in runs if fnmatch.fnmatchcase(run.run_id, only)]
        if not runs:
            raise ValueError(f"only={only!r} matches no run id; ids look like 'resnet18-sgd-batchnorm-seed0'")
    return runs


def run_config(run: Run, settings: Recipe) -> dict:
    """What decides a run's result: the cell, the seed and the whole recipe (the budget)."""
    from .environment import backend

    from .config import seed_offset

    config = {"model": run.model, "optimizer": run.optimizer, "regularization": run.regularization,
              "seed": run.seed, "recipe": settings.as_dict(), "backend": backend()}
    if seed_offset():  # LABS_SEED shifts every seed: such a run is another run
        config["seed_offset"] = seed_offset()
    return config


# ---------------------------------------------------------------- training
def load_grid_data(settings: Recipe, split_seed: int = 0) -> dict:
    """CIFAR-100 (or its stand-in) split into train / validation / test, cut to the recipe's sizes."""
    from . import data
    from .config import PROFILE_VARIABLE

    previous = os.environ.get(PROFILE_VARIABLE)
    os.environ[PROFILE_VARIABLE] = settings.profile  # the loader picks real data or a stand-in by profile
    try:
        (x_train, y_train), (x_test, y_test) = data.load_cifar100()
    finally:
        if previous is None:
            os.environ.pop(PROFILE_VARIABLE)
        else:
            os.environ[PROFILE_VARIABLE] = previous
    order = np.random.default_rng(split_seed).permutation(len(x_train))
    validation, train = order[: settings.validation_images], order[settings.validation_images:]
    train = train[: settings.train_images]
    test = slice(None, settings.test_images)
    return {"x_train": x_train[train], "y_train": y_train[train].reshape(-1),
            "x_val": x_train[validation], "y_val": y_train[validation].reshape(-1),
            "x_test": x_test[test], "y_test": y_test[test].reshape(-1)}


def train_run(run: Run, settings: Recipe, data: dict, callbacks=()) -> dict:
    """Train and test one run; returns its record (nothing is written)."""
    import keras

    from . import models
    from .config import derived_seed, seed as seed_everything
    from .environment import versions
    from .recipe import channel_statistics, optimizer, training_model
    from .training import Throughput

    start = time.perf_counter()
    seed_everything(run.seed)
    keras.backend.clear_session()
    classes = 100
    network = getattr(models, MODELS[run.model])(num_classes=classes, regularization=run.regularization,
                                                 width=settings.width)
    mean, std = channel_statistics(data["x_train"])
    model = training_model(network, mean, std, settings, seed=derived_seed(run.seed))
    steps = int(np.ceil(len(data["x_train"]) / settings.batch_size))
    y_train, y_val, y_test = data["y_train"], data["y_val"], data["y_test"]
    if settings.label_smoothing:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=settings.label_smoothing)
        y_train, y_val, y_test = (keras.utils.to_categorical(y, classes) for y in (y_train, y_val, y_test))
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=optimizer(run.optimizer, run.regularization, settings, steps), loss=loss,
                  metrics=["accuracy"], jit_compile=settings.jit_compile)
    _build_state(model, data["x_train"][:2], y_train[:2])
    throughput = Throughput(len(data["x_train"]))
    history = model.fit(data["x_train"], y_train, batch_size=settings.batch_size, epochs=settings.epochs,
                        validation_data=(data["x_val"], y_val), validation_batch_size=settings.eval_batch_size,
                        callbacks=[throughput, *callbacks], verbose=0)
    _, test_accuracy = model.evaluate(data["x_test"], y_test, batch_size=settings.eval_batch_size, verbose=0)
    curves = {name: [float(v) for v in values] for name, values in history.history.items()}
    return {
        "run_id": run.run_id,
        "config": run_config(run, settings),
        "test_accuracy": float(test_accuracy),
        "best_val_accuracy": float(max(curves["val_accuracy"])),
        "epochs": len(curves["loss"]),
        "wall_seconds": time.perf_counter() - start,
        "images_per_second": float(throughput.images_per_second),
        "parameters": int(network.count_params()),
        "trainable_parameters": trainable_params(network),
        "history": curves,
        "versions": versions(),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _build_state(model, x, y) -> None:
    """Create the metrics', the loss's and the optimizer's variables before ``fit``.

    Keras on TensorFlow otherwise creates them while tracing the first training step, and a
    ``tf.function`` that creates variables is traced a second time: on the narrow quick-profile
    models tracing costs more than the epoch itself, so this halves a run's set-up time.
    """
    predictions = model(x, training=False)
    model.compute_loss(x, y, predictions)
    model.compute_metrics(x, y, predictions, sample_weight=None)
    model.reset_metrics()
    model.optimizer.build(model.trainable_variables)


def run_grid(out, profile: str | None = None, only: str | None = None, *, settings: Recipe | None = None,
             seeds=(0,), data: dict | None = None, callbacks=(), progress: bool = True, workers: int = 1) -> list[dict]:
    """Train every run of the grid that has no valid record in ``out``; return all its records.

    ``profile`` picks the recipe (default ``labs.profile()``), ``settings`` replaces it, ``only``
    keeps run ids matching a glob (``"resnet18-*"``). Each finished run is written at once, so
    an interruption loses only the runs in progress, which the next call trains again.
    ``workers > 1`` trains that many runs at once, each in its own process (``callbacks`` then
    cannot be used: they would run in another process).
    """
    from tqdm.auto import tqdm

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if workers > 1 and callbacks:
        raise ValueError("callbacks run only with workers=1: with more, runs train in other processes")
    settings = settings or recipe(profile)
    runs = grid_runs(seeds, only)
    records, todo = {}, []
    for run in runs:
        record = read_record(record_path(out, run.run_id))
        if record is not None and record["config"] == run_config(run, settings):
            records[run.run_id] = record
        else:
            if record_path(out, run.run_id).exists():
                notice(f"{run.run_id}: record unreadable or from another configuration; training it again")
            todo.append(run)
    if records:
        notice(f"{len(records)} of {len(runs)} runs already have records in {out}")
    if todo:
        data = data if data is not None else load_grid_data(settings)
        with tqdm(total=len(todo), desc="grid", unit="run", disable=not progress) as bar:
            def finished(record):
                records[record["run_id"]] = record
                bar.set_postfix_str(record["run_id"])
                bar.update()

            if workers == 1 or len(todo) == 1:
                for run in todo:
                    bar.set_postfix_str(run.run_id)
                    record = train_run(run, settings, data, callbacks)
                    write_record(out, record)
                    finished(record)
            else:
                train_in_processes(todo, settings, data, out, min(workers, len(todo)), finished)
    return [records[run.run_id] for run in runs]


# ---------------------------------------------------------------- the 3 × 6 table
@dataclass
class ResultsTable:
    """Models × (optimizer, regularization) values, ``nan`` where a cell has no record."""

    values: np.ndarray
    rows: tuple = tuple(MODELS)
    columns: tuple = COLUMNS
    title: str = "test accuracy"

    def cell(self, model: str, optimizer: str, regularization: str) -> float:
        return float(self.values[self.rows.index(model), self.columns.index((optimizer, regularization))])

    def __sub__(self, other: "ResultsTable") -> "ResultsTable":
        return ResultsTable(self.values - other.values, self.rows, self.columns, f"{self.title} − {other.title}")

    def column_titles(self) -> list[str]:
        return [f"{o.upper() if o == 'sgd' else o.title()} {REGULARIZATION_TITLES[r]}" for o, r in self.columns]

    def __str__(self) -> str:
        titles = self.column_titles()
        lines = [self.title, f"{'model':<12}" + "".join(f"{t:>15}" for t in titles)]
        for row, values in zip(self.rows, self.values):
            lines.append(f"{MODEL_TITLES.get(row, row):<12}" + "".join(f"{v:>15.4f}" for v in values))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(t)}</th>" for t in self.column_titles())
        body = "".join(
            f"<tr><th>{html.escape(MODEL_TITLES.get(row, row))}</th>" + "".join(f"<td>{v:.4f}</td>" for v in values) + "</tr>"
            for row, values in zip(self.rows, self.values))
        return f"<table><caption>{html.escape(self.title)}</caption><tr><th>model</th>{head}</tr>{body}</table>"


def results_table(records, metric: str = "test_accuracy", seed: int | None = None) -> ResultsTable:
    """The 3 × 6 table of ``metric`` (mean over seeds, or one ``seed``) from run records."""
    sums = np.zeros((len(MODELS), len(COLUMNS)))
    counts = np.zeros_like(sums)
    for record in records:
        config = record["config"]
        if seed is not None and config["seed"] != seed:
            continue
        i = list(MODELS).index(config["model"])
        j = COLUMNS.index((config["optimizer"], config["regularization"]))
        sums[i, j] += float(record[metric])
        counts[i, j] += 1
    with np.errstate(invalid="ignore"):
        return ResultsTable(sums / counts, title=metric.replace("_", " "))


# The slides' table (test accuracy on CIFAR-100), rows VGG16, ResNet18, InceptionV2; columns
# SGD none/BN/Dropout, Adam none/BN/Dropout: rows D2-47 to D2-49 of labs.slides, the one source.
SLIDES_TABLE = ResultsTable(np.array([list(_slides.value(row_id).values()) for row_id in ("D2-47", "D2-48", "D2-49")]),
                            title="slides' test accuracy")


def estimated_gpu_seconds(macs_per_image: float, settings: Recipe, achieved_tflops: float = 15.0) -> float:
    """Estimated training time of one run: 3 · 2 · MACs per training image (forward + backward
    ≈ 3 forward passes, 2 FLOPs per MAC) · images seen, plus one forward pass per validation
    and test image, divided by the FLOP rate a GPU sustains on these small convolutions
    (``achieved_tflops``; an assumption, not a measurement)."""
    if achieved_tflops <= 0:
        raise ValueError(f"achieved_tflops must be positive, got {achieved_tflops!r}")
    train = settings.train_images or 45_000
    evaluated = settings.epochs * settings.validation_images + (settings.test_images or 10_000)
    flops = 2 * macs_per_image * (3 * settings.epochs * train + evaluated)
    return flops / (achieved_tflops * 1e12)
