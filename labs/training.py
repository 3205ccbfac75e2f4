"""Training helpers the labs share: a tf.data pipeline and a throughput callback."""
from __future__ import annotations

import time

import keras
import numpy as np


def dataset(x, y, *, batch_size: int = 128, shuffle: bool = True, seed: int = 0, augment=None):
    """A ``tf.data`` pipeline: (shuffle) → batch → (augment) → prefetch, images scaled to [0, 1] if uint8.

    The shuffle's seed is ``seed + LABS_SEED`` (``labs.config.derived_seed``).
    """
    import tensorflow as tf

    from .config import derived_seed

    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} images, {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    if x.dtype == np.uint8:
        x = x.astype("float32") / 255.0
    pipeline = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        pipeline = pipeline.shuffle(len(x), seed=derived_seed(seed), reshuffle_each_iteration=True)
    pipeline = pipeline.batch(batch_size)
    if augment is not None:
        pipeline = pipeline.map(lambda images, labels: (augment(images), labels),
                                num_parallel_calls=tf.data.AUTOTUNE)
    return pipeline.prefetch(tf.data.AUTOTUNE)


class Throughput(keras.callbacks.Callback):
    """Records seconds and images per second of each training epoch (``.epoch_seconds``, ``.images_per_second``)."""

    def __init__(self, images_per_epoch: int):
        super().__init__()
        self.images_per_epoch = images_per_epoch
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)

    @property
    def images_per_second(self) -> float:
        """Median over epochs after the first (which includes tracing), or the first if alone."""
        seconds = self.epoch_seconds[1:] or self.epoch_seconds
        return self.images_per_epoch / float(np.median(seconds))
