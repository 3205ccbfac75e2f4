"""Tests of labs.recipe: the settings per profile, optimizers, schedule and the augmentation layer."""
import keras
import numpy as np
import pytest

from labs.recipe import (REASONS, RandomCropFlip, channel_statistics, describe, learning_rate, optimizer, recipe,
                         schedule, training_model)


def test_profiles_differ_only_in_size_and_every_choice_has_a_reason():
    full, quick = recipe("full"), recipe("quick")
    assert (full.epochs, full.batch_size, full.width, full.train_images) == (60, 128, 1.0, 45_000)
    assert quick.epochs == 1 and quick.width < 1
    assert quick.sgd_momentum == full.sgd_momentum and quick.adam_learning_rate == full.adam_learning_rate
    assert set(full.as_dict()) - {"profile"} <= set(REASONS)
    assert "reason" not in describe(full) and "cosine" in describe(full)
    assert recipe("quick", epochs=3).epochs == 3


def test_bad_recipes_raise():
    with pytest.raises(ValueError, match="profile must be 'quick' or 'full'"):
        recipe("medium")
    with pytest.raises(ValueError, match="unknown recipe field"):
        recipe("quick", learning_rate=1)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        learning_rate("rmsprop", "none", recipe("full"))
    with pytest.raises(ValueError, match="schedule must be"):
        schedule(0.1, recipe("full", schedule="step"), 10)
    with pytest.raises(ValueError, match="padding must be a non-negative int"):
        RandomCropFlip(padding=-1)
    with pytest.raises(ValueError, match="images must be N×H×W×C"):
        channel_statistics(np.zeros((4, 4)))


def test_learning_rates_and_optimizers():
    full = recipe("full")
    assert learning_rate("sgd", "batchnorm", full) == 0.1
    assert learning_rate("sgd", "none", full) == learning_rate("sgd", "dropout", full) == 0.02
    assert learning_rate("adam", "none", full) == 1e-3
    sgd, adam = optimizer("sgd", "batchnorm", full, 352), optimizer("adam", "none", full, 352)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9 and sgd.weight_decay == 5e-4
    assert isinstance(adam, keras.optimizers.AdamW) and adam.weight_decay == 0.05
    # the same shrinkage per step at the peak: lr · λ
    assert 0.1 * 5e-4 == pytest.approx(1e-3 * 0.05)


def test_schedule_warms_up_then_decays_to_zero():
    full = recipe("full")
    rate = schedule(0.1, full, steps_per_epoch=100)
    values = [float(rate(step)) for step in (0, 100, 200, 200 + 2900, 6000)]
    assert values[0] == pytest.approx(0.01) and values[2] == pytest.approx(0.1)
    assert values[0] < values[1] < values[2] and values[3] == pytest.approx(0.05, rel=1e-3)
    assert values[4] == pytest.approx(0.0, abs=1e-7)
    assert schedule(0.1, recipe("full", schedule="constant"), 100) == 0.1


def test_quick_schedule_warms_up_over_a_quarter_of_its_one_epoch():
    quick = recipe("quick")
    steps = quick.train_images // quick.batch_size  # 188
    rate = schedule(0.1, quick, steps_per_epoch=steps)
    warmup = round(0.25 * steps)  # 47
    values = [float(rate(step)) for step in (0, warmup, warmup + (steps - warmup) // 2, steps)]
    assert values[0] == pytest.approx(0.01) and values[1] == pytest.approx(0.1)
    assert values[2] == pytest.approx(0.05, rel=0.02) and values[3] == pytest.approx(0.0, abs=1e-7)


def test_crop_flip_shifts_or_mirrors_each_image_and_is_identity_at_inference():
    rng = np.random.default_rng(0)
    images = rng.uniform(1, 2, (16, 8, 8, 3)).astype("float32")
    layer = RandomCropFlip(padding=2, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    out = np.asarray(layer(images, training=True))
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    seen = set()
    for index in range(len(images)):
        matches = [(dy, dx, flip) for dy in range(5) for dx in range(5) for flip in (False, True)
                   if np.array_equal(out[index], (lambda c: c[:, ::-1] if flip else c)(padded[index, dy:dy + 8, dx:dx + 8]))]
        assert matches, f"image {index} is not a crop of its padded self"
        seen.add(matches[0])
    assert len(seen) > 4  # offsets and flips differ between images


def test_training_model_normalises_and_keeps_the_network():
    network = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D()], name="net")
    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3)).astype("uint8")
    mean, std = channel_statistics(images)
    np.testing.assert_allclose(mean, images.reshape(-1, 3).mean(0))
    model = training_model(network, mean, std, recipe("quick"))
    out = np.asarray(model(images.astype("float32"), training=False))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    assert model.count_params() - network.count_params() >= 0
