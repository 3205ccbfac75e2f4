"""Tests of labs.numpy_cnn: whole-network gradient check, Keras twin, initial loss, optimizer, overfitting."""
import math

import numpy as np
import pytest

from labs import conv
from labs.backprop import softmax_cross_entropy
from labs.numpy_cnn import PARAMETERS, Momentum, NumpyCNN, iterate_minibatches, keras_twin, train_epoch


def small_net(seed, dtype=np.float64):
    """16×16 inputs, 2 and 3 filters of 3×3: every parameter can be checked numerically in a blink."""
    return NumpyCNN(input_shape=(16, 16, 1), filters=(2, 3), kernel=3, seed=seed, dtype=dtype, output_std=0.5)


@pytest.mark.parametrize("seed", range(2))
def test_whole_network_gradient_matches_numerical_gradient(seed):
    model = small_net(seed)
    rng = np.random.default_rng(seed)
    x, labels = rng.random((3, 16, 16, 1)), rng.integers(0, 10, 3)
    _, grads = model.loss(x, labels)
    for name in PARAMETERS:
        original = model.params[name]

        def loss_of(value, name=name):
            model.params[name] = value
            return softmax_cross_entropy(model.forward(x)[0], labels)[0]

        numerical = conv.numerical_gradient(loss_of, original, h=1e-6)
        model.params[name] = original
        assert conv.relative_error(grads[name], numerical) < 1e-5, name


@pytest.mark.parametrize("method", ["naive", "im2col"])
def test_gradients_equal_tensorflow_gradient_tape_in_float32(method):
    import keras
    import tensorflow as tf

    model = NumpyCNN(seed=1, method=method)
    rng = np.random.default_rng(1)
    x, labels = rng.random((4, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 4)
    loss, grads = model.loss(x, labels)
    twin = keras_twin(model)
    with tf.GradientTape() as tape:
        tf_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, twin(x))
    tf_grads = tape.gradient(tf_loss, twin.trainable_weights)
    assert abs(loss - float(tf_loss)) < 1e-5
    assert [w.path.split("/", 1)[1] for w in twin.trainable_weights] == list(PARAMETERS)
    for name, expected in zip(PARAMETERS, tf_grads):
        expected = expected.numpy()
        assert grads[name].dtype == np.float32
        assert np.max(np.abs(grads[name] - expected)) <= 1e-5 * np.max(np.abs(expected)), name


@pytest.mark.parametrize("seed", range(4))
def test_initial_loss_is_ln_10(seed):
    rng = np.random.default_rng(seed)
    loss, _ = NumpyCNN(seed=seed).loss(rng.random((64, 28, 28, 1)), rng.integers(0, 10, 64))
    assert abs(loss - math.log(10)) < 0.05


def test_momentum_zero_is_plain_gradient_descent_and_cosine_decay_ends_at_zero():
    params, grads = {"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}
    Momentum(0.1, 0.0).step(params, grads)
    np.testing.assert_allclose(params["w"], [1 - 0.05, 2 + 0.1])
    optimizer = Momentum(0.1, 0.9, decay_steps=4)
    assert optimizer.rate() == pytest.approx(0.1)
    for _ in range(4):
        optimizer.step(params, grads)
    assert optimizer.rate() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="momentum"):
        Momentum(0.1, 1.0)
    with pytest.raises(ValueError, match="decay_steps"):
        Momentum(0.1, 0.9, decay_steps=0)


def test_minibatches_cover_every_index_once():
    batches = list(iterate_minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))


def test_overfits_a_few_images_and_rejects_too_small_inputs():
    rng = np.random.default_rng(0)
    x, labels = rng.random((20, 28, 28, 1), dtype=np.float32), np.arange(20) % 10
    model = NumpyCNN(seed=0)
    optimizer = Momentum(0.05, 0.9)
    for _ in range(30):
        losses = train_epoch(model, optimizer, x, labels, 20, rng)
    assert model.accuracy(x, labels) == 1.0 and losses[-1] < 0.1
    with pytest.raises(ValueError, match="too small"):
        NumpyCNN(input_shape=(10, 10, 1))
