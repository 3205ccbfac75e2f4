"""Tests of labs.arith: output sizes, parameter counts, receptive fields and layer tables."""
import math

import keras
import numpy as np
import pytest
from keras import layers

from labs import arith


# --- output sizes: Dumoulin & Visin's relationships and the slides' examples ---------------

@pytest.mark.parametrize("i,k,s,p,expected", [
    (7, 3, 1, 0, 5),        # slides: 7×7 input, 3×3 filter, stride 1 → 5×5
    (7, 3, 2, 0, 3),        # stride 2 → 3×3
    (28, 3, 1, "same", 28), (28, 3, 1, "valid", 26), (28, 3, 2, "valid", 13),
    (32, 8, 2, 1, 14),      # 20 filters 8×8, pad 1, stride 2
    (32, 5, 1, 2, 32),
    (227, 11, 4, 0, 55),    # AlexNet conv1
    (5, 4, 1, 2, 6),        # Dumoulin & Visin relationship 2: o = i − k + 2p + 1
    (5, 3, 1, "full", 7),   # relationship 4: o = i + k − 1
    (5, 3, 2, 1, 3),        # relationship 5
    (6, 3, 2, 1, 3),        # relationship 6 (floor)
])
def test_conv_output_size_examples(i, k, s, p, expected):
    assert arith.conv_output_size(i, k, s, p) == expected


def test_no_padding_unit_stride_and_half_padding_identities():
    for i in range(5, 12):
        for k in (1, 3, 5, 7):
            if k > i:
                continue
            assert arith.conv_output_size(i, k) == i - k + 1
            assert arith.conv_output_size(i, k, p=k // 2) == i
            assert arith.conv_output_size(i, k, p="same") == i
            assert arith.conv_output_size(i, k, p="full") == i + k - 1


def test_same_is_ceil_i_over_s_like_tensorflow():
    for i in range(1, 20):
        for k in (1, 2, 3, 4, 5):
            for s in (1, 2, 3):
                assert arith.conv_output_size(i, k, s, "same") == math.ceil(i / s)
                before, after = arith.same_padding(i, k, s)
                assert after - before in (0, 1)  # the extra zero goes after (bottom/right)


def test_same_matches_keras_for_even_kernels_and_strides():
    for i, k, s in [(7, 2, 1), (8, 4, 2), (9, 2, 3), (10, 3, 4)]:
        layer = layers.Conv2D(1, k, strides=s, padding="same")
        assert layer.compute_output_shape((None, i, i, 1))[1] == arith.conv_output_size(i, k, s, "same")


def test_dilation_uses_dilated_kernel_size():
    assert arith.dilated_kernel_size(3, 2) == 5
    assert arith.conv_output_size(7, 3, d=2) == 3          # Dumoulin & Visin relationship 15
    assert arith.conv_output_size(7, 3, d=2, p="same") == 7
    layer = layers.Conv2D(1, 3, dilation_rate=3)
    assert layer.compute_output_shape((None, 12, 12, 1))[1] == arith.conv_output_size(12, 3, d=3)


def test_exact_catches_strides_that_do_not_fit():
    with pytest.raises(ValueError, match=r"s=3 does not fit"):
        arith.conv_output_size(7, 3, 3, exact=True)        # the slides' 7×7, 3×3, stride 3
    assert arith.conv_output_size(7, 3, 3) == 2            # without exact: the floor
    with pytest.raises(ValueError, match=r"not a multiple of the stride"):
        arith.conv_output_size(227, 11, 4, 3, exact=True)  # AlexNet with the notes' P = 3
    assert arith.conv_output_size(227, 11, 4, 0, exact=True) == 55
    assert arith.conv_output_size(9, 3, 2, "same", exact=True) == 5   # TensorFlow pads 1 + 1: fits
    with pytest.raises(ValueError, match=r"s=2 does not fit"):
        arith.conv_output_size(8, 1, 2, "same", exact=True)          # no padding, last row unused


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(i=5, k=7), r"k=7 .*larger than the padded input"),
    (dict(i=5, k=3, s=0), r"s must be at least 1, got 0"),
    (dict(i=5, k=3, p=-1), r"p must be at least 0, got -1"),
    (dict(i=5.0, k=3), r"i must be an int, got 5.0"),
    (dict(i=5, k=True), r"k must be an int, got True"),
    (dict(i=0, k=1), r"i must be at least 1, got 0"),
    (dict(i=5, k=3, p="half"), r"p must be a non-negative int or one of .*'half'"),
    (dict(i=5, k=3, d=0), r"d must be at least 1, got 0"),
    (dict(i=3, k=3, d=2), r"dilated to 5"),
])
def test_conv_output_size_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        arith.conv_output_size(**kwargs)


def test_numpy_integers_are_accepted():
    assert arith.conv_output_size(np.int64(28), np.int32(3)) == 26


def test_transposed_conv_inverts_the_convolution_size():
    for i in range(4, 15):
        for k in (2, 3, 4):
            for s in (1, 2, 3):
                for p in (0, 1):
                    if k > i + 2 * p:
                        continue
                    o = arith.conv_output_size(i, k, s, p)
                    a = (i + 2 * p - k) % s
                    assert arith.transposed_conv_output_size(o, k, s, p, a) == i
    layer = layers.Conv2DTranspose(1, 3, strides=2, padding="valid")
    assert layer.compute_output_shape((None, 5, 5, 1))[1] == arith.transposed_conv_output_size(5, 3, 2)


def test_transposed_conv_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"output_padding must be smaller than the stride s=2, got 2"):
        arith.transposed_conv_output_size(3, 3, 2, 0, 2)
    with pytest.raises(ValueError, match=r"p=3 is too large"):
        arith.transposed_conv_output_size(1, 3, 1, 3)
    with pytest.raises(ValueError, match=r"p must be at least 0"):
        arith.transposed_conv_output_size(3, 3, 1, -1)


def test_pool_output_size():
    assert arith.pool_output_size(224, 2) == 112
    assert arith.pool_output_size(55, 3, 2) == 27   # AlexNet's overlapping pooling
    assert arith.pool_output_size(5, 2) == 2        # floor: the last row is dropped
    with pytest.raises(ValueError, match=r"k=4 is larger than the input i=3"):
        arith.pool_output_size(3, 4)
    with pytest.raises(ValueError, match=r"s must be at least 1"):
        arith.pool_output_size(8, 2, 0)


# --- parameters and receptive fields ---------------------------------------------------

def test_conv_params_slides_examples():
    assert arith.conv_params(8, 3, 20) == 3_860
    assert arith.conv_params(5, 3, 10) == 760
    assert arith.conv_params(5, 3, 1) == 76
    assert arith.conv_params(11, 3, 96) == 34_944
    assert arith.conv_params((3, 5), 2, 4, bias=False) == 120
    inception = sum(arith.conv_params(k, 192, f, bias=False) for k, f in [(1, 64), (3, 128), (5, 32)])
    assert inception == 387_072


def test_conv_params_match_keras():
    layer = layers.Conv2D(7, (3, 5))
    layer.build((None, 9, 9, 4))
    assert layer.count_params() == arith.conv_params((3, 5), 4, 7)


def test_unshared_params_slides_examples():
    assert arith.unshared_params(8, 3, 20, 14) == 756_560
    assert arith.unshared_params(11, 3, 96, 55) == 105_705_600
    assert arith.unshared_params(3, 1, 1, (2, 4), bias=False) == 72


def test_param_counts_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"c_in must be at least 1, got 0"):
        arith.conv_params(3, 0, 8)
    with pytest.raises(ValueError, match=r"k must be an int or a \(height, width\) pair"):
        arith.conv_params((3, 3, 3), 1, 1)
    with pytest.raises(ValueError, match=r"out_size must be at least 1"):
        arith.unshared_params(3, 1, 1, 0)


def test_receptive_field():
    assert arith.receptive_field([(3, 1)] * 3) == 7
    assert arith.receptive_field([(3, 1)] * 2) == 5
    assert arith.receptive_field([(3, 1), (2, 2), (3, 1)]) == 8
    assert arith.receptive_field([(3, 1, 2)]) == 5
    assert arith.receptive_field([]) == 1
    with pytest.raises(ValueError, match=r"layers\[1\] must be \(kernel, stride\)"):
        arith.receptive_field([(3, 1), (3,)])
    with pytest.raises(ValueError, match=r"layers\[0\] stride must be at least 1"):
        arith.receptive_field([(3, 0)])
    with pytest.raises(ValueError, match=r"layers must be a list"):
        arith.receptive_field(3)


# --- layer tables --------------------------------------------------------------------

@pytest.fixture(scope="module")
def vgg16_table():
    return arith.layer_table(keras.applications.VGG16(weights=None))


def test_vgg16_table_reproduces_cs231n(vgg16_table):
    table = vgg16_table
    assert table.total_parameters == 138_357_544
    assert table.total_macs == 15_470_264_320
    assert table.rows[0].name == "input_layer" and table.rows[0].output_shape == (224, 224, 3)
    assert table["block1_conv1"].activations == 224 * 224 * 64
    assert table["block1_conv1"].macs == 224 * 224 * 64 * 3 * 3 * 3
    assert table["block5_pool"].output_shape == (7, 7, 512)
    assert table["fc1"].parameters - 4096 == 102_760_448
    assert table["fc1"].macs == 102_760_448
    assert table.total_activations - table["flatten"].activations == 15_237_608
    assert table.total_activation_bytes == 4 * table.total_activations
    text = str(table)
    assert "block3_conv2" in text and "138,357,544" in text and "15.47 GMACs" in text
    assert "<table>" in table._repr_html_()


def test_layer_table_sequential_gets_an_input_row():
    model = keras.Sequential([
        keras.Input((10, 12, 3)),
        layers.Conv2D(4, 3, strides=2, padding="same"),
        layers.DepthwiseConv2D(3),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(5),
    ])
    table = arith.layer_table(model, dtype_bytes=2)
    assert [row.kind for row in table] == ["InputLayer", "Conv2D", "DepthwiseConv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert table[0].activations == 360
    assert table[1].output_shape == (5, 6, 4) and table[1].macs == 5 * 6 * 4 * 27
    assert table[2].output_shape == (3, 4, 4) and table[2].macs == 3 * 4 * 4 * 9
    assert table[4].output_shape == (8,) and table[5].macs == 8 * 5  # pool 3×4 → 1×2, ×4 channels
    assert table.total_parameters == model.count_params()
    assert table[1].activation_bytes == 2 * 120
    assert len(table) == 6


def test_layer_table_functional_with_groups_and_nested_model():
    inputs = keras.Input((8, 8, 4))
    grouped = layers.Conv2D(6, 3, groups=2, name="grouped")(inputs)
    inner = keras.Sequential([keras.Input((6, 6, 6)), layers.Conv2D(2, 1)], name="inner")
    outputs = layers.GlobalAveragePooling2D()(inner(grouped))
    model = keras.Model(inputs, outputs)
    table = arith.layer_table(model)
    assert table["grouped"].macs == 6 * 6 * 6 * 9 * 4 // 2
    assert table["inner"].macs == 6 * 6 * 2 * 6
    assert table.total_parameters == model.count_params()


def test_layer_table_counts_every_call_of_a_shared_layer():
    left, right = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    shared = layers.Conv2D(4, 3, name="shared")
    merged = layers.Concatenate()([shared(left), shared(right)])
    model = keras.Model([left, right], merged)
    outside = keras.Input((10, 10, 3))
    keras.Model(outside, shared(outside))  # a third call, in another model: not counted
    table = arith.layer_table(model)
    assert [row.kind for row in table].count("InputLayer") == 2
    assert table["shared"].output_shape == (6, 6, 4)
    assert table["shared"].activations == 2 * 144
    assert table["shared"].macs == 2 * 6 * 6 * 4 * 27
    assert table.total_parameters == model.count_params() == 112


def test_layer_table_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"model must be a keras.Model, got int"):
        arith.layer_table(3)
    with pytest.raises(ValueError, match=r"has no defined input"):
        arith.layer_table(keras.Sequential([layers.Dense(2)]))
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"dtype_bytes must be a positive int"):
        arith.layer_table(model, dtype_bytes=0)
    with pytest.raises(KeyError, match=r"no layer named 'nope'"):
        arith.layer_table(model)["nope"]


def test_trainable_params_leaves_out_batchnorm_statistics():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization()])
    assert arith.trainable_params(model) == arith.conv_params(3, 3, 4) + 2 * 4   # γ, β trainable
    assert model.count_params() == arith.trainable_params(model) + 2 * 4         # μ, σ² are not
