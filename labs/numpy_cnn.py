"""A small LeNet-style CNN in NumPy: forward, hand-written backward, SGD with momentum; no autodiff.

conv 5×5 → ReLU → max pool 2 → conv 5×5 → ReLU → max pool 2 → dense → softmax cross-entropy,
NHWC images and HWIO kernels, so the weights load unchanged into the same Keras network
(:func:`keras_twin`). Every gradient comes from :mod:`labs.backprop`.
"""
from __future__ import annotations

import math

import numpy as np

from .backprop import dense, dense_backward, relu, relu_backward, softmax_cross_entropy
from .conv import conv2d, conv2d_backward, max_pool2d, max_pool2d_backward

__all__ = ["NumpyCNN", "Momentum", "train_epoch", "iterate_minibatches", "keras_twin"]

PARAMETERS = ("conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias", "dense/kernel", "dense/bias")


class NumpyCNN:
    """LeNet-style network with parameters in ``params`` (a dict, Keras's order in ``PARAMETERS``).

    Convolution kernels start He-normal (std √(2/fan_in)), biases at 0, and the output layer
    small (std ``output_std``) so that the first softmax is nearly uniform: loss ≈ ln 10.
    """

    def __init__(self, input_shape=(28, 28, 1), filters=(8, 16), kernel: int = 5, classes: int = 10,
                 seed: int = 0, dtype=np.float32, method: str = "im2col", output_std: float = 0.01):
        height, width, channels = input_shape
        self.input_shape = tuple(input_shape)
        self.method, self.dtype = method, np.dtype(dtype)
        rng = np.random.default_rng(seed)
        size = [height, width]
        for _ in filters:                        # valid 5×5 convolution, then 2×2 pooling
            size = [(s - kernel + 1) // 2 for s in size]
        if min(size) < 1:
            raise ValueError(f"input_shape {input_shape} is too small for two {kernel}×{kernel} conv + pool stages")
        features = size[0] * size[1] * filters[1]
        shapes = {"conv1/kernel": (kernel, kernel, channels, filters[0]), "conv2/kernel": (kernel, kernel, *filters)}
        self.params = {}
        for name, shape in shapes.items():
            self.params[name] = rng.normal(0, math.sqrt(2 / math.prod(shape[:3])), shape)
            self.params[name.replace("kernel", "bias")] = np.zeros(shape[-1])
        self.params["dense/kernel"] = rng.normal(0, output_std, (features, classes))
        self.params["dense/bias"] = np.zeros(classes)
        self.params = {name: self.params[name].astype(self.dtype) for name in PARAMETERS}

    def forward(self, x):
        """Logits (N, classes) and the cache the backward pass needs."""
        p = self.params
        x = np.asarray(x, dtype=self.dtype)
        u1 = conv2d(x, p["conv1/kernel"], p["conv1/bias"], method=self.method)
        a1 = relu(u1)
        s1 = max_pool2d(a1, 2)
        u2 = conv2d(s1, p["conv2/kernel"], p["conv2/bias"], method=self.method)
        a2 = relu(u2)
        s2 = max_pool2d(a2, 2)
        flat = s2.reshape(len(x), -1)             # NHWC flattening: the order of keras.layers.Flatten
        logits = dense(flat, p["dense/kernel"], p["dense/bias"])
        return logits, (x, u1, a1, s1, u2, a2, s2, flat)

    def backward(self, dlogits, cache) -> dict:
        """Gradients of every parameter from ∂L/∂logits, layer by layer from the top."""
        p = self.params
        x, u1, a1, s1, u2, a2, s2, flat = cache
        grads = {}
        dflat, grads["dense/kernel"], grads["dense/bias"] = dense_backward(dlogits, flat, p["dense/kernel"])
        da2 = max_pool2d_backward(dflat.reshape(s2.shape), a2, 2)
        du2 = relu_backward(da2, u2)
        ds1, grads["conv2/kernel"], grads["conv2/bias"] = conv2d_backward(du2, s1, p["conv2/kernel"], method=self.method)
        da1 = max_pool2d_backward(ds1, a1, 2)
        du1 = relu_backward(da1, u1)
        _, grads["conv1/kernel"], grads["conv1/bias"] = conv2d_backward(du1, x, p["conv1/kernel"], method=self.method)
        return {name: grads[name].astype(self.dtype, copy=False) for name in PARAMETERS}

    def loss(self, x, labels):
        """(mean cross-entropy, gradients of every parameter)."""
        logits, cache = self.forward(x)
        value, dlogits = softmax_cross_entropy(logits, labels)
        return value, self.backward(dlogits, cache)

    def predict(self, x, batch_size: int = 500) -> np.ndarray:
        """Predicted classes, ``batch_size`` images at a time."""
        return np.concatenate([self.forward(x[i: i + batch_size])[0].argmax(axis=1)
                               for i in range(0, len(x), batch_size)])

    def accuracy(self, x, labels) -> float:
        return float(np.mean(self.predict(x) == np.asarray(labels).reshape(-1)))


class Momentum:
    """SGD with momentum: v ← μ·v − η_t·∂L/∂W, W ← W + v. With μ = 0 the slides' W ← W − η·∂L/∂W.

    ``decay_steps`` T: η_t = η·½(1 + cos(π·t/T)), cosine decay to 0 over T steps (None: constant η).
    """

    def __init__(self, learning_rate: float = 0.05, momentum: float = 0.9, decay_steps: int | None = None):
        if not learning_rate > 0 or not 0 <= momentum < 1:
            raise ValueError(f"need learning_rate > 0 and 0 ≤ momentum < 1, got {learning_rate!r}, {momentum!r}")
        if decay_steps is not None and not decay_steps >= 1:
            raise ValueError(f"decay_steps must be None or at least 1, got {decay_steps!r}")
        self.learning_rate, self.momentum, self.decay_steps = learning_rate, momentum, decay_steps
        self.velocity, self.steps = {}, 0

    def rate(self) -> float:
        """η_t for the next step."""
        if self.decay_steps is None:
            return self.learning_rate
        return self.learning_rate * 0.5 * (1 + math.cos(math.pi * min(self.steps, self.decay_steps) / self.decay_steps))

    def step(self, params: dict, grads: dict) -> None:
        rate = self.rate()
        for name, grad in grads.items():
            v = self.momentum * self.velocity.get(name, 0) - rate * grad
            self.velocity[name] = v
            params[name] += v.astype(params[name].dtype, copy=False)
        self.steps += 1


def iterate_minibatches(n: int, batch_size: int, rng):
    """Index arrays of a random permutation of range(n), ``batch_size`` at a time (the last may be short)."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start: start + batch_size]


def train_epoch(model: NumpyCNN, optimizer: Momentum, x, labels, batch_size: int, rng) -> list:
    """One pass over (x, labels) in random minibatches; returns the loss of every step."""
    losses = []
    for batch in iterate_minibatches(len(x), batch_size, rng):
        value, grads = model.loss(x[batch], labels[batch])
        optimizer.step(model.params, grads)
        losses.append(value)
    return losses


def keras_twin(model: NumpyCNN):
    """The same network in Keras, holding the same weights (layouts match: NHWC, HWIO, Flatten in NHWC order)."""
    import keras
    from keras import layers

    k1, k2 = model.params["conv1/kernel"], model.params["conv2/kernel"]
    features, classes = model.params["dense/kernel"].shape
    net = keras.Sequential([
        keras.Input(model.input_shape),
        layers.Conv2D(k1.shape[-1], k1.shape[:2], activation="relu", name="conv1"),
        layers.MaxPooling2D(2),
        layers.Conv2D(k2.shape[-1], k2.shape[:2], activation="relu", name="conv2"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(classes, name="dense"),
    ])
    net.set_weights([model.params[name] for name in PARAMETERS])
    return net
