"""labs.explain: saliency, Grad-CAM, occlusion, integrated gradients and FGSM against closed forms."""
import numpy as np
import pytest

import keras
from keras import layers

from labs import explain

RNG = np.random.default_rng(0)


def _images(count, shape):
    return RNG.uniform(0.0, 1.0, (count, *shape)).astype("float32")


def linear(last="dense-softmax", shape=(6, 5, 3), classes=4):
    """z = W·flatten(x) + b with random W, b; the softmax in the Dense layer, in its own layer, or absent."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input(shape)
    flat = layers.Flatten()(inputs)
    if last == "dense-softmax":
        outputs = layers.Dense(classes, activation="softmax", name="out")(flat)
    else:
        logits = layers.Dense(classes, name="out")(flat)
        outputs = {"activation": layers.Activation("softmax"), "softmax": layers.Softmax(),
                   "none": layers.Identity()}[last](logits)
    model = keras.Model(inputs, outputs)
    kernel, bias = model.get_layer("out").get_weights()
    model.get_layer("out").set_weights([RNG.normal(0, 1, kernel.shape), RNG.normal(0, 1, bias.shape)])
    return model


def gap_model(last="dense-softmax"):
    """conv (ReLU) → global average pooling → one dense layer: the network of CAM (Zhou et al. 2016)."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input((9, 8, 2))
    maps = layers.Conv2D(5, 3, activation="relu", name="features")(inputs)          # 7×6×5
    pooled = layers.GlobalAveragePooling2D()(maps)
    if last == "dense-softmax":
        outputs = layers.Dense(3, activation="softmax", name="classifier")(pooled)
    else:
        outputs = layers.Softmax()(layers.Dense(3, name="classifier")(pooled))
    return keras.Model(inputs, outputs)


def small_cnn():
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu", name="conv"),
                             layers.MaxPooling2D(), layers.Flatten(), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])


@pytest.fixture(scope="module")
def cnn():
    return small_cnn()


@pytest.mark.parametrize("last", ["dense-softmax", "activation", "softmax", "none"])
def test_saliency_of_a_linear_model_is_the_absolute_weights_max_over_channels(last):
    model = linear(last)
    kernel = model.get_layer("out").get_weights()[0]                     # (6·5·3, 4)
    images = _images(3, (6, 5, 3))
    for c in range(4):
        expected = np.abs(kernel[:, c].reshape(6, 5, 3)).max(axis=-1)
        got = explain.saliency(model, images, c)
        assert got.shape == (3, 6, 5)
        np.testing.assert_allclose(got, np.broadcast_to(expected, got.shape), rtol=1e-6)


def test_logits_are_the_softmax_input_and_follow_later_training():
    model = linear()
    images = _images(5, (6, 5, 3))
    kernel, bias = model.get_layer("out").get_weights()
    np.testing.assert_allclose(explain.logits(model, images), images.reshape(5, -1) @ kernel + bias, rtol=1e-5, atol=1e-5)
    model.get_layer("out").set_weights([2 * kernel, bias])               # the cached probe shares the variables
    np.testing.assert_allclose(explain.logits(model, images), images.reshape(5, -1) @ (2 * kernel) + bias,
                               rtol=1e-5, atol=1e-5)
    probabilities = keras.ops.convert_to_numpy(model(images))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(explain.logits(model, images))),
                               probabilities, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("last", ["dense-softmax", "softmax"])
def test_grad_cam_on_a_gap_network_is_cam_over_h_times_w(last):
    model = gap_model(last)
    images = _images(4, (9, 8, 2))
    maps = keras.ops.convert_to_numpy(keras.Model(model.inputs[0], model.get_layer("features").output)(images))
    weights = model.get_layer("classifier").get_weights()[0]               # (5, 3)
    for c in range(3):
        cam = np.maximum(np.einsum("nhwk,k->nhw", maps, weights[:, c]), 0)  # Σ_k w_k^c A^k, ReLU
        got = explain.grad_cam(model, images, c, "features")
        assert got.shape == (4, 7, 6)
        np.testing.assert_allclose(got, cam / (7 * 6), atol=1e-5)
    assert np.ptp(got) > 1e-3, "a map that is all zeros would pass trivially"


def test_grad_cam_and_saliency_from_a_saturated_probability_nearly_vanish():
    model = gap_model()
    images = _images(4, (9, 8, 2))
    kernel, bias = model.get_layer("classifier").get_weights()
    kernel[:, 0] = np.abs(kernel[:, 0])                                    # class 0: a positive CAM
    model.get_layer("classifier").set_weights([kernel, bias + [25.0, 0.0, 0.0]])   # p_0 close to 1
    c = 0
    gradient, p = explain.input_gradient(model, images, c, score="probability")
    assert np.all(p > 0.99)
    ratio = np.abs(gradient).max() / explain.saliency(model, images, c).max()
    assert ratio < 0.05
    from_probability = explain.grad_cam(model, images, c, "features", score="probability").max()
    assert from_probability < 0.05 * explain.grad_cam(model, images, c, "features").max()


def test_integrated_gradients_are_complete_and_converge_with_steps():
    model = small_cnn()
    image = _images(1, (12, 12, 1))[0]
    label = int(explain.logits(model, image[None]).argmax())
    z_image, z_zero = explain.logits(model, np.stack([image, np.zeros_like(image)]))[:, label]
    errors = {}
    for steps in (2, 50, 300):
        attributions = explain.integrated_gradients(model, image, label, steps=steps)
        assert attributions.shape == image.shape
        errors[steps] = abs(attributions.sum() - (z_image - z_zero)) / abs(z_image - z_zero)
    assert errors[50] <= 0.05 and errors[300] <= errors[2], errors


def test_integrated_gradients_of_a_linear_model_are_exact_with_any_baseline():
    model = linear()
    image, baseline = _images(2, (6, 5, 3))
    kernel = model.get_layer("out").get_weights()[0]
    attributions = explain.integrated_gradients(model, image, 2, baseline=baseline, steps=1)
    np.testing.assert_allclose(attributions, (image - baseline) * kernel[:, 2].reshape(6, 5, 3), rtol=1e-5, atol=1e-6)


def test_occlusion_map_positions_and_values():
    model = small_cnn()
    image = _images(1, (12, 12, 1))[0]
    got = explain.occlusion_map(model, image, 1, patch=5, stride=3, fill=0.5)
    assert got.shape == ((12 - 5) // 3 + 1,) * 2                         # 3×3
    occluded = image.copy()
    occluded[3:8, 6:11] = 0.5                                              # row 1, column 2
    expected = keras.ops.convert_to_numpy(model(occluded[None]))[0, 1]
    assert got[1, 2] == pytest.approx(float(expected), rel=1e-5)
    assert explain.occlusion_map(model, image, 1, patch=(12, 4), stride=(1, 4)).shape == (1, 3)


def test_fgsm_moves_each_pixel_by_epsilon_against_the_label_and_stays_in_range():
    model = linear()
    images = _images(6, (6, 5, 3))
    labels = explain.logits(model, images).argmax(axis=1)
    adversarial = explain.fgsm(model, images, labels, 0.1)
    assert adversarial.shape == images.shape and adversarial.min() >= 0 and adversarial.max() <= 1
    assert np.abs(adversarial - images).max() <= 0.1 + 1e-6
    kernel = model.get_layer("out").get_weights()[0]
    p = keras.ops.convert_to_numpy(model(images))
    direction = np.sign((p - np.eye(4)[labels]) @ kernel.T).reshape(images.shape)   # sign of ∂J/∂x
    np.testing.assert_allclose(adversarial, np.clip(images + 0.1 * direction, 0, 1), atol=1e-6)
    assert np.all(explain.logits(model, adversarial)[np.arange(6), labels]
                  < explain.logits(model, images)[np.arange(6), labels])
    np.testing.assert_array_equal(explain.fgsm(model, images, labels, 0.0), images)
    wider = explain.fgsm(model, images * 4 - 2, labels, 1.0, value_range=(-2, 2))
    assert wider.min() >= -2 and wider.max() <= 2


@pytest.mark.parametrize("call, message", [
    (lambda m, x: explain.saliency(m, x[0], 0), r"one image\? use images\[None\]"),
    (lambda m, x: explain.saliency(m, x[:, :5], 0), "expects"),
    (lambda m, x: explain.saliency(m, x[:0], 0), "empty"),
    (lambda m, x: explain.saliency(m, np.full_like(x, np.nan), 0), "NaN"),
    (lambda m, x: explain.saliency(m, x, 3), r"class_index must lie in 0\.\.2"),
    (lambda m, x: explain.saliency(m, x, [0, 1]), "one per image"),
    (lambda m, x: explain.saliency(m, x, 1.0), "class_index"),
    (lambda m, x: explain.saliency(m, x, 0, score="softmax"), "score='softmax'"),
    (lambda m, x: explain.grad_cam(m, x, 0, "no_such_layer"), "not a layer.*conv"),
    (lambda m, x: explain.grad_cam(m, x, 0, m.layers[-1].name), "needs a layer with"),
    (lambda m, x: explain.occlusion_map(m, x[0], 0, patch=13, stride=1), "larger than the image"),
    (lambda m, x: explain.occlusion_map(m, x[0], 0, patch=3, stride=0), "stride must be a positive int"),
    (lambda m, x: explain.occlusion_map(m, x, 0, patch=3, stride=1), "one image"),
    (lambda m, x: explain.integrated_gradients(m, x[0], 0, steps=0), "steps must be a positive int"),
    (lambda m, x: explain.integrated_gradients(m, x[0], 0, baseline=x[0, :4]), "baseline"),
    (lambda m, x: explain.fgsm(m, x, [0, 1, 2], -0.1), "epsilon must be a number"),
    (lambda m, x: explain.fgsm(m, x, [0, 1, 2], 0.1, value_range=(1, 0)), "low < high"),
    (lambda m, x: explain.fgsm(m, x, [0, 1], 0.1), "one per image"),
    (lambda m, x: explain.saliency("model", x, 0), "Keras model"),
])
def test_bad_inputs_raise_a_value_error_that_says_what_is_wrong(call, message, cnn):
    model = cnn
    with pytest.raises(ValueError, match=message):
        call(model, _images(3, (12, 12, 1)))


def test_lab_09_vgg_section_offline_without_weights_stops_with_a_missing_weights_error(tmp_path, monkeypatch):
    """Section 10 of lab 09 (full profile): no ImageNet weights and no download → MissingWeightsError."""
    import json
    from pathlib import Path

    import labs
    from labs.models.imagenet import MissingWeightsError

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.setenv("LABS_PROFILE", "full")
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "09_what_a_cnn_sees.ipynb"
    cells = ["".join(c["source"]) for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]]
    picks = next(c for c in cells if "run_vgg = labs.pick(" in c)
    section = next(c for c in cells if c.startswith("if run_vgg:"))
    names = {"labs": labs, "weights_cached": __import__("labs.models.imagenet", fromlist=["x"]).weights_cached}
    exec(next(line for line in picks.splitlines() if line.startswith("run_vgg")), names)
    assert names["run_vgg"] is True
    with pytest.raises(MissingWeightsError, match=r"vgg16_weights_tf_dim_ordering_tf_kernels\.h5.*LABS_OFFLINE=1"):
        exec(section, {**names, "np": np, "keras": keras, "explain": explain})
    assert not list(tmp_path.rglob("*.h5")), "nothing may be downloaded"
