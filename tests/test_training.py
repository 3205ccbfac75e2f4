import keras
import numpy as np
import pytest

from labs import training


def test_dataset_scales_uint8_and_batches():
    x = np.full((10, 4, 4, 1), 255, dtype=np.uint8)
    y = np.arange(10)
    batches = list(training.dataset(x, y, batch_size=4, shuffle=False))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert float(batches[0][0].numpy().max()) == pytest.approx(1.0)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)


def test_dataset_rejects_mismatched_lengths_and_bad_batch():
    with pytest.raises(ValueError, match="x and y differ in length: 3 images, 2 labels"):
        training.dataset(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        training.dataset(np.zeros((3, 2)), np.zeros(3), batch_size=0)


def test_throughput_callback_records_each_epoch():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    meter = training.Throughput(images_per_epoch=32)
    model.fit(np.zeros((32, 4)), np.zeros((32, 2)), epochs=3, batch_size=8, verbose=0, callbacks=[meter])
    assert len(meter.epoch_seconds) == 3
    assert meter.images_per_second > 0
