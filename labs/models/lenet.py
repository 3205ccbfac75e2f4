"""LeNet-5 in three versions, and the slides' short MNIST CNN (lab 02).

Every model takes float images already scaled to [0, 1], shape (N, 28, 28, 1), and ends
in a softmax over ``num_classes``: train it with ``sparse_categorical_crossentropy``.

- ``lenet5("lecun1998")``: LeCun, Bottou, Bengio & Haffner (1998), "Gradient-based
  learning applied to document recognition": 32×32 input (the model pads 28×28 by 2
  itself), scaled tanh ``1.7159·tanh(2a/3)``, trainable subsampling (S2, S4), the partial
  C3 connection table ``C3_CONNECTIONS``; its Euclidean RBF output is replaced by a softmax
  and its uniform ±2.4/fan-in initialisation by Keras' Glorot default.
- ``lenet5("keras")``: the 107,786-parameter LeNet-5 of the slides' AutoKeras table.
- ``lenet5("slides")``: the slides' Keras model (32@5×5 → 64@5×5 → 1024 → 1024 → 10).
- ``slides_cnn()``: the slides' short CNN, as their code gives it (32@3×3 same → pool → 64@3×3 same → 128 → 10).
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

VARIANTS = ("lecun1998", "keras", "slides")


def _c3_connections() -> np.ndarray:
    """LeCun et al. 1998, Table I: which S2 map (row) each C3 map (column) reads."""
    table = np.zeros((6, 16), dtype=bool)
    for j in range(6):  # maps 0-5: three contiguous S2 maps
        table[[(j + d) % 6 for d in range(3)], j] = True
    for j in range(6):  # maps 6-11: four contiguous S2 maps
        table[[(j + d) % 6 for d in range(4)], 6 + j] = True
    for j, rows in enumerate(([0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5])):  # 12-14: four, not contiguous
        table[rows, 12 + j] = True
    table[:, 15] = True  # map 15 reads all six
    table.setflags(write=False)
    return table


C3_CONNECTIONS = _c3_connections()
"""6×16 boolean array: ``C3_CONNECTIONS[i, j]`` is True when C3 map j reads S2 map i (Table I)."""


@keras.saving.register_keras_serializable(package="labs")
def scaled_tanh(x):
    """LeCun 1998's squashing function f(a) = A·tanh(S·a), A = 1.7159, S = 2/3 (so f(±1) = ±1)."""
    return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@keras.saving.register_keras_serializable(package="labs")
class PartialConv2D(layers.Layer):
    """A valid, stride-1 convolution in which output map j reads only input maps i with ``connections[i, j]``.

    Only the connected k×k kernels are weights: k²·(number of True entries) + one bias per
    output map (C3 of LeNet-5: 25·60 + 16 = 1,516). The full k×k×C×F kernel is assembled
    with a gather in every call, so unconnected kernels are exact zeros and never trained.
    """

    def __init__(self, connections, kernel_size: int = 5, activation=None, **kwargs):
        super().__init__(**kwargs)
        table = np.asarray(connections)
        if table.ndim != 2 or table.dtype != bool:
            raise ValueError(f"connections must be a 2-D boolean array (inputs × outputs), got {table.dtype} {table.shape}")
        if not table.any(axis=0).all():
            raise ValueError("connections: every output map must read at least one input map")
        if not isinstance(kernel_size, int) or kernel_size < 1:
            raise ValueError(f"kernel_size must be a positive int, got {kernel_size!r}")
        self.connections = table
        self.kernel_size = (kernel_size, kernel_size)  # a (height, width) pair, like keras.layers.Conv2D
        self.filters = table.shape[1]
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels != self.connections.shape[0]:
            raise ValueError(f"input has {channels} channels but connections has {self.connections.shape[0]} rows")
        k, connected = self.kernel_size[0], int(self.connections.sum())
        # Glorot's uniform limit with the mean fan-in and fan-out of the connected kernels.
        fan_in = k * k * connected / self.filters
        fan_out = k * k * connected / channels
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        self.kernel = self.add_weight(name="kernel", shape=(k, k, connected),
                                      initializer=keras.initializers.RandomUniform(-limit, limit))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        # Position of each (input i, output j) kernel in the compact weights; `connected` = the zero slot.
        index = np.full(self.connections.shape, connected, dtype="int32")
        index[self.connections] = np.arange(connected, dtype="int32")  # row-major: (i, j) order
        self._index = index.reshape(-1)

    def full_kernel(self):
        """The k×k×C×F kernel with zeros where ``connections`` is False."""
        k = self.kernel_size[0]
        padded = ops.concatenate([self.kernel, ops.zeros((k, k, 1), dtype=self.kernel.dtype)], axis=-1)
        kernel = ops.take(padded, self._index, axis=2)
        return ops.reshape(kernel, (k, k) + self.connections.shape)

    def call(self, inputs):
        outputs = ops.conv(inputs, self.full_kernel(), strides=1, padding="valid") + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        k = self.kernel_size[0]
        size = [None if s is None else s - k + 1 for s in input_shape[1:3]]
        return (input_shape[0], *size, self.filters)

    def get_config(self):
        return {**super().get_config(), "connections": self.connections.tolist(),
                "kernel_size": self.kernel_size[0], "activation": keras.activations.serialize(self.activation)}

    @classmethod
    def from_config(cls, config):
        config = dict(config, connections=np.asarray(config["connections"], dtype=bool))
        return cls(**config)


@keras.saving.register_keras_serializable(package="labs")
class Subsampling(layers.Layer):
    """LeCun 1998's subsampling: y = f(w_c · Σ over each 2×2 block + b_c), one w and b per map (2 per map).

    ``w`` starts at 1/4, so an untrained layer is a 2×2 average pooling followed by ``f``.
    """

    def __init__(self, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.coefficient = self.add_weight(name="coefficient", shape=(channels,),
                                           initializer=keras.initializers.Constant(0.25))
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        block_sum = 4.0 * ops.average_pool(inputs, pool_size=2, strides=2, padding="valid")
        outputs = block_sum * self.coefficient + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        size = [None if s is None else s // 2 for s in input_shape[1:3]]
        return (input_shape[0], *size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "activation": keras.activations.serialize(self.activation)}


def _check_classes(num_classes):
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}")


def _lecun1998(inputs, num_classes):
    # Paper, §II-B: the 28×28 digit sits in a 32×32 field, background −0.1, ink 1.175.
    x = layers.ZeroPadding2D(2, name="pad_to_32")(inputs)
    x = layers.Rescaling(scale=1.275, offset=-0.1, name="paper_levels")(x)
    x = layers.Conv2D(6, 5, activation=scaled_tanh, name="C1")(x)                 # 28×28×6, 156
    x = Subsampling(activation=scaled_tanh, name="S2")(x)                          # 14×14×6, 12
    x = PartialConv2D(C3_CONNECTIONS, 5, activation=scaled_tanh, name="C3")(x)     # 10×10×16, 1,516
    x = Subsampling(activation=scaled_tanh, name="S4")(x)                          # 5×5×16, 32
    x = layers.Conv2D(120, 5, activation=scaled_tanh, name="C5")(x)                # 1×1×120, 48,120
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(84, activation=scaled_tanh, name="F6")(x)                     # 10,164
    return layers.Dense(num_classes, activation="softmax", name="output")(x)       # 850 (paper: fixed RBF)


def _keras(inputs, num_classes):
    # 156 + 2,416 + 94,200 + 10,164 + 850 = 107,786: both convolutions keep their size
    # ("same"), so 7·7·16 = 784 features reach the 120-unit layer.
    x = layers.Conv2D(6, 5, padding="same", activation="relu", name="C1")(inputs)   # 28×28×6
    x = layers.MaxPooling2D(2, name="S2")(x)                                        # 14×14×6
    x = layers.Conv2D(16, 5, padding="same", activation="relu", name="C3")(x)       # 14×14×16
    x = layers.MaxPooling2D(2, name="S4")(x)                                        # 7×7×16
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="F5")(x)
    x = layers.Dense(84, activation="relu", name="F6")(x)
    return layers.Dense(num_classes, activation="softmax", name="output")(x)


def _slides(inputs, num_classes):
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1")(inputs)  # 28×28×32
    x = layers.MaxPooling2D(2, name="pool1")(x)                                        # 14×14×32
    x = layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2")(x)       # 14×14×64
    x = layers.MaxPooling2D(2, name="pool2")(x)                                        # 7×7×64
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(1024, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    x = layers.Dense(1024, activation="relu", name="fc2")(x)
    return layers.Dense(num_classes, activation="softmax", name="output")(x)


_BUILDERS = {"lecun1998": _lecun1998, "keras": _keras, "slides": _slides}


def lenet5(variant: str = "keras", *, num_classes: int = 10) -> keras.Model:
    """LeNet-5 for (N, 28, 28, 1) images in [0, 1]: ``"lecun1998"``, ``"keras"`` or ``"slides"``.

    Parameters: lecun1998 60,850 (the paper's 60,000 trainable + a 850-weight softmax
    in place of its fixed RBF layer), keras 107,786, slides 4,324,234. Uncompiled.
    """
    if variant not in _BUILDERS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    _check_classes(num_classes)
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    return keras.Model(inputs, _BUILDERS[variant](inputs, num_classes), name=f"lenet5_{variant}")


def slides_cnn(*, num_classes: int = 10) -> keras.Model:
    """The slides' short MNIST CNN: 32@3×3 "same" → 2×2 max-pool → 64@3×3 "same" → 128 → softmax.

    Exactly the slides' ("CNN handwritten digit recognition") Sequential code: both
    convolutions keep the size, so 14·14·64 = 12,544 features reach the 128-unit layer;
    320 + 18,496 + 1,605,760 + 1,290 = 1,625,866 parameters. The slides train it with Adam,
    batch 128, 20 epochs. Uncompiled.
    """
    _check_classes(num_classes)
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(inputs)  # 28×28×32
    x = layers.MaxPooling2D(2, name="pool1")(x)                                         # 14×14×32
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)        # 14×14×64
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(128, activation="relu", name="fc")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="slides_cnn")
