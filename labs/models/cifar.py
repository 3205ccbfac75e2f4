"""VGG16, ResNet-18 and Inception-v2 for 32×32 CIFAR images, each with three regularizations.

``regularization`` is the one thing lab 06 varies inside a model:

* ``"none"``: convolution (with bias) → ReLU; nothing else.
* ``"batchnorm"``: convolution (no bias: BN's β replaces it) → BN → ReLU (Ioffe & Szegedy 2015).
* ``"dropout"``: the ``"none"`` network with dropout where each architecture's paper put it:
  ``Dropout(0.5)`` after VGG16's hidden dense layer (Simonyan & Zisserman 2014),
  ``Dropout(0.4)`` before the classifier of Inception (Szegedy et al. 2014), and, ResNet having
  none in its paper, ``Dropout(0.5)`` before its classifier too. (Srivastava et al. 2014 also
  dropped 25% in convolutional layers; on narrow nets trained briefly that stalls learning.)

``width`` multiplies every convolution's channel count (``max(1, round(c · width))``):
``width=1/8`` gives the narrow nets of the quick profile. VGG16's hidden dense layer keeps its
512 units at every width: at 1/8 it would have 64, and Dropout(0.5) would leave 32 of them to
tell 100 classes apart (the quick grid's VGG16 Dropout cells then stayed within 1-2 points of
chance). Every layer is a Keras 3 layer, so the models run on the TensorFlow, JAX and PyTorch
backends. All convolutions use He initialisation (He et al.
2015), which keeps the activations' variance roughly constant with depth even without BN.

Parameter counts at ``width=1``, 100 classes (``model.count_params()``; with BN the trained
count, without BN's moving means and variances, is in brackets; dropout adds nothing):

==================  ==========  ========================  ==========
model               none        batchnorm (trained)       dropout
==================  ==========  ========================  ==========
vgg16_cifar         15,028,644  15,042,852 (15,033,380)   15,028,644
resnet18_cifar      11,215,332  11,229,732 (11,220,132)   11,215,332
inception_v2_cifar  10,345,028  10,375,076 (10,355,044)   10,345,028
==================  ==========  ========================  ==========
"""
from __future__ import annotations

import keras
from keras import layers

REGULARIZATIONS = ("none", "batchnorm", "dropout")
DENSE_DROPOUT = 0.5
INCEPTION_DROPOUT = 0.4

# VGG16 (configuration D of Simonyan & Zisserman 2014): channels per stage, 2-2-3-3-3 convs.
VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
VGG16_HIDDEN = 512

# ResNet-18 (He et al. 2015, Table 1) with the 3×3 stem used on CIFAR: (filters, blocks, stride).
RESNET18_STAGES = ((64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 2, 2))

# BN-Inception (Ioffe & Szegedy 2015, Fig. 5): per block (name, #1×1, #3×3 reduce, #3×3,
# #double 3×3 reduce, #double 3×3, pool, pool projection, stride). A stride-2 block has no
# 1×1 branch and passes its max-pooled input through unchanged ("pass through", proj 0).
# Stem: 3×3 conv 64 → 3×3/2 max-pool → 1×1 conv 64 → 3×3 conv 192, the paper's stem with a 3×3
# first convolution and one of its three down-samplings, so that 3a sees 16×16 (28×28 in the paper)
# and 5b sees 4×4 (7×7): 0.54 GMACs per image, ResNet-18's cost, instead of 2.1 at 32×32.
INCEPTION_V2_STEM = (64, 64, 192)
INCEPTION_V2_BLOCKS = (
    ("3a", 64, 64, 64, 64, 96, "avg", 32, 1),
    ("3b", 64, 64, 96, 64, 96, "avg", 64, 1),
    ("3c", 0, 128, 160, 64, 96, "max", 0, 2),
    ("4a", 224, 64, 96, 96, 128, "avg", 128, 1),
    ("4b", 192, 96, 128, 96, 128, "avg", 128, 1),
    ("4c", 160, 128, 160, 128, 160, "avg", 128, 1),
    ("4d", 96, 128, 192, 160, 192, "avg", 128, 1),
    ("4e", 0, 128, 192, 192, 256, "max", 0, 2),
    ("5a", 352, 192, 320, 160, 224, "avg", 128, 1),
    ("5b", 352, 192, 320, 192, 224, "max", 128, 1),
)


def channels(count: int, width: float) -> int:
    """Channels after the width multiplier: ``max(1, round(count · width))``."""
    return max(1, int(round(count * width)))


def vgg16_cifar(num_classes: int = 100, regularization: str = "batchnorm", width: float = 1.0,
                input_shape=(32, 32, 3), name: str | None = None) -> keras.Model:
    """VGG16 for 32×32 inputs: 13 3×3 convolutions in 5 stages (each ending in a 2×2 max-pool, 32→1),
    then dense 512 (at every ``width``) and a softmax over ``num_classes``."""
    regularization = _check(num_classes, regularization, width, input_shape)
    inputs = keras.Input(input_shape, name="images")
    x = inputs
    for stage, stage_channels in enumerate(VGG16_STAGES, start=1):
        for index, count in enumerate(stage_channels, start=1):
            x = conv_unit(x, channels(count, width), 3, regularization, name=f"block{stage}_conv{index}")
        x = layers.MaxPooling2D(2, name=f"block{stage}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(VGG16_HIDDEN, use_bias=regularization != "batchnorm",
                     kernel_initializer="he_normal", name="fc1")(x)
    if regularization == "batchnorm":
        x = layers.BatchNormalization(name="fc1_bn")(x)
    x = layers.ReLU(name="fc1_relu")(x)
    outputs = _classifier(x, num_classes, regularization)
    return keras.Model(inputs, outputs, name=name or f"vgg16_cifar_{regularization}")


def resnet18_cifar(num_classes: int = 100, regularization: str = "batchnorm", width: float = 1.0,
                   input_shape=(32, 32, 3), name: str | None = None) -> keras.Model:
    """ResNet-18 for 32×32 inputs: a 3×3 stem, 4 stages of 2 basic blocks (64-128-256-512,
    32→16→8→4), global average pooling and a softmax. Shortcuts: identity, or a 1×1 projection
    where the shape changes (option B of He et al. 2015)."""
    regularization = _check(num_classes, regularization, width, input_shape)
    inputs = keras.Input(input_shape, name="images")
    x = conv_unit(inputs, channels(64, width), 3, regularization, name="stem")
    for stage, (filters, blocks, stride) in enumerate(RESNET18_STAGES, start=1):
        for block in range(blocks):
            x = basic_block(x, channels(filters, width), stride if block == 0 else 1, regularization,
                            name=f"stage{stage}_block{block + 1}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = _classifier(x, num_classes, regularization)
    return keras.Model(inputs, outputs, name=name or f"resnet18_cifar_{regularization}")


def inception_v2_cifar(num_classes: int = 100, regularization: str = "batchnorm", width: float = 1.0,
                       input_shape=(32, 32, 3), name: str | None = None) -> keras.Model:
    """Inception-v2 (BN-Inception) for 32×32 inputs: a 3-conv stem with one max-pool (32→16),
    the 10 blocks 3a–5b of Ioffe & Szegedy (2015) whose 5×5 branch is factorised into two 3×3
    convolutions (blocks 3c and 4e halve the size, 16→8→4), global average pooling and a softmax."""
    regularization = _check(num_classes, regularization, width, input_shape)
    inputs = keras.Input(input_shape, name="images")
    first, reduce, second = (channels(c, width) for c in INCEPTION_V2_STEM)
    x = conv_unit(inputs, first, 3, regularization, name="stem_conv1")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    x = conv_unit(x, reduce, 1, regularization, name="stem_conv2")
    x = conv_unit(x, second, 3, regularization, name="stem_conv3")
    for spec in INCEPTION_V2_BLOCKS:
        x = inception_block(x, spec, regularization, width)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = _classifier(x, num_classes, regularization, INCEPTION_DROPOUT)
    return keras.Model(inputs, outputs, name=name or f"inception_v2_cifar_{regularization}")


def conv_unit(x, filters: int, kernel_size: int, regularization: str, stride: int = 1, name: str = "conv",
              activation: bool = True, zero_init: bool = False):
    """Convolution → (BN) → ReLU; the convolution has a bias only without BN.

    ``zero_init`` starts the unit's output at 0: BN's γ = 0 (Goyal et al. 2017), or without BN
    a zero kernel (SkipInit, De & Smith 2020), so that a residual block starts as the identity.
    """
    batchnorm = regularization == "batchnorm"
    initializer = "zeros" if zero_init and not batchnorm else "he_normal"
    x = layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=not batchnorm,
                      kernel_initializer=initializer, name=name)(x)
    if batchnorm:
        x = layers.BatchNormalization(gamma_initializer="zeros" if zero_init else "ones", name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if activation else x


def basic_block(x, filters: int, stride: int, regularization: str, name: str):
    """The ResNet-18 unit: 3×3 conv → (BN) → ReLU → 3×3 conv → (BN), plus the shortcut, → ReLU.

    The branch's last unit starts at zero, so every block starts as the identity: without BN
    the variance would otherwise double at each of the 8 additions.
    """
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = conv_unit(x, filters, 1, regularization, stride, name=f"{name}_projection", activation=False)
    y = conv_unit(x, filters, 3, regularization, stride, name=f"{name}_conv1")
    y = conv_unit(y, filters, 3, regularization, name=f"{name}_conv2", activation=False, zero_init=True)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def inception_block(x, spec, regularization: str, width: float = 1.0):
    """One BN-Inception block: four branches concatenated along the channels.

    Branches: 1×1; 1×1 → 3×3; 1×1 → 3×3 → 3×3 (the factorised 5×5: 2·9C² instead of 25C²
    weights); pool 3×3 → 1×1 projection (or the pooled input itself in a stride-2 block).
    Layer names: ``inception_NAME_1x1``, ``_3x3_reduce``, ``_3x3``, ``_double_reduce``,
    ``_double_3x3a/b``, ``_pool``, ``_pool_proj``, ``_concat``.
    """
    name, one, reduce3, three, reduce_double, double, pool, projection, stride = spec
    prefix = f"inception_{name}"
    branches = []
    if one:
        branches.append(conv_unit(x, channels(one, width), 1, regularization, name=f"{prefix}_1x1"))
    y = conv_unit(x, channels(reduce3, width), 1, regularization, name=f"{prefix}_3x3_reduce")
    branches.append(conv_unit(y, channels(three, width), 3, regularization, stride, name=f"{prefix}_3x3"))
    y = conv_unit(x, channels(reduce_double, width), 1, regularization, name=f"{prefix}_double_reduce")
    y = conv_unit(y, channels(double, width), 3, regularization, name=f"{prefix}_double_3x3a")
    branches.append(conv_unit(y, channels(double, width), 3, regularization, stride, name=f"{prefix}_double_3x3b"))
    pooling = layers.AveragePooling2D if pool == "avg" else layers.MaxPooling2D
    y = pooling(3, strides=stride, padding="same", name=f"{prefix}_pool")(x)
    if projection:
        y = conv_unit(y, channels(projection, width), 1, regularization, name=f"{prefix}_pool_proj")
    branches.append(y)
    return layers.concatenate(branches, name=f"{prefix}_concat")


def _classifier(x, num_classes, regularization, rate=DENSE_DROPOUT):
    if regularization == "dropout":
        x = layers.Dropout(rate, name="classifier_dropout")(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _check(num_classes, regularization, width, input_shape):
    if regularization not in REGULARIZATIONS:
        raise ValueError(f"regularization must be one of {REGULARIZATIONS}, got {regularization!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}")
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 4:
        raise ValueError(f"width must be a number in (0, 4], got {width!r}")
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[0] is None or shape[0] < 32 or shape[1] is None or shape[1] < 32:
        raise ValueError(f"input_shape must be (height, width, channels) with sides of at least 32, got {input_shape!r}")
    return regularization
