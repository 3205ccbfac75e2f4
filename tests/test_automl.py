"""Tests of labs.automl: the time budget, resume/overwrite, the trial table, and no download attempts.

Tiny searches on scikit-learn's 8×8 digits (bundled, offline): 1 epoch per trial.
"""
import socket

import numpy as np
import pytest

autokeras = pytest.importorskip("autokeras")
keras = pytest.importorskip("keras")

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


def test_time_limit_resume_and_overwrite(digits, tmp_path, no_network):
    x, y, x_val, y_val = digits
    # A budget spent at once: trial 1 always runs, trial 2 of 3 must not start.
    first = automl.search(x, y, max_trials=3, epochs=1, time_limit_s=1e-3, directory=tmp_path,
                          validation_data=(x_val, y_val), project_name="digits")
    assert len(first.trials) == 1
    assert first.stopped_by_time_limit
    assert first.directory == tmp_path / "digits"
    row = first.best_trial
    assert row.status == "COMPLETED"
    assert row.parameters == first.model.count_params()
    assert row.hyperparameters["image_block_1/conv_block_1/filters_0_0"] == 32  # trial 1 = the plain CNN
    assert row.seconds > 0
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
    assert not resumed.stopped_by_time_limit
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
    names = [p.name for p in automl.search_space().space]
    assert "image_block_1/conv_block_1/kernel_size" in names
    assert not any("block_type" in name or "augment" in name for name in names)


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
            automl.TrialRow("1", "FAILED", {"optimizer": "sgd"}, None, None, None)]
    text = automl.trial_table(rows)
    assert "110,989" in text and "0.9800" in text and "FAILED" in text
    result = automl.SearchResult(model=None, trials=rows)
    assert result.best_trial.trial_id == "0"
    with pytest.raises(ValueError, match="no trial completed"):
        automl.SearchResult(model=None, trials=rows[1:]).best_trial


@pytest.mark.parametrize("arguments, message", [
    ({"max_trials": 0}, "max_trials must be a positive int"),
    ({"epochs": "1"}, "epochs must be a positive int"),
    ({"time_limit_s": -5}, "time_limit_s must be a positive number"),
    ({"time_limit_s": True}, "time_limit_s must be a positive number"),
    ({"project_name": "../elsewhere"}, "project_name must be"),
    ({"batch_size": 0}, "batch_size must be a positive int"),
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
