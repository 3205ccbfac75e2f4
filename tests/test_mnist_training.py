"""Genuine data: the 107,786-parameter LeNet-5 learns real MNIST digits quickly.

Reads the real MNIST test split (IDX files, sha256-verified) from ``LABS_DATA_DIR``, or from
``../shared/datasets`` beside the checkout, trains ``lenet5("keras")`` on 8,000 of its
images and evaluates on the other 2,000. Targets: at least 97% accuracy, under 2 minutes
on 2 CPU cores.
"""
import os
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import labs
from labs import data
from labs.models import lenet5
from labs.training import dataset

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
EPOCHS = 12
BATCH_SIZE = 64
LEARNING_RATE = 2e-3  # Adam, cosine decay to 0 over the run
MIN_ACCURACY = 0.97
MAX_SECONDS = 120.0


def _data_directory() -> Path | None:
    """LABS_DATA_DIR if it holds the MNIST test files, else ../shared/datasets if it does."""
    candidates = [os.environ.get("LABS_DATA_DIR", "").strip(), str(ROOT.parent / "shared" / "datasets")]
    for candidate in filter(None, candidates):
        if all((Path(candidate) / "mnist" / name).is_file() for name in TEST_FILES):
            return Path(candidate).resolve()
    return None


@pytest.fixture
def mnist_test_split(monkeypatch):
    directory = _data_directory()
    if directory is None:
        pytest.skip("real MNIST test IDX files not found: set LABS_DATA_DIR to a folder with "
                    "mnist/t10k-images-idx3-ubyte.gz and mnist/t10k-labels-idx1-ubyte.gz "
                    "(e.g. ../shared/datasets) or run `python -m labs fetch mnist`")
    monkeypatch.setenv("LABS_DATA_DIR", str(directory))
    images, labels = (data.read_idx(data.verified_path(data.remote(name))) for name in TEST_FILES)
    return images, labels


def test_lenet5_keras_learns_real_mnist(mnist_test_split, record_property):
    images, labels = mnist_test_split
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and set(np.unique(labels)) == set(range(10))
    order = np.random.default_rng(0).permutation(len(images))
    train, test = order[:8_000], order[8_000:]

    start = time.perf_counter()
    labs.seed(0)
    model = lenet5("keras")
    steps = EPOCHS * int(np.ceil(len(train) / BATCH_SIZE))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(dataset(images[train, ..., None], labels[train], batch_size=BATCH_SIZE), epochs=EPOCHS, verbose=0)
    _, accuracy = model.evaluate(dataset(images[test, ..., None], labels[test], shuffle=False), verbose=0)
    seconds = time.perf_counter() - start

    record_property("test_accuracy", round(float(accuracy), 4))
    record_property("seconds", round(seconds, 1))
    print(f"\nlenet5('keras'), {EPOCHS} epochs on 8,000 real MNIST test digits: "
          f"accuracy {accuracy:.4f} on the other 2,000, {seconds:.1f} s")
    assert accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.4f} below {MIN_ACCURACY}"
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s, more than {MAX_SECONDS:.0f} s"
