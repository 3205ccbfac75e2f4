"""Tests of labs.automl: the time budget, resume/overwrite, the trial table, and no download attempts.

Tiny searches on scikit-learn's 8×8 digits (bundled, offline): 1 epoch per trial, or a
deliberately slow trial that the time budget must cut short.
"""
import socket
import time

import numpy as np
import pytest

autokeras = pytest.importorskip("autokeras")
keras = pytest.importorskip("keras")
keras_tuner = pytest.importorskip("keras_tuner")

from labs import automl  # noqa: E402


class NetworkAttempt(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection or Keras file download raises NetworkAttempt."""
    from keras.src.utils import file_utils

    def refuse(*args, **kwargs):
        raise NetworkAttempt(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(keras.utils, "get_file", refuse)
    monkeypatch.setattr(file_utils, "get_file", refuse)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")
    y = data.target.astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    train, val = order[:600], order[600:800]
    return x[train], y[train], x[val], y[val]


def test_guard_catches_application_weights(no_network):
    with pytest.raises(NetworkAttempt):
        keras.applications.MobileNetV3Small(weights="imagenet", input_shape=(224, 224, 3), include_top=False)


class SlowBatches(keras.callbacks.Callback):
    """Makes every training batch take at least ``seconds``: a trial far longer than the budget."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


@pytest.mark.slow
def test_time_limit_cuts_a_running_trial_resume_and_overwrite(digits, tmp_path, no_network):
    x, y, x_val, y_val = digits
    # A slow trial (50 epochs of ~19 batches of 0.2 s: over 3 minutes) under a 5 s budget:
    # it is cut short at the deadline with its best epoch kept, and trial 2 of 3 never starts.
    budget = 5.0
    first = automl.search(x, y, max_trials=3, epochs=50, time_limit_s=budget, directory=tmp_path,
                          validation_data=(x_val, y_val), project_name="digits", callbacks=[SlowBatches(0.2)])
    assert first.seconds <= budget + automl.MARGIN_S
    assert len(first.trials) == 1
    assert first.stopped_by_time_limit
    assert first.directory == tmp_path / "digits"
    row = first.best_trial
    assert row.status == "COMPLETED" and row.cut_short and row.epochs < 50
    assert row.seconds < budget + automl.MARGIN_S
    assert row.parameters == first.model.count_params()
    assert row.hyperparameters["image_block_1/conv_block_1/filters_0_0"] == 32  # trial 1 = the compact CNN
    assert "yes" in first.table().splitlines()[1]
    # The model is the best trial's checkpoint: it scores the recorded validation accuracy.
    probabilities = first.model.predict(automl.prepare_images(x_val), verbose=0)
    assert probabilities.shape == (len(x_val), 10)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_val))
    assert accuracy == pytest.approx(row.val_accuracy, abs=1e-6)

    # Resume (the default): trial 0 is kept, the search continues to max_trials.
    resumed = automl.search(x, y, max_trials=2, epochs=1, directory=tmp_path,
                            validation_data=(x_val, y_val), project_name="digits")
    assert [t.trial_id for t in resumed.trials] == ["0", "1"]
    assert resumed.trials[0] == first.trials[0]
    assert not resumed.stopped_by_time_limit and not resumed.trials[1].cut_short
    assert resumed.trials[1].epochs == 1
    # Trial 2 builds a different network (not just other filters for unused conv layers).
    assert automl._fingerprint(resumed.trials[1].hyperparameters) != automl._fingerprint(first.trials[0].hyperparameters)
    assert resumed.best_trial.val_accuracy == max(t.val_accuracy for t in resumed.trials)
    table = resumed.table()
    assert "COMPLETED" in table and f"{row.parameters:,}" in table

    # Overwrite: a fresh project with one trial.
    fresh = automl.search(x, y, max_trials=1, epochs=1, directory=tmp_path, overwrite=True,
                          validation_data=(x_val, y_val), project_name="digits")
    assert len(fresh.trials) == 1 and not fresh.stopped_by_time_limit


def test_default_image_block_is_refused_offline(digits, tmp_path):
    x, y, _, _ = digits
    risky = automl.downloading_hyperparameters(automl.search_space(autokeras.ImageBlock(), input_shape=(8, 8, 1)))
    assert "image_block_1/block_type" in risky
    assert any(name.endswith("/pretrained") for name in risky)
    with pytest.raises(ValueError, match="ImageNet weights"):
        automl.search(x, y, max_trials=1, epochs=1, directory=tmp_path, block=autokeras.ImageBlock())
    with pytest.raises(ValueError, match="ImageNet weights"):
        automl.search(x, y, max_trials=1, epochs=1, directory=tmp_path,
                      block=autokeras.ImageBlock(block_type="resnet"))


def test_constrained_spaces_have_no_download_choice():
    assert automl.downloading_hyperparameters(automl.search_space()) == []
    resnet = automl.search_space(autokeras.ResNetBlock(pretrained=False), input_shape=(32, 32, 3))
    assert automl.downloading_hyperparameters(resnet) == []
    space = automl.search_space()
    names = [p.name for p in space.space]
    assert "image_block_1/conv_block_1/kernel_size" in names
    assert not any("block_type" in name or "augment" in name or "flip" in name for name in names)
    assert space.values["optimizer"] == "adam" and type(space.space[names.index("optimizer")]).__name__ == "Fixed"
    assert space.space[names.index("learning_rate")].values == automl.LEARNING_RATES
    # Every preset value lies in the space, so the tuner can build it.
    for preset in automl.PRESETS:
        for name, value in preset.items():
            parameter = space.space[names.index(name)]
            assert value in getattr(parameter, "values", [getattr(parameter, "value", None)]), name


def test_digit_block_trains_with_shifts_and_infers_without():
    block = automl.default_block(translation=0.1, rotation=0.03)
    assert block.name == "image_block_1" and block.get_config()["translation"] == 0.1
    hp = automl.search_space(block)
    inputs = keras.Input((28, 28, 1))
    outputs = block.build(keras_tuner.HyperParameters(), inputs)
    model = keras.Model(inputs, outputs)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "RandomTranslation" in kinds and "RandomRotation" in kinds and "RandomFlip" not in kinds
    assert hp.values["image_block_1/conv_block_1/num_blocks"] == 2
    with pytest.raises(ValueError, match="translation must be a fraction"):
        automl.default_block(translation=1.5)


def test_prepare_images():
    images = automl.prepare_images(np.full((2, 4, 4), 255, dtype=np.uint8))
    assert images.shape == (2, 4, 4, 1) and images.dtype == np.float32
    assert float(images.max()) == 1.0
    with pytest.raises(ValueError, match="N×H×W"):
        automl.prepare_images(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="dtype"):
        automl.prepare_images(np.zeros((2, 4, 4), dtype=np.int32))


def test_table_helpers():
    short = automl.short_hyperparameters({"image_block_1/conv_block_1/dropout": 0.25,
                                          "classification_head_1/dropout": 0.5, "optimizer": "adam"})
    assert short == {"dropout": 0.25, "head_dropout": 0.5, "optimizer": "adam"}
    rows = [automl.TrialRow("0", "COMPLETED", {"optimizer": "adam"}, 110_989, 0.98, 3.2),
            automl.TrialRow("1", "FAILED", {"optimizer": "sgd"}, None, None, None),
            automl.TrialRow("2", "COMPLETED", {"optimizer": "adam"}, 5_000, 0.5, 9.0, cut_short=True, epochs=1)]
    text = automl.trial_table(rows)
    assert "110,989" in text and "0.9800" in text and "FAILED" in text
    assert text.splitlines()[3].split()[2:4] == ["yes", "1"] and text.splitlines()[1].split()[2] == "no"
    result = automl.SearchResult(model=None, trials=rows)
    assert result.best_trial.trial_id == "0"
    with pytest.raises(ValueError, match="no trial completed"):
        automl.SearchResult(model=None, trials=rows[1:2]).best_trial


@pytest.mark.parametrize("arguments, message", [
    ({"max_trials": 0}, "max_trials must be a positive int"),
    ({"epochs": "1"}, "epochs must be a positive int"),
    ({"time_limit_s": -5}, "time_limit_s must be a positive number"),
    ({"time_limit_s": True}, "time_limit_s must be a positive number"),
    ({"project_name": "../elsewhere"}, "project_name must be"),
    ({"batch_size": 0}, "batch_size must be a positive int"),
    ({"min_trial_s": -1}, "min_trial_s must be"),
])
def test_bad_arguments(digits, tmp_path, arguments, message):
    x, y, _, _ = digits
    kwargs = {"max_trials": 1, "epochs": 1, "directory": tmp_path, **arguments}
    with pytest.raises(ValueError, match=message):
        automl.search(x, y, **kwargs)


def test_bad_data(digits, tmp_path):
    x, y, x_val, y_val = digits
    common = {"max_trials": 1, "epochs": 1, "directory": tmp_path}
    with pytest.raises(ValueError, match="N×H×W"):
        automl.search(x[0], y, **common)
    with pytest.raises(ValueError, match="600 integer class labels"):
        automl.search(x, y[:10], **common)
    with pytest.raises(ValueError, match="integer class labels"):
        automl.search(x, y.astype("float32"), **common)
    with pytest.raises(ValueError, match="validation_data must be a pair"):
        automl.search(x, y, validation_data=x_val, **common)
    with pytest.raises(ValueError, match="validation images have shape"):
        automl.search(x, y, validation_data=(x_val[:, :4], y_val), **common)
    with pytest.raises(TypeError, match="autokeras Block"):
        automl.search(x, y, block="vanilla", **common)
    with pytest.raises(TypeError, match="callbacks must be"):
        automl.search(x, y, callbacks=[print], **common)


def rates_seen(callback, epochs, steps):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))))
    model.fit(np.zeros((steps, 2)), np.zeros(steps), batch_size=1, epochs=epochs, verbose=0, callbacks=[callback, record])
    return seen


def test_cosine_learning_rate_over_the_planned_batches():
    seen = rates_seen(automl.CosineLearningRate(), epochs=2, steps=4)
    assert seen == pytest.approx([0.01 * 0.5 * (1 + np.cos(np.pi * k / 8)) for k in range(8)], rel=1e-5)


def test_cosine_learning_rate_anneals_by_the_deadline():
    # A deadline already reached: the schedule is at its end (rate 0) from the first batch.
    seen = rates_seen(automl.CosineLearningRate(deadline=time.monotonic() + 1e-9), epochs=1, steps=3)
    assert seen == pytest.approx([0.0] * 3, abs=1e-9)
    # A distant deadline leaves the planned schedule alone.
    seen = rates_seen(automl.CosineLearningRate(deadline=time.monotonic() + 3600), epochs=1, steps=4)
    assert seen == pytest.approx([0.01 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(4)], rel=1e-3)
