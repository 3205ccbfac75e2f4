"""LeNet-5 variants and the slides' short CNN: parameter counts, shapes, the C3 table, custom layers."""
import keras
import numpy as np
import pytest

from labs import arith
from labs.models import C3_CONNECTIONS, lenet5, slides_cnn
from labs.models.lenet import PartialConv2D, Subsampling, scaled_tanh


def _params(model):
    return {layer.name: layer.count_params() for layer in model.layers}


def test_c3_table_is_lecun_1998_table_one():
    assert C3_CONNECTIONS.shape == (6, 16) and C3_CONNECTIONS.dtype == bool
    inputs_per_map = C3_CONNECTIONS.sum(axis=0)
    # 6 maps read 3 contiguous S2 maps, 6 read 4 contiguous, 3 read 4 non-contiguous, 1 reads all.
    np.testing.assert_array_equal(inputs_per_map, [3] * 6 + [4] * 9 + [6])
    assert np.flatnonzero(C3_CONNECTIONS[:, 4]).tolist() == [0, 4, 5]
    assert np.flatnonzero(C3_CONNECTIONS[:, 11]).tolist() == [0, 1, 2, 5]
    assert np.flatnonzero(C3_CONNECTIONS[:, 12]).tolist() == [0, 1, 3, 4]
    assert np.flatnonzero(C3_CONNECTIONS[:, 14]).tolist() == [0, 2, 3, 5]
    # Row 0 of the paper's table: X at columns 0, 4, 5, 6, 9, 10, 11, 12, 14, 15.
    assert np.flatnonzero(C3_CONNECTIONS[0]).tolist() == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]
    with pytest.raises(ValueError):
        C3_CONNECTIONS[0, 0] = False  # read-only


def test_lecun1998_parameters_match_the_paper():
    model = lenet5("lecun1998")
    params = _params(model)
    assert params["C1"] == arith.conv_params(5, 1, 6) == 156
    assert params["S2"] == 2 * 6 and params["S4"] == 2 * 16
    assert params["C3"] == sum(25 * int(n) + 1 for n in C3_CONNECTIONS.sum(axis=0)) == 1_516
    assert params["C5"] == arith.conv_params(5, 16, 120) == 48_120
    assert params["F6"] == 120 * 84 + 84 == 10_164
    assert params["output"] == 84 * 10 + 10
    # The paper's 60,000 trainable parameters, plus the softmax that replaces its fixed RBF layer.
    assert model.count_params() - params["output"] == 60_000
    assert len(model.get_layer("C3").trainable_weights) == 2


def test_keras_variant_has_the_slides_107786_parameters():
    model = lenet5("keras")
    params = _params(model)
    assert params["C1"] == arith.conv_params(5, 1, 6) == 156
    assert params["C3"] == arith.conv_params(5, 6, 16) == 2_416
    assert params["F5"] == (7 * 7 * 16 + 1) * 120 == 94_200
    assert params["F6"] == 10_164 and params["output"] == 850
    assert model.count_params() == 107_786
    assert arith.layer_table(model).total_parameters == 107_786


def test_keras_variant_macs():
    table = arith.layer_table(lenet5("keras"))
    assert table["C1"].macs == 28 * 28 * 6 * 25
    assert table["C3"].macs == 14 * 14 * 16 * 5 * 5 * 6
    assert table.total_macs == 117_600 + 470_400 + 94_080 + 10_080 + 840


def test_slides_models_parameters():
    params = _params(lenet5("slides"))
    assert params["conv1"] == arith.conv_params(5, 1, 32) == 832
    assert params["conv2"] == arith.conv_params(5, 32, 64) == 51_264
    assert params["fc1"] == (7 * 7 * 64 + 1) * 1024
    assert sum(params.values()) == 4_324_234
    short = slides_cnn()
    params = _params(short)
    assert params["conv1"] == arith.conv_params(3, 1, 32) and params["conv2"] == arith.conv_params(3, 32, 64)
    assert short.get_layer("conv2").output.shape[1:] == (14, 14, 64)  # the slides' padding='same'
    assert params["fc"] == (14 * 14 * 64 + 1) * 128
    assert short.count_params() == 320 + 18_496 + 1_605_760 + 1_290 == 1_625_866


@pytest.mark.parametrize("build", [lambda: lenet5("lecun1998"), lambda: lenet5("keras"),
                                   lambda: lenet5("slides"), slides_cnn], ids=["lecun1998", "keras", "slides", "cnn"])
def test_models_take_28x28_floats_and_return_probabilities(build):
    model = build()
    assert tuple(model.input.shape) == (None, 28, 28, 1)
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), dtype="float32")))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_lecun1998_feature_map_shapes_and_paper_input_levels():
    model = lenet5("lecun1998")
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["pad_to_32"] == (32, 32, 1)
    assert shapes["C1"] == (28, 28, 6) and shapes["S2"] == (14, 14, 6)
    assert shapes["C3"] == (10, 10, 16) and shapes["S4"] == (5, 5, 16) and shapes["C5"] == (1, 1, 120)
    levels = keras.Model(model.input, model.get_layer("paper_levels").output)
    image = np.zeros((1, 28, 28, 1), "float32")
    image[0, 10, 10, 0] = 1.0
    out = np.asarray(levels(image))
    assert out[0, 0, 0, 0] == pytest.approx(-0.1) and out[0, 12, 12, 0] == pytest.approx(1.175)


def test_partial_conv_equals_a_convolution_with_the_masked_kernel():
    rng = np.random.default_rng(1)
    layer = PartialConv2D(C3_CONNECTIONS, 5)
    x = rng.standard_normal((2, 14, 14, 6)).astype("float32")
    y = np.asarray(layer(x))
    kernel = np.asarray(layer.full_kernel())
    assert kernel.shape == (5, 5, 6, 16)
    np.testing.assert_array_equal(np.abs(kernel).sum(axis=(0, 1)) > 0, C3_CONNECTIONS)
    layer.bias.assign(rng.standard_normal(16).astype("float32"))
    reference = keras.layers.Conv2D(16, 5)
    reference.build((None, 14, 14, 6))
    reference.set_weights([kernel, np.asarray(layer.bias)])
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(reference(x)), atol=1e-5)
    assert y.shape == (2, 10, 10, 16)
    assert layer.count_params() == 1_516


def test_partial_conv_with_all_connections_is_a_full_convolution():
    layer = PartialConv2D(np.ones((6, 16), dtype=bool), 5)
    layer.build((None, 14, 14, 6))
    assert layer.count_params() == arith.conv_params(5, 6, 16)


def test_subsampling_is_a_scaled_block_sum_plus_bias():
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    layer = Subsampling()
    layer.build(x.shape)
    layer.coefficient.assign([1.0, 2.0, 0.5])
    layer.bias.assign([0.0, 1.0, -1.0])
    blocks = x.reshape(2, 2, 2, 2, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(np.asarray(layer(x)), blocks * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0], rtol=1e-6)
    assert layer.count_params() == 6


def test_scaled_tanh_maps_one_to_one():
    assert float(scaled_tanh(np.float32(1.0))) == pytest.approx(1.0, abs=1e-4)


def test_lecun1998_survives_save_and_load(tmp_path):
    model = lenet5("lecun1998")
    x = np.random.default_rng(2).random((2, 28, 28, 1), dtype="float32")
    path = tmp_path / "lenet.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


def test_lecun1998_c3_learns_only_its_connections():
    model = lenet5("lecun1998")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(3).random((16, 28, 28, 1), dtype="float32")
    model.fit(x, np.arange(16) % 10, epochs=1, batch_size=8, verbose=0)
    kernel = np.asarray(model.get_layer("C3").full_kernel())
    assert np.all(kernel[:, :, ~C3_CONNECTIONS] == 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"variant must be one of \('lecun1998', 'keras', 'slides'\), got 'lenet'"):
        lenet5("lenet")
    with pytest.raises(ValueError, match="num_classes must be an int of at least 2, got 1"):
        lenet5("keras", num_classes=1)
    with pytest.raises(ValueError, match="num_classes must be an int of at least 2"):
        slides_cnn(num_classes=2.5)
    with pytest.raises(ValueError, match="connections must be a 2-D boolean array"):
        PartialConv2D(np.ones((6, 16)))
    with pytest.raises(ValueError, match="every output map must read at least one input map"):
        PartialConv2D(np.zeros((6, 16), dtype=bool))
    with pytest.raises(ValueError, match="kernel_size must be a positive int, got 0"):
        PartialConv2D(C3_CONNECTIONS, 0)
    with pytest.raises(ValueError, match="input has 3 channels but connections has 6 rows"):
        PartialConv2D(C3_CONNECTIONS)(np.zeros((1, 14, 14, 3), "float32"))
