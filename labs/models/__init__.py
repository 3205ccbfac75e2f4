"""Models of the labs, each in its own module, imported on first use."""
from importlib import import_module

_SOURCES = {
    # lab 02
    "lenet5": "lenet",
    "slides_cnn": "lenet",
    "C3_CONNECTIONS": "lenet",
    # lab 03
    "vgg": "imagenet",
    "imagenet_labels": "imagenet",
    "decode_predictions": "imagenet",
    # lab 05
    "residual_block": "resnet",
    "bottleneck_block": "resnet",
    "resnet_cifar": "resnet",
    # lab 06
    "vgg16_cifar": "cifar",
    "resnet18_cifar": "cifar",
    "inception_v2_cifar": "cifar",
}

__all__ = sorted(_SOURCES)


def __getattr__(name):
    if name not in _SOURCES:
        raise AttributeError(f"module 'labs.models' has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_SOURCES[name]}"), name)


def __dir__():
    return __all__
