"""Neural architecture search with AutoKeras 3: a budgeted, offline-safe ``search()`` and its trial table.

The slides used AutoKeras 0.x: ``ImageClassifier(verbose=True, augment=False)``,
``fit(x_train, y_train, time_limit=0.1*60*60)``, ``evaluate(x_test, y_test)``. AutoKeras 3
dropped ``time_limit``; ``search`` restores it as a wall-clock budget for the whole call:
no trial starts once the budget is spent, and a running trial is cut short at the deadline
(its training stops after the current batch; the epoch's validation still runs and the best
epoch so far is kept). The search returns the best trial's checkpoint, with no final
retraining, so it ends within the budget plus ``MARGIN_S`` (one batch, one validation pass,
saving and reloading the best model).

Offline safety. ``ak.ImageClassifier`` searches ``ImageInput → ImageBlock() →
ClassificationHead`` with a free ``ImageBlock``: its ``block_type`` ranges over resnet,
xception, vanilla and efficient, and its preset trials 2 and 3 are ResNet50 and an
EfficientNetB7 with ``pretrained=True``, which call ``keras.utils.get_file`` for ImageNet
weights. ``search`` builds the same pipeline as an ``ak.AutoModel`` around a block of plain
CNNs (default ``default_block()``: normalised input, small shifts and rotations of the digits
while training, never flips, then a vanilla ``ConvBlock``), so no trial can ask for weights;
a block whose space still holds a ``pretrained`` or free ``block_type`` choice is refused.

Schedule. Each trial trains with Adam, a learning rate that follows a cosine from its
starting value to zero over the trial's epochs, or sooner, by the deadline, when the budget
ends first (so a trial cut short still ends annealed), and an early stop after 3 epochs
without progress; the optimizer is fixed to Adam and the learning rate to two values, so that the
greedy tuner spends its trials on the architecture.
"""
from __future__ import annotations

import functools
import json
import math
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import notice, seed as set_seed, work_dir

OBJECTIVE = "val_accuracy"
TRIAL_RECORDS = "labs_trials.json"
MARGIN_S = 60.0   # what a search may overrun its budget by: a batch, a validation pass, saving and reloading
LEARNING_RATES = [2e-3, 1e-3]   # the learning rates a trial may start from (Adam, cosine to zero); the first is the default
# Trial 1: a compact CNN (two blocks of one 3×3 convolution, 32 and 64 filters, each followed
# by 2×2 max pooling), about 35,000 parameters; the greedy tuner then changes one group of
# hyperparameters of the best trial at a time.
COMPACT_CNN = {
    "image_block_1/conv_block_1/kernel_size": 3,
    "image_block_1/conv_block_1/num_blocks": 2,
    "image_block_1/conv_block_1/num_layers": 1,
    "image_block_1/conv_block_1/dropout": 0.0,
    "image_block_1/conv_block_1/filters_0_0": 32,
    "image_block_1/conv_block_1/filters_1_0": 64,
    "classification_head_1/spatial_reduction_1/reduction_type": "flatten",
    "classification_head_1/dropout": 0.25,
    "optimizer": "adam",
    "learning_rate": 2e-3,
}
PRESETS = [COMPACT_CNN]


@dataclass
class TrialRow:
    """One trial: id, status, active hyperparameters, parameters, best validation accuracy, seconds, cut short, epochs run."""

    trial_id: str
    status: str
    hyperparameters: dict
    parameters: int | None
    val_accuracy: float | None
    seconds: float | None
    cut_short: bool = False
    epochs: int | None = None


@dataclass
class SearchResult:
    """What ``search`` returns: the best exported Keras model and the table of all trials."""

    model: object
    trials: list = field(default_factory=list)
    directory: Path | None = None
    stopped_by_time_limit: bool = False
    seconds: float = 0.0

    @property
    def best_trial(self) -> TrialRow:
        """The completed trial with the highest validation accuracy (the one ``model`` comes from)."""
        done = [t for t in self.trials if t.val_accuracy is not None]
        if not done:
            raise ValueError("no trial completed: nothing to pick")
        return max(done, key=lambda t: t.val_accuracy)

    def table(self) -> str:
        """The trials as a text table."""
        return trial_table(self.trials)

    def __str__(self) -> str:
        return self.table()


def short_hyperparameters(values: dict) -> dict:
    """Hyperparameters with AutoKeras's scope prefixes dropped (``head_`` marks the head's)."""
    short = {}
    for name, value in values.items():
        leaf = name.rsplit("/", 1)[-1]
        if name.startswith("classification_head"):
            leaf = "head_" + leaf
        short[leaf] = value
    return short


def trial_table(trials) -> str:
    """A text table: trial, status, cut short, epochs, parameters, validation accuracy, seconds, hyperparameters."""
    lines = [f"{'trial':>5}  {'status':<9} {'cut short':<9} {'epochs':>6} {'parameters':>11}  {'val acc':>7}  "
             f"{'seconds':>7}  hyperparameters"]
    for row in trials:
        parameters = f"{row.parameters:,}" if row.parameters is not None else "-"
        accuracy = f"{row.val_accuracy:.4f}" if row.val_accuracy is not None else "-"
        seconds = f"{row.seconds:.1f}" if row.seconds is not None else "-"
        epochs = str(row.epochs) if row.epochs is not None else "-"
        cut = "yes" if row.cut_short else "no"
        hyper = ", ".join(f"{k}={v}" for k, v in short_hyperparameters(row.hyperparameters).items())
        lines.append(f"{row.trial_id:>5}  {row.status:<9} {cut:<9} {epochs:>6} {parameters:>11}  {accuracy:>7}  "
                     f"{seconds:>7}  {hyper}")
    return "\n".join(lines)


def default_block(translation: float = 0.1, rotation: float = 0.03):
    """The offline-safe search space for digits (an ``ak.ImageBlock`` named ``image_block_1``).

    Normalise the input, then, while training only, shift each image by up to
    ``translation`` of its size and rotate it by up to ``rotation`` × 360° (no flips: a
    flipped 2 is no 2), then a vanilla ``ConvBlock``: 1–3 blocks of 1–2 convolutions of 3×3
    or 5×5 with 16–128 filters, each block max-pooled, dropout 0 or 0.25.
    """
    for name, value in (("translation", translation), ("rotation", rotation)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return _tuner_classes()[2](translation=float(translation), rotation=float(rotation), name="image_block_1")


def search_space(block=None, *, input_shape=(28, 28, 1), num_classes: int = 10):
    """The hyperparameters a block and the classification head register (built once with defaults).

    Returns a ``keras_tuner.HyperParameters``; ``.space`` lists them, ``.values`` their defaults.
    """
    import keras

    block = block if block is not None else default_block()
    _check_block(block)
    graph = _graph(block.__class__.from_config(block.get_config()))  # a copy: leave the caller's block unwired
    # set_io_shapes flattens nested tuples: pass each shape as one (object) array, batch axis first.
    graph.set_io_shapes((np.array([None, *input_shape], dtype=object), np.array([None, num_classes], dtype=object)))
    for head in _heads(graph):
        head.num_classes = num_classes
    hp = _search_hyperparameters()   # as the tuner starts: Adam fixed, two learning rates
    keras.backend.clear_session()  # inner blocks are named when built: conv_block_1, as in a trial
    graph.build(hp)
    keras.backend.clear_session()
    return hp


def downloading_hyperparameters(hp) -> list[str]:
    """Names of hyperparameters that can make a trial fetch ImageNet weights.

    A free ``block_type`` (it can pick ``efficient``/``resnet``/``xception``) and any
    ``pretrained`` choice that is not fixed to ``False``.
    """
    risky = []
    for parameter in hp.space:
        leaf = parameter.name.rsplit("/", 1)[-1]
        if leaf == "block_type":
            risky.append(parameter.name)
        elif leaf == "pretrained":
            values = getattr(parameter, "values", None)
            fixed_false = getattr(parameter, "value", None) is False or values == [False]
            if not fixed_false:
                risky.append(parameter.name)
    return risky


def search(x, y, *, max_trials: int, epochs: int, time_limit_s: float | None = None,
           directory=None, seed: int = 0, validation_data=None, overwrite: bool = False,
           project_name: str = "mnist", block=None, batch_size: int = 32, min_trial_s: float = 0.0,
           callbacks=None, verbose: int = 0) -> SearchResult:
    """Search CNN architectures for images ``x`` (N×H×W or N×H×W×C, uint8 or [0,1]) and labels ``y``.

    ``max_trials`` counts all trials of the project, earlier runs included; ``epochs`` per
    trial (a cosine learning-rate schedule over them, an early stop after 3 epochs without
    progress). ``time_limit_s``: the wall-clock budget of this call, from its start to its
    return (``None``: no limit): no trial starts once it is spent, or once less than
    ``min_trial_s`` of it is left (the first trial of a call always starts), and a running
    trial is cut short at the deadline, keeping its best epoch; the call returns within
    ``time_limit_s + MARGIN_S``. ``directory``: where the project lives, default
    ``work_dir()/autokeras`` (the data directory unless ``LABS_WORK_DIR`` is set); the project
    folder is ``directory/project_name``. ``overwrite=False`` resumes: finished trials are
    kept and the search continues up to ``max_trials``; ``overwrite=True`` deletes the
    project first. ``validation_data`` picks the best trial; default: a seeded 10% of
    ``(x, y)``. The returned model is the best trial's checkpoint (no retraining) and takes
    float32 N×H×W×C images in [0, 1]. ``block``: the search space between input and head,
    default ``default_block()``; a block that could pick ImageNet weights raises
    ``ValueError``. ``callbacks``: more Keras callbacks for every trial. ``verbose`` is passed
    to Keras (0: one notice per trial). Trials whose proposal would rebuild an earlier
    network are redrawn.
    """
    start, clock = time.perf_counter(), time.monotonic()   # the budget counts from here
    import autokeras as ak
    import keras

    _check_positive_int("max_trials", max_trials)
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    if time_limit_s is not None and not _positive(time_limit_s):
        raise ValueError(f"time_limit_s must be a positive number of seconds or None, got {time_limit_s!r}")
    if isinstance(min_trial_s, bool) or not isinstance(min_trial_s, (int, float)) or not 0 <= min_trial_s < math.inf:
        raise ValueError(f"min_trial_s must be a number of seconds >= 0, got {min_trial_s!r}")
    if not isinstance(project_name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", project_name):
        raise ValueError(f"project_name must be letters, digits, '_', '-' or '.', got {project_name!r}")
    callbacks = list(callbacks or [])
    if not all(isinstance(callback, keras.callbacks.Callback) for callback in callbacks):
        raise TypeError("callbacks must be a list of keras.callbacks.Callback")
    x, y = prepare_images(x, "x"), _labels(y, "y", len(x))
    if validation_data is None:
        x, y, x_val, y_val = _hold_out(x, y, fraction=0.1, seed=seed)
    else:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        x_val = prepare_images(validation_data[0], "validation_data[0]")
        y_val = _labels(validation_data[1], "validation_data[1]", len(x_val))
        if x_val.shape[1:] != x.shape[1:]:
            raise ValueError(f"validation images have shape {x_val.shape[1:]}, training images {x.shape[1:]}")
    num_classes = int(max(y.max(), y_val.max())) + 1

    block = block if block is not None else default_block()
    risky = downloading_hyperparameters(search_space(block, input_shape=x.shape[1:], num_classes=num_classes))
    if risky:
        raise ValueError(f"block can choose ImageNet weights (downloads) through {risky}; "
                         "fix block_type='vanilla' or use ak.ResNetBlock/XceptionBlock(pretrained=False)")
    root = Path(directory) if directory is not None else work_dir() / "autokeras"
    root.mkdir(parents=True, exist_ok=True)

    set_seed(seed)
    inputs = ak.ImageInput(name="image_input")
    outputs = ak.ClassificationHead(num_classes=num_classes, name="classification_head_1")(block(inputs))
    auto_model = ak.AutoModel(inputs=inputs, outputs=outputs, project_name=project_name, directory=str(root),
                              max_trials=max_trials, objective=OBJECTIVE, tuner=_tuner_classes()[1],
                              overwrite=overwrite, seed=seed or None)
    tuner = auto_model.tuner
    tuner.oracle.max_trials = max_trials  # a resumed project keeps the new limit
    tuner.oracle.start_budget(None if time_limit_s is None else clock + time_limit_s, min_trial_s)
    # Passing validation data and an EarlyStopping keeps AutoKeras from retraining the best
    # model after the search: the returned model is the best trial's checkpoint.
    stop_early = keras.callbacks.EarlyStopping(monitor=OBJECTIVE, mode="max", patience=3)
    with warnings.catch_warnings():
        # AutoKeras 3.0 calls its models with bare tensors and reloads checkpoints without
        # optimizer state: both warnings are harmless here.
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        auto_model.fit(x, keras.utils.to_categorical(y, num_classes), epochs=epochs, batch_size=batch_size,
                       validation_data=(x_val, keras.utils.to_categorical(y_val, num_classes)),
                       callbacks=[stop_early, *callbacks], verbose=verbose)
        model = auto_model.export_model()
    trials = _trial_rows(tuner)
    return SearchResult(model=model, trials=trials, directory=Path(tuner.project_dir),
                        stopped_by_time_limit=tuner.oracle.stopped_by_time_limit or any(
                            t.cut_short for t in trials[tuner.oracle.trials_before:]),
                        seconds=time.perf_counter() - start)


def _positive(seconds) -> bool:
    return (not isinstance(seconds, bool) and isinstance(seconds, (int, float))
            and seconds > 0 and not math.isinf(seconds))


def prepare_images(x, name: str = "x") -> np.ndarray:
    """Images as float32 N×H×W×C in [0, 1] (uint8 divided by 255, a channel axis added to N×H×W)."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"{name} must be N×H×W or N×H×W×C images, got shape {x.shape}")
    if x.dtype == np.uint8:
        return x.astype("float32") / 255.0
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be uint8 or floating point, got dtype {x.dtype}")
    return x.astype("float32")


def _labels(y, name, count) -> np.ndarray:
    y = np.asarray(y).reshape(-1) if np.ndim(y) == 2 and np.shape(y)[1] == 1 else np.asarray(y)
    if y.ndim != 1 or len(y) != count:
        raise ValueError(f"{name} must hold {count} integer class labels (N or N×1), got shape {np.shape(y)}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"{name} must be non-negative integer class labels, got dtype {y.dtype}")
    return y.astype("int64")


def _hold_out(x, y, *, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(x))
    count = max(1, int(round(fraction * len(x))))
    if count >= len(x):
        raise ValueError(f"x holds {len(x)} images: too few to hold out validation data; pass validation_data")
    held, kept = order[:count], order[count:]
    return x[kept], y[kept], x[held], y[held]


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _graph(block):
    import autokeras as ak
    from autokeras import graph as graph_module

    inputs = ak.ImageInput()
    outputs = ak.ClassificationHead(name="classification_head_1")(block(inputs))
    return graph_module.Graph(inputs=inputs, outputs=outputs)


def _check_block(block):
    import autokeras as ak

    if not isinstance(block, ak.Block):
        raise TypeError(f"block must be an autokeras Block such as ak.ImageBlock(...), got {type(block).__name__}")


def _heads(graph):
    return [node.in_blocks[0] for node in graph.outputs]


def _active(hp) -> dict:
    """The hyperparameters a trial used: active ones, without filters of unused conv layers."""
    return _used({name: value for name, value in hp.values.items() if hp.is_active(name)})


def _used(values: dict) -> dict:
    """``values`` without the ``filters_i_j`` of conv layers beyond ``num_blocks`` × ``num_layers``."""
    blocks_ = {n.rsplit("/", 1)[0]: v for n, v in values.items() if n.endswith("/num_blocks")}
    layers_ = {n.rsplit("/", 1)[0]: v for n, v in values.items() if n.endswith("/num_layers")}
    kept = {}
    for name, value in values.items():
        match = re.fullmatch(r"(.*)/filters_(\d+)_(\d+)", name)
        if match and match.group(1) in blocks_ and (int(match.group(2)) >= blocks_[match.group(1)]
                                                   or int(match.group(3)) >= layers_.get(match.group(1), 99)):
            continue
        kept[name] = value
    return kept


def _fingerprint(values: dict) -> str:
    return json.dumps(_used(values), sort_keys=True, default=str)


def _trial_rows(tuner) -> list[TrialRow]:
    records = _load_records(tuner.project_dir)
    rows = []
    for trial_id in tuner.oracle.start_order:
        trial = tuner.oracle.trials[trial_id]
        record = records.get(trial_id, {})
        score = trial.score if trial.status == "COMPLETED" else None
        rows.append(TrialRow(trial_id=trial_id, status=str(trial.status), hyperparameters=_active(trial.hyperparameters),
                             parameters=record.get("parameters"),
                             val_accuracy=None if score is None else float(score), seconds=record.get("seconds"),
                             cut_short=bool(record.get("cut_short", False)), epochs=record.get("epochs")))
    return rows


def _load_records(project_dir) -> dict:
    path = Path(project_dir) / TRIAL_RECORDS
    return json.loads(path.read_text()) if path.is_file() else {}


def _search_hyperparameters():
    """What the tuner may not change: Adam, and a learning rate of ``LEARNING_RATES`` (the architecture is searched)."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    hp.Fixed("optimizer", "adam")
    hp.Choice("learning_rate", LEARNING_RATES, default=LEARNING_RATES[0])
    return hp


@functools.cache
def _tuner_classes():
    """Define the budgeted oracle, tuner, digit block and trial callbacks on first use (AutoKeras imports TensorFlow)."""
    import keras
    import keras_tuner
    import autokeras as ak
    from autokeras.blocks import basic, preprocessing
    from autokeras.tuners import greedy
    from keras import layers

    class TimeBudgetOracle(greedy.GreedyOracle):
        """AutoKeras's greedy oracle that refuses to start a trial once the time budget is spent."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.deadline = None
            self.min_trial_s = 0.0
            self.trials_before = 0
            self.stopped_by_time_limit = False

        def start_budget(self, deadline, min_trial_s=0.0):
            """Count the budget of this search call: ``deadline`` on ``time.monotonic()``'s clock, or ``None``."""
            self.trials_before = len(self.start_order)
            self.stopped_by_time_limit = False
            self.deadline = deadline
            self.min_trial_s = float(min_trial_s)

        def seconds_left(self):
            return math.inf if self.deadline is None else self.deadline - time.monotonic()

        def populate_space(self, trial_id):
            """AutoKeras's greedy proposal, redrawn while it builds the same network as an earlier trial.

            The greedy oracle may mutate only the filters of unused conv layers (``filters_1_0``
            when ``num_blocks`` is 1): a new hash, the same model, a wasted trial.
            """
            seen = {_fingerprint(trial.hyperparameters.values) for trial in self.trials.values()}
            for _ in range(self._max_collisions):
                response = super().populate_space(trial_id)
                if response.get("values") is None or _fingerprint(response["values"]) not in seen:
                    return response
            return response

        def create_trial(self, tuner_id):
            started = len(self.start_order) - self.trials_before
            spent = self.deadline is not None and self.seconds_left() <= self.min_trial_s
            below_max = not self.max_trials or len(self.trials) < self.max_trials
            if spent and started >= 1 and below_max and tuner_id not in self.ongoing_trials:
                self.stopped_by_time_limit = True
                return keras_tuner.engine.trial.Trial(self.get_space(), status="STOPPED")
            return super().create_trial(tuner_id)

    class Deadline(keras.callbacks.Callback):
        """Stop training at ``deadline`` (``time.monotonic()``), after the current batch; the epoch is still validated."""

        def __init__(self, deadline):
            super().__init__()
            self.deadline = deadline
            self.cut_short = False

        def _check(self):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.model.stop_training = True
                self.cut_short = True

        def on_train_batch_end(self, batch, logs=None):
            self._check()

        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 < self.params.get("epochs", 0):  # no epoch is cut by the end of the last one
                self._check()

    class CosineLearningRate(keras.callbacks.Callback):
        """Learning rate lr₀ · ½(1 + cos(π p)), set before each batch, p the progress of the trial from 0 to 1.

        p is the larger of the share of planned batches done and, with a ``deadline``
        (``time.monotonic()``), the share of the time from the start of training to the
        deadline spent: a trial that the deadline will cut short still ends with its rate
        annealed towards zero (budgeted training, Li, Yumer & Ramanan, ICLR 2020).
        """

        def __init__(self, deadline=None):
            super().__init__()
            self.deadline = deadline

        def on_train_begin(self, logs=None):
            rate = self.model.optimizer._learning_rate
            self.start = None if callable(rate) else float(keras.ops.convert_to_numpy(rate))
            self.began = time.monotonic()
            self.epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def progress(self, batch):
            steps, epochs = self.params.get("steps"), self.params["epochs"]
            done = (self.epoch + batch / steps) / epochs if steps else self.epoch / epochs
            if self.deadline is not None:
                span = self.deadline - self.began
                done = max(done, (time.monotonic() - self.began) / span if span > 0 else 1.0)
            return min(1.0, done)

        def on_train_batch_begin(self, batch, logs=None):
            if self.start is not None:
                self.model.optimizer.learning_rate = self.start * 0.5 * (1 + math.cos(math.pi * self.progress(batch)))

    class BudgetedGreedy(greedy.Greedy):
        """AutoKeras's greedy tuner with the time budget, the schedule, the presets, and a record per trial."""

        def __init__(self, hypermodel, objective=OBJECTIVE, max_trials=10, seed=None, **kwargs):
            oracle = TimeBudgetOracle(objective=objective, max_trials=max_trials, seed=seed,
                                      initial_hps=[dict(preset) for preset in PRESETS],
                                      hyperparameters=_search_hyperparameters())
            self.seed = seed
            greedy.tuner_module.AutoTuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)

        def search(self, *args, **kwargs):
            self._finished = False  # resuming with a larger max_trials continues the search
            return super().search(*args, **kwargs)

        def _try_build(self, hp):
            model = super()._try_build(hp)
            self._last_parameters = int(model.count_params())
            return model

        def _build_and_fit_model(self, trial, *args, **kwargs):
            start = time.perf_counter()
            deadline = Deadline(self.oracle.deadline)
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), CosineLearningRate(self.oracle.deadline), deadline]
            history = super()._build_and_fit_model(trial, *args, **kwargs)
            seconds = time.perf_counter() - start
            path = Path(self.project_dir) / TRIAL_RECORDS
            records = _load_records(self.project_dir)
            epochs_run = len(history.history.get(OBJECTIVE, []))
            records[trial.trial_id] = {"parameters": self._last_parameters, "seconds": seconds,
                                       "cut_short": deadline.cut_short, "epochs": epochs_run}
            path.write_text(json.dumps(records, indent=1))
            accuracy = max(history.history.get(OBJECTIVE, [float("nan")]))
            notice(f"trial {trial.trial_id}: {self._last_parameters:,} parameters, {epochs_run} epoch(s)"
                   f"{', cut short at the deadline' if deadline.cut_short else ''}, "
                   f"{OBJECTIVE} {accuracy:.4f}, {seconds:.1f} s")
            return history

    @keras.saving.register_keras_serializable(package="labs")
    class DigitImageBlock(ak.ImageBlock):
        """``ImageBlock(block_type="vanilla", normalize=True, augment=False)`` plus shifts and rotations suited to digits."""

        def __init__(self, translation=0.1, rotation=0.03, **kwargs):
            kwargs.update(block_type="vanilla", normalize=True, augment=False)
            super().__init__(**kwargs)
            self.translation = translation
            self.rotation = rotation

        def get_config(self):
            config = super().get_config()
            config.update(translation=self.translation, rotation=self.rotation)
            return config

        def build(self, hp, inputs=None):
            node = keras.tree.flatten(inputs)[0]
            node = preprocessing.Normalization().build(hp, node)
            if self.translation:   # active while training only; the border pixel fills in (background)
                node = layers.RandomTranslation(self.translation, self.translation, fill_mode="nearest")(node)
            if self.rotation:
                node = layers.RandomRotation(self.rotation, fill_mode="nearest")(node)
            choice = keras_tuner.engine.hyperparameters.Choice
            conv = basic.ConvBlock(kernel_size=choice("kernel_size", [3, 5], default=3),
                                   num_blocks=choice("num_blocks", [1, 2, 3], default=2),
                                   num_layers=choice("num_layers", [1, 2], default=1),
                                   filters=choice("filters", [16, 32, 64, 128], default=32),
                                   dropout=choice("dropout", [0.0, 0.25], default=0.0),
                                   max_pooling=True, separable=False)
            return conv.build(hp, node)

    return TimeBudgetOracle, BudgetedGreedy, DigitImageBlock, Deadline, CosineLearningRate


def __getattr__(name):
    names = ("TimeBudgetOracle", "BudgetedGreedy", "DigitImageBlock", "Deadline", "CosineLearningRate")
    if name in names:
        classes = dict(zip(names, _tuner_classes()))
        globals().update(classes)
        return classes[name]
    raise AttributeError(f"module 'labs.automl' has no attribute {name!r}")
