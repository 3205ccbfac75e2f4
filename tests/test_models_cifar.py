"""Tests of labs.models.cifar: shapes, parameter counts, the regularization switch, bad inputs."""
import numpy as np
import pytest

from labs.models import cifar, inception_v2_cifar, resnet18_cifar, vgg16_cifar
from labs.arith import trainable_params

BUILDERS = {"vgg16": vgg16_cifar, "resnet18": resnet18_cifar, "inception_v2": inception_v2_cifar}

# model.count_params() at width 1 and 100 classes (BN's moving statistics included).
FULL_WIDTH_PARAMETERS = {
    ("resnet18", "none"): 11_215_332,
    ("resnet18", "batchnorm"): 11_229_732,
}
# Trainable parameters of ResNet-18 with BN: the widely quoted 11.22M (11,220,132).
RESNET18_TRAINABLE = 11_220_132



def layer_parameters(model, prefix):
    return sum(layer.count_params() for layer in model.layers if layer.name.startswith(prefix))


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("regularization", cifar.REGULARIZATIONS)
def test_narrow_models_map_images_to_class_probabilities(name, regularization):
    model = BUILDERS[name](regularization=regularization, width=1 / 8)
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype("float32")
    probabilities = np.asarray(model(x, training=False))
    assert probabilities.shape == (2, 100)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_regularization_changes_the_layers_it_should(name):
    kinds = {}
    for regularization in cifar.REGULARIZATIONS:
        model = BUILDERS[name](regularization=regularization, width=1 / 8)
        kinds[regularization] = [type(layer).__name__ for layer in model.layers]
    assert "BatchNormalization" not in kinds["none"] and "Dropout" not in kinds["none"]
    assert "BatchNormalization" in kinds["batchnorm"] and "Dropout" not in kinds["batchnorm"]
    assert "Dropout" in kinds["dropout"] and "BatchNormalization" not in kinds["dropout"]
    # Dropout has no weights: the same parameters as "none".
    none, dropout = (BUILDERS[name](regularization=r, width=1 / 8) for r in ("none", "dropout"))
    assert none.count_params() == dropout.count_params()


def test_resnet18_has_the_published_parameter_count():
    for regularization in ("none", "batchnorm"):
        model = resnet18_cifar(regularization=regularization)
        assert model.count_params() == FULL_WIDTH_PARAMETERS[("resnet18", regularization)]
    assert trainable_params(resnet18_cifar(regularization="batchnorm")) == RESNET18_TRAINABLE


def test_vgg16_conv_part_has_the_published_parameter_count():
    model = vgg16_cifar(regularization="none")
    conv = sum(layer.count_params() for layer in model.layers if "conv" in layer.name)
    assert conv == 14_714_688  # Keras VGG16's convolutional part (REFERENCES, lab 03)
    # plus fc1 512·512+512 and the classifier 512·100+100
    assert model.count_params() == 14_714_688 + 262_656 + 51_300


def test_inception_block_parameters_follow_the_branch_formula():
    model = inception_v2_cifar(regularization="none")
    # Block 3a on 192 channels: 1×1 64; 1×1 64 → 3×3 64; 1×1 64 → 3×3 96 → 3×3 96; avg-pool → 1×1 32.
    expected = ((192 + 1) * 64 + (192 + 1) * 64 + (9 * 64 + 1) * 64 + (192 + 1) * 64
                + (9 * 64 + 1) * 96 + (9 * 96 + 1) * 96 + (192 + 1) * 32)
    assert layer_parameters(model, "inception_3a_") == expected
    assert model.get_layer("inception_3a_concat").output.shape[1:] == (16, 16, 64 + 64 + 96 + 32)
    assert model.get_layer("inception_3c_concat").output.shape[1:] == (8, 8, 160 + 96 + 320)
    assert model.get_layer("inception_5b_concat").output.shape[1:] == (4, 4, 1024)
    assert model.count_params() == 10_345_028


def test_width_scales_channels():
    assert cifar.channels(64, 1 / 8) == 8
    assert cifar.channels(3, 0.1) == 1
    narrow = vgg16_cifar(regularization="none", width=0.5)
    assert narrow.get_layer("block1_conv1").output.shape[-1] == 32
    assert narrow.get_layer("fc1").output.shape[-1] == 512  # the hidden dense layer keeps its width


def test_num_classes_and_name():
    model = resnet18_cifar(num_classes=10, regularization="none", width=1 / 8, name="tiny")
    assert model.output_shape == (None, 10) and model.name == "tiny"
    assert vgg16_cifar(width=1 / 8).name == "vgg16_cifar_batchnorm"


@pytest.mark.parametrize("arguments, message", [
    ({"regularization": "l2"}, "regularization must be one of"),
    ({"width": 0}, r"width must be a number in \(0, 4\]"),
    ({"width": "wide"}, "width must be a number"),
    ({"num_classes": 1}, "num_classes must be an int of at least 2"),
    ({"input_shape": (16, 16, 3)}, "input_shape must be"),
])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_bad_arguments_raise(name, arguments, message):
    with pytest.raises(ValueError, match=message):
        BUILDERS[name](**arguments)
