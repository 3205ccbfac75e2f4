"""Residual units and the CIFAR ResNets of He et al. (2015, 2016), with their plain twins.

A residual unit computes ``X^(l+1) = f(X^l + F(X^l))``: a branch ``F`` of convolutions plus a
shortcut. The shortcut is the identity when shapes match; when they do not it is either a
1×1 projection ``W_s X`` (options B/C of He et al. 2015) or the identity subsampled and
zero-padded in the new channels (option A, the paper's CIFAR nets: no parameters).

The five units of He et al. 2016, "Identity mappings in deep residual networks", Fig. 4:

* ``"a"`` original: conv → BN → ReLU → conv → BN → add → ReLU
* ``"b"`` BN after addition: conv → BN → ReLU → conv → add → BN → ReLU
* ``"c"`` ReLU before addition: conv → BN → ReLU → conv → BN → ReLU → add
* ``"d"`` ReLU-only pre-activation: ReLU → conv → BN → ReLU → conv → BN → add
* ``"e"`` full pre-activation: BN → ReLU → conv → BN → ReLU → conv → add

Only Keras 3 layers and ``keras.ops`` are used, so the models run on every backend.
"""
from __future__ import annotations

import keras
from keras import layers

VARIANTS = ("a", "b", "c", "d", "e")
SHORTCUTS = ("A", "B", "C")
PRE_ACTIVATION = ("d", "e")
CIFAR_DEPTHS = (20, 32, 44, 56, 110)
# Running statistics as in the original Torch/Caffe code (Torch's momentum 0.1 = Keras's 0.9):
# Keras's default 0.99 needs about 500 steps before test-time statistics settle.
BN_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package="labs")
class ZeroPadShortcut(layers.Layer):
    """Option A shortcut: keep every ``stride``-th pixel and append zero channels up to ``filters``."""

    def __init__(self, filters: int, stride: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.stride = int(stride)

    def call(self, inputs):
        x = inputs[:, :: self.stride, :: self.stride, :]
        extra = self.filters - inputs.shape[-1]
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]])

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        def shrink(size):
            return None if size is None else -(-size // self.stride)
        return (batch, shrink(height), shrink(width), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "stride": self.stride}


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_variant(variant):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS} (He et al. 2016, Fig. 4), got {variant!r}")


def _check_projection(projection):
    if projection not in (None, True, False):
        raise ValueError(
            f"projection must be None (1×1 projection only when shapes change), True (always) "
            f"or False (never: zero-padded identity), got {projection!r}"
        )


def _conv(filters, kernel_size, stride, weight_decay, name):
    regularizer = keras.regularizers.L2(weight_decay / 2) if weight_decay else None
    return layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=False,
                         kernel_initializer="he_normal", kernel_regularizer=regularizer, name=name)


def _batch_norm(name):
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def _name(prefix, suffix):
    return f"{prefix}_{suffix}" if prefix else None


def _shortcut(x, filters, stride, projection, variant, weight_decay, name):
    """The identity, a 1×1 projection (+ BN in post-activation units) or option A's zero padding."""
    channels = x.shape[-1]
    shapes_match = stride == 1 and channels == filters
    if projection is True or (projection is None and not shapes_match):
        shortcut = _conv(filters, 1, stride, weight_decay, _name(name, "proj_conv"))(x)
        if variant not in PRE_ACTIVATION:
            shortcut = _batch_norm(name=_name(name, "proj_bn"))(shortcut)
        return shortcut
    if shapes_match:
        return x
    if channels > filters:
        raise ValueError(
            f"projection=False needs filters >= the input's {channels} channels to zero-pad, got "
            f"filters={filters}; use projection=None or True"
        )
    return ZeroPadShortcut(filters, stride, name=_name(name, "zero_pad"))(x)


def _unit(x, convs, projection, variant, weight_decay, scale, name):
    """A residual unit whose branch is ``convs`` = [(filters, kernel, stride), ...]."""
    _check_variant(variant)
    _check_projection(projection)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise ValueError(f"scale must be a positive number (1.0, or about 0.1 as in Inception-ResNet), got {scale!r}")
    out_filters = convs[-1][0]
    stride = max(s for _, _, s in convs)
    shortcut = _shortcut(x, out_filters, stride, projection, variant, weight_decay, name)
    y = x
    last = len(convs)
    for index, (filters, kernel, conv_stride) in enumerate(convs, start=1):
        conv = _conv(filters, kernel, conv_stride, weight_decay, _name(name, f"conv{index}"))
        bn = _batch_norm(name=_name(name, f"bn{index}"))
        relu = layers.Activation("relu", name=_name(name, f"relu{index}"))
        if variant == "e":
            y = conv(relu(bn(y)))
        elif variant == "d":
            y = bn(conv(relu(y)))
        elif variant == "a":
            y = bn(conv(y))
            y = relu(y) if index < last else y
        elif variant == "b":
            y = conv(y)
            y = relu(bn(y)) if index < last else y
        else:  # "c"
            y = relu(bn(conv(y)))
    if scale != 1:
        y = layers.Rescaling(scale, name=_name(name, "scale"))(y)
    y = layers.Add(name=_name(name, "add"))([y, shortcut])
    if variant == "a":
        y = layers.Activation("relu", name=_name(name, "out_relu"))(y)
    elif variant == "b":
        y = _batch_norm(name=_name(name, "out_bn"))(y)
        y = layers.Activation("relu", name=_name(name, "out_relu"))(y)
    return y


def residual_block(x, filters, stride=1, projection=None, variant="a", *, weight_decay=0.0, scale=1.0, name=None):
    """Two 3×3 convolutions plus a shortcut: ``X^(l+1) = f(X^l + F(X^l))``.

    ``stride`` subsamples in the first convolution (and the shortcut). ``projection``: None uses
    the identity when shapes match and a 1×1 projection when not; True always projects; False
    never does (option A: subsample and zero-pad channels). ``variant`` is the unit of He et al.
    2016 (``"a"`` original … ``"e"`` full pre-activation). ``scale`` multiplies the branch before
    the addition (Inception-ResNet uses about 0.1). ``weight_decay`` λ adds λ/2·‖W‖² per kernel,
    i.e. a gradient of λW as in SGD weight decay. Returns the output tensor.
    """
    _check_positive_int("filters", filters)
    _check_positive_int("stride", stride)
    convs = [(filters, 3, stride), (filters, 3, 1)]
    return _unit(x, convs, projection, variant, weight_decay, scale, name)


def bottleneck_block(x, filters, stride=1, projection=None, variant="a", *, expansion=4,
                     weight_decay=0.0, scale=1.0, name=None):
    """1×1 (``filters``) → 3×3 (``filters``, ``stride``) → 1×1 (``expansion·filters``) plus a shortcut.

    The bottleneck unit of He et al. 2015 (ResNet-50 and up; ResNet-164 on CIFAR). The stride
    sits on the 3×3 convolution (as in He et al. 2016 and torchvision). Output channels:
    ``expansion * filters``. Other arguments as in :func:`residual_block`.
    """
    _check_positive_int("filters", filters)
    _check_positive_int("stride", stride)
    _check_positive_int("expansion", expansion)
    convs = [(filters, 1, 1), (filters, 3, stride), (expansion * filters, 1, 1)]
    return _unit(x, convs, projection, variant, weight_decay, scale, name)


def plain_block(x, filters, stride=1, *, weight_decay=0.0, name=None):
    """The plain counterpart of a residual block: (conv → BN → ReLU) twice, no shortcut."""
    _check_positive_int("filters", filters)
    _check_positive_int("stride", stride)
    for index, conv_stride in enumerate((stride, 1), start=1):
        x = _conv(filters, 3, conv_stride, weight_decay, _name(name, f"conv{index}"))(x)
        x = _batch_norm(name=_name(name, f"bn{index}"))(x)
        x = layers.Activation("relu", name=_name(name, f"relu{index}"))(x)
    return x


def cifar_blocks_per_stage(depth) -> int:
    """n for a CIFAR ResNet of depth 6n + 2 (He et al. 2015, §4.2): 20 → 3, 56 → 9, 110 → 18."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n+2 with n >= 1, e.g. {CIFAR_DEPTHS}, got {depth!r}")
    return (depth - 2) // 6


def resnet_cifar(depth, plain=False, num_classes=10, variant="a", *, shortcut="A", weight_decay=1e-4,
                 input_shape=(32, 32, 3)):
    """The CIFAR-10 network of He et al. 2015, §4.2: depth 6n + 2, stages of 16, 32, 64 filters.

    3×3 conv (16) → 3 stages of n residual blocks (the first of stages 2 and 3 has stride 2) →
    global average pooling → dense softmax. ``plain=True`` drops the shortcuts (the paper's plain
    nets). ``shortcut``: ``"A"`` zero-padded identity (the paper's CIFAR choice, default),
    ``"B"`` 1×1 projections where shapes change, ``"C"`` projections everywhere. Pre-activation
    units (``"d"``, ``"e"``) get a final BN → ReLU after the last addition (He et al. 2016).
    Trainable parameters with option A: 0.27M (20), 0.46M, 0.66M, 0.85M, 1.7M (110).
    ``weight_decay`` λ as in :func:`residual_block` (the paper: 1e-4).
    """
    blocks = cifar_blocks_per_stage(depth)
    _check_variant(variant)
    _check_positive_int("num_classes", num_classes)
    if shortcut not in SHORTCUTS:
        raise ValueError(
            f"shortcut must be one of {SHORTCUTS} (A zero-padded identity, B projections where shapes "
            f"change, C projections everywhere), got {shortcut!r}"
        )
    projection = {"A": False, "B": None, "C": True}[shortcut]
    inputs = keras.Input(shape=input_shape, name="image")
    x = _conv(16, 3, 1, weight_decay, "stem_conv")(inputs)
    x = _batch_norm(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=1):
        for block in range(1, blocks + 1):
            stride = 2 if stage > 1 and block == 1 else 1
            name = f"stage{stage}_block{block}"
            if plain:
                x = plain_block(x, filters, stride, weight_decay=weight_decay, name=name)
            else:
                x = residual_block(x, filters, stride, projection, variant, weight_decay=weight_decay, name=name)
    if not plain and variant in PRE_ACTIVATION:
        x = _batch_norm(name="final_bn")(x)
        x = layers.Activation("relu", name="final_relu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    regularizer = keras.regularizers.L2(weight_decay / 2) if weight_decay else None
    outputs = layers.Dense(num_classes, activation="softmax", kernel_regularizer=regularizer, name="predictions")(x)
    kind = "plain" if plain else "resnet"
    return keras.Model(inputs, outputs, name=f"{kind}{depth}" + ("" if plain else f"_{variant}{shortcut}"))
