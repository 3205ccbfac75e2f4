"""Tests of labs.models.resnet: residual units (a–e), shortcuts, bottleneck, CIFAR ResNets."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from labs.models import bottleneck_block, residual_block, resnet_cifar  # noqa: E402
from labs.models.resnet import ZeroPadShortcut, cifar_blocks_per_stage, plain_block  # noqa: E402
from labs.arith import trainable_params

# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets.
PAPER_PARAMETERS = {20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6}



def block_model(input_shape, block=residual_block, **kwargs):
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, block(inputs, **kwargs))


def layer_kinds(model):
    return [type(layer).__name__ for layer in model.layers[1:]]


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMETERS))
def test_parameter_counts_match_he_et_al_2015(depth):
    count = trainable_params(resnet_cifar(depth))
    assert abs(count / PAPER_PARAMETERS[depth] - 1) < 0.02, count


def test_resnet20_exact_count_and_shortcut_options():
    # 432 + 6·2,304 + (4,608 + 5·9,216) + (18,432 + 5·36,864) + 650 weights, plus 2·(7·16 + 6·32 + 6·64) BN.
    assert trainable_params(resnet_cifar(20)) == 269_722
    # option B adds two 1×1 projections (16·32 + 32·64) with their BN (2·(32 + 64)).
    assert trainable_params(resnet_cifar(20, shortcut="B")) == 269_722 + 512 + 2048 + 2 * (32 + 64)
    assert trainable_params(resnet_cifar(20, shortcut="C")) > trainable_params(resnet_cifar(20, shortcut="B"))


def test_plain_twin_has_the_same_weights_and_no_additions():
    plain, residual = resnet_cifar(56, plain=True), resnet_cifar(56)
    assert plain.count_params() == residual.count_params()  # option A shortcuts have no parameters
    assert "Add" not in layer_kinds(plain)
    assert layer_kinds(residual).count("Add") == 27
    assert len([k for k in layer_kinds(plain) if k == "Conv2D"]) == 55


def test_blocks_per_stage():
    assert [cifar_blocks_per_stage(d) for d in (20, 32, 44, 56, 110)] == [3, 5, 7, 9, 18]


def test_identity_shortcut_when_shapes_match():
    model = block_model((8, 8, 16), filters=16)
    assert model.output.shape == (None, 8, 8, 16)
    assert layer_kinds(model).count("Conv2D") == 2
    assert trainable_params(model) == 2 * 9 * 16 * 16 + 2 * 2 * 16


def test_projection_when_shapes_change_or_asked():
    strided = block_model((32, 32, 16), filters=32, stride=2)
    assert strided.output.shape == (None, 16, 16, 32)
    assert layer_kinds(strided).count("Conv2D") == 3
    # 3·3·16·32 + 3·3·32·32 convolutions + 16·32 projection, each followed by BN (γ, β).
    assert trainable_params(strided) == 4608 + 9216 + 512 + 3 * 2 * 32
    forced = block_model((8, 8, 16), filters=16, projection=True)
    assert layer_kinds(forced).count("Conv2D") == 3


def test_option_a_zero_pads_a_subsampled_identity():
    model = block_model((8, 8, 16), filters=32, stride=2, projection=False)
    assert "ZeroPadShortcut" in layer_kinds(model)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    shortcut = ZeroPadShortcut(32, 2)(x)
    shortcut = keras.ops.convert_to_numpy(shortcut)
    assert shortcut.shape == (2, 4, 4, 32)
    np.testing.assert_array_equal(shortcut[..., :16], x[:, ::2, ::2, :])
    np.testing.assert_array_equal(shortcut[..., 16:], 0)


@pytest.mark.parametrize("variant, first, last", [
    ("a", "Conv2D", "Activation"),      # ... add → ReLU
    ("b", "Conv2D", "Activation"),      # ... add → BN → ReLU
    ("c", "Conv2D", "Add"),             # ... BN → ReLU → add
    ("d", "Activation", "Add"),         # ReLU → conv ...
    ("e", "BatchNormalization", "Add"),  # BN → ReLU → conv ...
])
def test_variant_layer_order(variant, first, last):
    kinds = layer_kinds(block_model((8, 8, 16), filters=16, variant=variant))
    assert kinds[0] == first and kinds[-1] == last, kinds
    if variant == "b":
        assert kinds[-3:] == ["Add", "BatchNormalization", "Activation"]


def test_zero_branch_gives_the_identity_mapping():
    """With the last conv set to zero, a pre-activation unit passes its input through unchanged."""
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 16)).astype("float32")
    for variant, expected in (("e", x), ("d", x), ("a", np.maximum(x, 0))):
        model = block_model((8, 8, 16), filters=16, variant=variant, name="unit")
        kernel = model.get_layer("unit_conv2").kernel
        kernel.assign(np.zeros(kernel.shape, "float32"))
        got = keras.ops.convert_to_numpy(model(x, training=False))
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=variant)


def test_scaled_residual_multiplies_the_branch():
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 16)).astype("float32")
    plain_sum = block_model((8, 8, 16), filters=16, variant="e")
    scaled = block_model((8, 8, 16), filters=16, variant="e", scale=0.1)
    scaled.set_weights(plain_sum.get_weights())
    branch = keras.ops.convert_to_numpy(plain_sum(x, training=False)) - x
    got = keras.ops.convert_to_numpy(scaled(x, training=False))
    np.testing.assert_allclose(got, x + 0.1 * branch, rtol=1e-5, atol=1e-5)


def test_bottleneck_block_shapes_and_count():
    model = block_model((8, 8, 64), block=bottleneck_block, filters=16)
    assert model.output.shape == (None, 8, 8, 64)
    assert layer_kinds(model).count("Conv2D") == 3  # identity shortcut: 64 in, 4·16 out
    assert trainable_params(model) == 64 * 16 + 9 * 16 * 16 + 16 * 64 + 2 * (16 + 16 + 64)
    strided = block_model((8, 8, 64), block=bottleneck_block, filters=32, stride=2)
    assert strided.output.shape == (None, 4, 4, 128)
    assert layer_kinds(strided).count("Conv2D") == 4


def test_plain_block_has_no_shortcut():
    model = block_model((8, 8, 16), block=plain_block, filters=32, stride=2)
    assert model.output.shape == (None, 4, 4, 32)
    assert "Add" not in layer_kinds(model)


@pytest.mark.parametrize("variant", ["a", "b", "c", "d", "e"])
def test_every_variant_builds_a_cifar_net(variant):
    model = resnet_cifar(8, variant=variant, num_classes=7, input_shape=(16, 16, 3))
    assert model.output.shape == (None, 7)
    x = np.random.default_rng(3).uniform(size=(2, 16, 16, 3)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_one_training_step_and_weight_decay():
    model = resnet_cifar(8, input_shape=(16, 16, 3), weight_decay=1e-4)
    kernels = [layer.kernel for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense))]
    expected = 0.5e-4 * sum(float(np.sum(np.square(keras.ops.convert_to_numpy(k)))) for k in kernels)
    assert float(sum(keras.ops.convert_to_numpy(loss) for loss in model.losses)) == pytest.approx(expected, rel=1e-4)
    assert not resnet_cifar(8, input_shape=(16, 16, 3), weight_decay=0).losses
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(4)
    x, y = rng.uniform(size=(8, 16, 16, 3)).astype("float32"), rng.integers(0, 10, 8)
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)


def test_save_and_reload_keeps_predictions(tmp_path):
    model = resnet_cifar(8, input_shape=(16, 16, 3))
    path = tmp_path / "resnet8.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    x = np.random.default_rng(5).uniform(size=(2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(x)), keras.ops.convert_to_numpy(model(x)), rtol=1e-5)


@pytest.mark.parametrize("depth", [21, 2, 0, "20", 20.0, True])
def test_bad_depth(depth):
    with pytest.raises(ValueError, match=r"depth must be 6n\+2.*20, 32, 44, 56, 110"):
        resnet_cifar(depth)


def test_bad_arguments():
    x = keras.Input(shape=(8, 8, 16))
    with pytest.raises(ValueError, match=r"variant must be one of \('a', 'b', 'c', 'd', 'e'\).*'f'"):
        residual_block(x, 16, variant="f")
    with pytest.raises(ValueError, match="variant must be one of"):
        resnet_cifar(20, variant="v2")
    with pytest.raises(ValueError, match="projection must be None.*True.*False.*'yes'"):
        residual_block(x, 16, projection="yes")
    with pytest.raises(ValueError, match="filters must be a positive int, got 0"):
        residual_block(x, 0)
    with pytest.raises(ValueError, match="stride must be a positive int, got 1.5"):
        residual_block(x, 16, stride=1.5)
    with pytest.raises(ValueError, match="scale must be a positive number"):
        residual_block(x, 16, scale=0)
    with pytest.raises(ValueError, match="projection=False needs filters >= the input's 16 channels"):
        residual_block(x, 8, projection=False)
    with pytest.raises(ValueError, match="expansion must be a positive int"):
        bottleneck_block(x, 4, expansion=0)
    with pytest.raises(ValueError, match=r"shortcut must be one of \('A', 'B', 'C'\).*'D'"):
        resnet_cifar(20, shortcut="D")
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        resnet_cifar(20, num_classes=0)


def test_graph_diagram_draws_every_layer_and_the_skip_arc():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labs import viz

    for kwargs, side_boxes in (({"filters": 16}, 0), ({"filters": 32, "stride": 2}, 2)):
        model = block_model((8, 8, 16), **kwargs)
        ax = viz.graph_diagram(model, title="block")
        boxes = [text for text in ax.texts if text.get_text()]
        arrows = [text for text in ax.texts if not text.get_text()]  # annotations drawn as arrows
        assert len(boxes) == len(model.layers)
        assert any(box.get_text().startswith("add (+)") for box in boxes)
        assert sum(abs(box.get_position()[0]) > 1 for box in boxes) == side_boxes
        assert len(arrows) == sum(len(layer._inbound_nodes[0].input_tensors) for layer in model.layers[1:])
        plt.close(ax.figure)
