"""Genuine data: the 107,786-parameter LeNet-5 learns real MNIST digits quickly, on both real data paths.

Needs LABS_DATA_DIR pointing at a folder with the genuine MNIST IDX files (CI's second step:
``../shared/datasets``); a fresh clone skips it. Through ``labs.data.load_mnist`` in the quick
profile it trains ``lenet5("keras")`` on 8,000 images and tests on 2,000: the test split
carved 8,000/2,000 when only the test files are there, else 8,000 of the 60,000 real training
images (the quick cap), tested on the carve's same 2,000 digits. Targets: at least 97%
accuracy, under 2 minutes on 2 CPU cores.
"""
import time

import keras
import numpy as np
import pytest

import labs
from labs import data
from labs.models import lenet5
from labs.training import dataset
from test_data_readers import mnist_folder, needs_shared

EPOCHS = 12
BATCH_SIZE = 64
LEARNING_RATE = 2e-3  # Adam, cosine decay to 0 over the run
MIN_ACCURACY = 0.97
MAX_SECONDS = 120.0


@needs_shared
@pytest.mark.parametrize("splits", [["test"], ["train", "test"]], ids=["carved-test-split", "training-images"])
def test_lenet5_keras_learns_real_mnist(monkeypatch, tmp_path, record_property, splits):
    monkeypatch.setenv("LABS_PROFILE", "quick")
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path, splits)))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert data.source("mnist").startswith(("real MNIST test split carved", "real (IDX files), quick-profile subset"))
    assert x_train.shape == (8_000, 28, 28) and x_test.shape == (2_000, 28, 28)
    assert set(np.unique(y_train)) == set(range(10))

    start = time.perf_counter()
    labs.seed(0)
    model = lenet5("keras")
    steps = EPOCHS * int(np.ceil(len(x_train) / BATCH_SIZE))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(dataset(x_train[..., None], y_train, batch_size=BATCH_SIZE), epochs=EPOCHS, verbose=0)
    _, accuracy = model.evaluate(dataset(x_test[..., None], y_test, shuffle=False), verbose=0)
    seconds = time.perf_counter() - start

    record_property("test_accuracy", round(float(accuracy), 4))
    record_property("seconds", round(seconds, 1))
    print(f"\nlenet5('keras'), {EPOCHS} epochs on 8,000 images ({data.source('mnist')}): "
          f"accuracy {accuracy:.4f} on 2,000 test digits, {seconds:.1f} s")
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.4f} below {MIN_ACCURACY}"
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s, more than {MAX_SECONDS:.0f} s"
