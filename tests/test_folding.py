"""labs.folding: BatchNormalization folded into Conv/Dense, equal outputs on real images, honest reports."""
import numpy as np
import pytest

import keras
from keras import layers

from labs.folding import FoldReport, fold_batchnorm, fold_report, folded_weights

RELATIVE_TOLERANCE = 1e-5  # max |folded − original| ≤ 1e-5 · max |original|


# --- real inputs and random BN statistics ---------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    """48 real MNIST test digits, (48, 28, 28, 1) float32 in [0, 1]."""
    from labs.data import load_mnist

    images, _ = load_mnist(split="test")
    return (images[:48, ..., None] / 255.0).astype("float32")


@pytest.fixture(scope="module")
def patches():
    """16 real 32×32 RGB patches of the astronaut photo, float32 in [0, 1]."""
    from labs.data import sample_image

    image = sample_image("astronaut")
    corners = [(r, c) for r in range(0, 256, 64) for c in range(0, 256, 64)]
    return np.stack([image[r:r + 32, c:c + 32] for r, c in corners]).astype("float32") / 255.0


def randomize_batchnorm(model, seed=0):
    """γ of both signs, β, moving mean and variance far from 0/1, in every BN (nested ones too)."""
    rng = np.random.default_rng(seed)
    for layer in _all_layers(model):
        if isinstance(layer, layers.BatchNormalization):
            randomize_statistics(layer, rng)
    return model


def randomize_statistics(batchnorm, rng):
    values = []
    for weight in batchnorm.weights:
        n = weight.shape[0]
        values.append({
            "gamma": rng.uniform(0.3, 3.0, n) * rng.choice([-1, 1], n),
            "beta": rng.normal(2.0, 3.0, n),
            "moving_mean": rng.normal(-1.5, 4.0, n),
            "moving_variance": rng.uniform(0.05, 25.0, n),
        }[weight.path.rsplit("/", 1)[-1]])
    batchnorm.set_weights(values)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def batchnorm_count(model):
    return sum(isinstance(layer, layers.BatchNormalization) for layer in _all_layers(model))


def assert_same_outputs(original, folded, x, xla=False):
    """Compare inference outputs; xla=True runs both through XLA (TF's CPU kernels refuse NCHW convolutions)."""
    expected = keras.ops.convert_to_numpy(_inference(original, xla)(x))
    got = keras.ops.convert_to_numpy(_inference(folded, xla)(x))
    scale = np.max(np.abs(expected))
    error = np.max(np.abs(got - expected))
    assert scale > 1.0, "outputs too small to say anything about relative error"
    assert error <= RELATIVE_TOLERANCE * scale, f"max |diff| {error:.3g} > 1e-5 × output scale {scale:.3g}"
    return error / scale


def _inference(model, xla):
    if not xla:
        return lambda x: model(x, training=False)
    import tensorflow as tf

    return tf.function(lambda x: model(x, training=False), jit_compile=True)


def snapshot(model):
    return [keras.ops.convert_to_numpy(w).copy() for w in model.weights]


# --- models --------------------------------------------------------------------------------

def sequential_cnn(channels=(8, 16), use_bias=True):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(channels[0], 3, use_bias=use_bias),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.MaxPooling2D(),
        layers.Conv2D(channels[1], 3, padding="same", use_bias=use_bias),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=use_bias),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10, use_bias=use_bias),
        layers.BatchNormalization(),
    ], name="sequential_cnn")


def residual_cnn(width=16, use_bias=False):
    """Stem, one residual block with a projection shortcut, one with identity, head; 5 foldable BNs."""
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(width, 3, padding="same", use_bias=use_bias, name="stem")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU()(x)
    y = layers.Conv2D(2 * width, 3, strides=2, padding="same", use_bias=use_bias, name="a1")(x)
    y = layers.BatchNormalization(name="a1_bn")(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(2 * width, 3, padding="same", use_bias=use_bias, name="a2")(y)
    y = layers.BatchNormalization(name="a2_bn")(y)
    shortcut = layers.Conv2D(2 * width, 1, strides=2, use_bias=use_bias, name="proj")(x)
    shortcut = layers.BatchNormalization(name="proj_bn")(shortcut)
    x = layers.ReLU()(layers.Add()([y, shortcut]))
    y = layers.DepthwiseConv2D(3, padding="same", use_bias=use_bias, name="dw")(x)
    y = layers.BatchNormalization(name="dw_bn")(y)
    x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, name="head")(x)
    return keras.Model(inputs, outputs, name="residual_cnn")


# --- equality ------------------------------------------------------------------------------

@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("channels", [(1, 3), (8, 16), (32, 7)])
def test_sequential_cnn_folds_completely_and_gives_the_same_outputs(digits, channels, use_bias):
    model = randomize_batchnorm(sequential_cnn(channels, use_bias), seed=sum(channels))
    folded = fold_batchnorm(model)
    assert isinstance(folded, keras.Sequential)
    assert batchnorm_count(folded) == 0 and len(folded.layers) == len(model.layers) - 4
    assert_same_outputs(model, folded, digits)


@pytest.mark.parametrize("width", [4, 16])
@pytest.mark.parametrize("use_bias", [True, False])
def test_residual_network_with_branches_folds_every_bn(patches, width, use_bias):
    model = randomize_batchnorm(residual_cnn(width, use_bias), seed=width)
    report = fold_report(model)
    assert report.folded == {"stem_bn": "stem", "a1_bn": "a1", "a2_bn": "a2", "proj_bn": "proj", "dw_bn": "dw"}
    assert report.not_folded == {}
    folded = fold_batchnorm(model)
    assert batchnorm_count(folded) == 0
    assert all(layer.use_bias for layer in folded.layers if layer.name in report.folded.values())
    assert_same_outputs(model, folded, patches)


def test_folding_works_on_a_trained_network(digits):
    from labs.data import load_mnist

    images, labels = load_mnist(split="test")
    model = sequential_cnn((4, 8))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    keras.utils.set_random_seed(0)
    model.fit(images[:512, ..., None] / 255.0, labels[:512], epochs=1, batch_size=64, verbose=0)
    folded = fold_batchnorm(model)
    expected = keras.ops.convert_to_numpy(model(digits, training=False))
    got = keras.ops.convert_to_numpy(folded(digits, training=False))
    assert np.max(np.abs(got - expected)) <= RELATIVE_TOLERANCE * max(1.0, np.max(np.abs(expected)))


def test_dense_on_sequences_and_center_scale_false(digits):
    inputs = keras.Input((28, 28))
    x = layers.Dense(12)(inputs)                                # Dense over the last axis of a 3-D tensor
    x = layers.BatchNormalization(center=False)(x)
    x = layers.Dense(6, use_bias=False)(layers.ReLU()(x))
    x = layers.BatchNormalization(scale=False, epsilon=0.1)(x)
    x = layers.Conv1D(5, 3, use_bias=False)(layers.ReLU()(x))
    x = layers.BatchNormalization(center=False, scale=False)(x)
    model = randomize_batchnorm(keras.Model(inputs, x))
    folded = fold_batchnorm(model)
    assert len(fold_report(model).folded) == 3 and batchnorm_count(folded) == 0
    assert_same_outputs(model, folded, digits[..., 0])


def test_channels_first_convolution_folds_with_axis_1(digits):
    inputs = keras.Input((1, 28, 28))
    x = layers.Conv2D(6, 3, data_format="channels_first")(inputs)
    x = layers.BatchNormalization(axis=1)(x)
    model = randomize_batchnorm(keras.Model(inputs, x))
    folded = fold_batchnorm(model)
    assert batchnorm_count(folded) == 0
    assert_same_outputs(model, folded, np.moveaxis(digits, -1, 1), xla=True)


def test_nested_model_is_folded_recursively(digits):
    block = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, name="inner_conv"),
                              layers.BatchNormalization(name="inner_bn"), layers.ReLU()], name="block")
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(4, 1, name="after")(block(inputs))
    outputs = layers.BatchNormalization(name="outer_bn")(x)
    model = randomize_batchnorm(keras.Model(inputs, outputs))
    report = fold_report(model)
    assert report.folded == {"block/inner_bn": "block/inner_conv", "outer_bn": "after"}
    folded = fold_batchnorm(model)
    assert batchnorm_count(folded) == 0
    assert_same_outputs(model, folded, digits)


def test_depthwise_folding_by_hand():
    """Channel c·m + j of a depthwise kernel (kh, kw, c_in, m) is scaled by its own γ/√(σ² + ε)."""
    conv = layers.DepthwiseConv2D(3, depth_multiplier=2)
    conv.build((None, 8, 8, 3))
    batchnorm = layers.BatchNormalization()
    batchnorm.build((None, 6, 6, 6))
    randomize_statistics(batchnorm, np.random.default_rng(1))
    kernel, bias = folded_weights(conv, batchnorm)
    gamma, beta, mean, variance = (keras.ops.convert_to_numpy(w) for w in batchnorm.weights)
    original_kernel, original_bias = (keras.ops.convert_to_numpy(w) for w in conv.weights)
    for c in range(3):
        for j in range(2):
            k = c * 2 + j
            scale = gamma[k] / np.sqrt(variance[k] + 1e-3)
            np.testing.assert_allclose(kernel[:, :, c, j], original_kernel[:, :, c, j] * scale, rtol=1e-6)
            np.testing.assert_allclose(bias[k], (original_bias[k] - mean[k]) * scale + beta[k], rtol=1e-5)


# --- what must not be folded ----------------------------------------------------------------

def _with_unfoldable(case):
    inputs = keras.Input((28, 28, 1))
    conv = layers.Conv2D(4, 3, name="conv")
    if case == "activation in the conv":
        x = layers.BatchNormalization(name="bn")(layers.Conv2D(4, 3, activation="relu", name="conv")(inputs))
        return keras.Model(inputs, x), "applies activation 'relu'"
    if case == "activation layer between":
        x = layers.BatchNormalization(name="bn")(layers.ReLU(name="relu")(conv(inputs)))
        return keras.Model(inputs, x), "follows ReLU 'relu'"
    if case == "conv output feeds another layer":
        c = conv(inputs)
        x = layers.Add()([layers.BatchNormalization(name="bn")(c), layers.Conv2D(4, 1, name="other")(c)])
        return keras.Model(inputs, x), "also feeds 'other'"
    if case == "conv output is a model output":
        c = conv(inputs)
        return keras.Model(inputs, [layers.BatchNormalization(name="bn")(c), c]), "also a model output"
    if case == "bn after add":
        c = conv(inputs)
        x = layers.BatchNormalization(name="bn")(layers.Add(name="add")([c, layers.Conv2D(4, 3)(inputs)]))
        return keras.Model(inputs, x), "follows Add 'add'"
    if case == "bn on the wrong axis":
        x = layers.BatchNormalization(axis=1, name="bn")(conv(inputs))
        return keras.Model(inputs, x), "normalizes axis 1, but the channels of Conv2D 'conv' are on axis 3"
    if case == "shared conv":
        shared = layers.Conv2D(1, 3, padding="same", name="conv")
        x = layers.BatchNormalization(name="bn")(shared(shared(inputs)))
        return keras.Model(inputs, x), "called 2 times"
    if case == "bn called with training=True":
        x = layers.BatchNormalization(name="bn")(conv(inputs), training=True)
        return keras.Model(inputs, x), "training=True"
    if case == "bn on the model input":
        x = conv(layers.BatchNormalization(name="bn")(inputs))
        return keras.Model(inputs, x), "model input"
    if case == "bn after a nested model":
        block = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3)], name="block")
        x = layers.BatchNormalization(name="bn")(block(inputs))
        return keras.Model(inputs, x), "nested model 'block'"
    raise ValueError(case)


UNFOLDABLE = ["activation in the conv", "activation layer between", "conv output feeds another layer",
              "conv output is a model output", "bn after add", "bn on the wrong axis", "shared conv",
              "bn called with training=True", "bn on the model input", "bn after a nested model"]


@pytest.mark.parametrize("case", UNFOLDABLE)
def test_unfoldable_batchnorm_is_reported_and_left_in_place(case, digits, capsys):
    model, reason = _with_unfoldable(case)
    randomize_batchnorm(model)
    report = fold_report(model)
    assert report.folded == {} and list(report.not_folded) == ["bn"]
    assert reason in report.not_folded["bn"]
    folded = fold_batchnorm(model)
    assert "kept 1" in capsys.readouterr().out, "a notice names the layers left in place"
    assert batchnorm_count(folded) == 1 and len(folded.layers) == len(model.layers)
    kept = folded.get_layer("bn")
    for old, new in zip(model.get_layer("bn").weights, kept.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(old), keras.ops.convert_to_numpy(new))
    if case != "bn called with training=True":   # that one uses batch statistics on purpose
        for expected, got in zip(keras.tree.flatten(model(digits)), keras.tree.flatten(folded(digits))):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected),
                                       rtol=1e-5, atol=1e-5)


def test_partly_foldable_model_folds_the_rest(digits):
    inputs = keras.Input((28, 28, 1))
    x = layers.BatchNormalization(name="kept")(layers.Conv2D(4, 3, activation="relu")(inputs))
    x = layers.BatchNormalization(name="folded")(layers.Conv2D(6, 3, name="conv")(x))
    model = randomize_batchnorm(keras.Model(inputs, x))
    folded = fold_batchnorm(model)
    assert fold_report(model).folded == {"folded": "conv"}
    assert [layer.name for layer in folded.layers if isinstance(layer, layers.BatchNormalization)] == ["kept"]
    assert_same_outputs(model, folded, digits)


# --- the original, the report, saving --------------------------------------------------------

def test_original_model_is_not_modified(patches):
    model = randomize_batchnorm(residual_cnn(8, use_bias=False))
    before, names = snapshot(model), [layer.name for layer in model.layers]
    expected = keras.ops.convert_to_numpy(model(patches))
    folded = fold_batchnorm(model)
    for old, new in zip(before, snapshot(model)):
        np.testing.assert_array_equal(old, new)
    assert [layer.name for layer in model.layers] == names
    assert not model.get_layer("stem").use_bias, "the original conv must keep use_bias=False"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(patches)), expected)
    assert not {id(v) for v in model.weights} & {id(v) for v in folded.weights}, "no variable may be shared"
    folded.get_layer("head").kernel.assign(np.zeros(folded.get_layer("head").kernel.shape))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(patches)), expected)


def test_folded_model_saves_as_keras_and_reloads_without_custom_objects(tmp_path, patches):
    model = randomize_batchnorm(residual_cnn(8))
    folded = fold_batchnorm(model)
    path = tmp_path / "folded.keras"
    folded.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(patches)),
                               keras.ops.convert_to_numpy(folded(patches)), rtol=0, atol=0)
    assert_same_outputs(model, reloaded, patches)


def test_report_lists_every_batchnorm_in_order_and_prints():
    model, _ = _with_unfoldable("activation in the conv")
    report = fold_report(model)
    assert isinstance(report, FoldReport) and len(report) == 1
    decision = next(iter(report))
    assert decision.batchnorm == "bn" and not decision.folded and decision.into is None
    text = str(report)
    assert "0 of 1 BatchNormalization layers folded" in text and "kept" in text
    assert str(fold_report(sequential_cnn())).count("folded into") == 4


def test_model_without_batchnorm_gives_an_equal_copy(digits):
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(3, 3), layers.Flatten(), layers.Dense(2)])
    assert len(fold_report(model)) == 0
    copy = fold_batchnorm(model)
    assert copy is not model
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(copy(digits)), keras.ops.convert_to_numpy(model(digits)))


# --- bad inputs ----------------------------------------------------------------------------------

def test_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match="model must be a keras.Model .*got Conv2D"):
        fold_batchnorm(layers.Conv2D(3, 3))
    with pytest.raises(TypeError, match="model must be a keras.Model .*got str"):
        fold_report("resnet")


def test_subclassed_model_is_a_type_error():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.conv, self.bn = layers.Conv2D(2, 3), layers.BatchNormalization()

        def call(self, x):
            return self.bn(self.conv(x))

    with pytest.raises(TypeError, match="'net' is a subclassed Net: only Sequential and functional"):
        fold_batchnorm(Net())


def test_unbuilt_sequential_is_a_value_error():
    with pytest.raises(ValueError, match="Sequential model that is not built: start it with keras.Input"):
        fold_batchnorm(keras.Sequential([layers.Conv2D(2, 3), layers.BatchNormalization()], name="unbuilt"))


def test_folded_weights_rejects_wrong_layers_and_mismatched_channels():
    conv, batchnorm = layers.Conv2D(4, 3, name="conv"), layers.BatchNormalization(name="bn")
    with pytest.raises(ValueError, match="layer 'conv' is not built"):
        folded_weights(conv, batchnorm)
    conv.build((None, 8, 8, 3))
    batchnorm.build((None, 6, 6, 5))
    with pytest.raises(ValueError, match="'bn' normalizes 5 channels, but layer 'conv' has 4 output channels"):
        folded_weights(conv, batchnorm)
    with pytest.raises(TypeError, match="layer must be a Conv1D/2D/3D, DepthwiseConv1D/2D or Dense layer, got ReLU"):
        folded_weights(layers.ReLU(), batchnorm)
    with pytest.raises(TypeError, match="batchnorm must be a BatchNormalization layer, got Conv2D"):
        folded_weights(conv, conv)
