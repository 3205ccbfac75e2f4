"""labs.ascent: gradient ascent on the input raises what it should and keeps images in range."""
import numpy as np
import pytest

import keras
from keras import layers

from labs import ascent, explain


def small_cnn():
    keras.utils.set_random_seed(4)
    return keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu", name="conv"),
                             layers.MaxPooling2D(), layers.Flatten(), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])


def linear():
    keras.utils.set_random_seed(5)
    return keras.Sequential([keras.Input((12, 12, 1)), layers.Flatten(), layers.Dense(3, activation="softmax")])


@pytest.fixture(scope="module")
def cnn():
    return small_cnn()


START = np.random.default_rng(0).uniform(0.0, 0.2, (12, 12, 1)).astype("float32")


def test_maximize_filter_raises_the_mean_activation_and_stays_in_range():
    model = small_cnn()
    maps = keras.ops.convert_to_numpy(keras.Model(model.inputs[0], model.get_layer("conv").output)(START[None]))
    k = int(np.argmax(maps.mean(axis=(0, 1, 2))))
    result = ascent.maximize_filter(model, "conv", k, START, steps=30, step_size=0.1)
    assert len(result.objective) == 31 and result.image.shape == START.shape
    assert result.objective[0] == pytest.approx(float(maps[..., k].mean()), rel=1e-5)
    assert result.objective[-1] >= 2 * result.objective[0]
    assert result.image.min() >= 0 and result.image.max() <= 1


def test_visualize_class_raises_the_logit_one_or_many_classes_at_once():
    model = linear()
    single = ascent.visualize_class(model, 2, steps=30)
    assert single.image.shape == (12, 12, 1) and len(single.objective) == 31
    assert single.objective[-1] > single.objective[0]
    batch = ascent.visualize_class(model, [0, 1, 2], steps=30)
    assert batch.image.shape == (3, 12, 12, 1)
    assert np.all(batch.objective[-1] > batch.objective[0])
    assert explain.logits(model, batch.image).argmax(axis=1).tolist() == [0, 1, 2]
    assert batch.image.min() >= 0 and batch.image.max() <= 1


def test_fooling_image_reaches_the_target_or_says_it_did_not():
    model = linear()
    start = np.random.default_rng(1).uniform(0.0, 1.0, (12, 12, 1)).astype("float32")
    predicted = int(explain.logits(model, start[None]).argmax())
    target = (predicted + 1) % 3
    result = ascent.fooling_image(model, start, target, steps=100, step_size=0.05)
    assert result.reached_at is not None and result.reached_at <= 100
    assert int(explain.logits(model, result.image[None]).argmax()) == target
    assert len(result.objective) == result.reached_at + 1
    already = ascent.fooling_image(model, start, predicted)
    assert already.reached_at == 0 and np.array_equal(already.image, start)
    stuck = ascent.fooling_image(model, start, target, steps=1, step_size=1e-6)
    assert stuck.reached_at is None


@pytest.mark.parametrize("call, message", [
    (lambda m: ascent.maximize_filter(m, "conv", 4, START), r"filter_index must be an int in 0\.\.3"),
    (lambda m: ascent.maximize_filter(m, "nope", 0, START), "not a layer"),
    (lambda m: ascent.maximize_filter(m, "conv", 0, START, steps=0), "steps must be a positive int"),
    (lambda m: ascent.maximize_filter(m, "conv", 0, START, step_size=-1), "step_size must be a positive"),
    (lambda m: ascent.visualize_class(m, 3), r"class_index must lie in 0\.\.2"),
    (lambda m: ascent.visualize_class(m, 0, l2=-1), "l2 and blur_sigma"),
    (lambda m: ascent.fooling_image(m, START[None], 0), "one image"),
    (lambda m: ascent.fooling_image(m, START, 0, value_range=(0, 0)), "low < high"),
])
def test_bad_arguments_raise_a_value_error_that_names_them(call, message, cnn):
    with pytest.raises(ValueError, match=message):
        call(cnn)
