"""The training recipe of lab 06 in one place: every choice, its value per profile and its reason.

``recipe()`` returns the settings of the current profile, ``REASONS`` says why each is what
it is, ``optimizer()`` builds SGD or Adam with their own learning rates, schedule and weight
decay, and ``training_model()`` wraps a network with the augmentation and the per-channel
normalisation. Everything is Keras 3 (``keras.layers``, ``keras.ops``, ``keras.random``), so
the same code trains on the TensorFlow, JAX and PyTorch backends.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from .config import profile as current_profile

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class Recipe:
    """The settings of one profile; ``dataclasses.replace(recipe, field=value)`` changes one."""

    profile: str
    epochs: int
    batch_size: int
    eval_batch_size: int
    width: float
    train_images: int | None
    validation_images: int
    test_images: int | None
    sgd_learning_rate: float
    sgd_learning_rate_without_batchnorm: float
    sgd_momentum: float
    adam_learning_rate: float
    weight_decay: float
    adam_weight_decay: float
    warmup_epochs: float
    schedule: str
    augment: bool
    padding: int
    label_smoothing: float
    jit_compile: bool | str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


REASONS = {
    "epochs": "60 with a cosine schedule, 30% of the 200 step-schedule epochs behind the published "
              "73-78% runs; the slides' cells (41-64%) leave room for the shorter budget (an "
              "expectation, not measured here: no GPU). The quick profile trains one epoch.",
    "batch_size": "128: the usual CIFAR size; large enough to keep a GPU busy, small enough that "
                  "SGD's gradient noise still regularises. Quick: 32, for more steps (188) in its one epoch.",
    "eval_batch_size": "250 for validation and test: it divides both sets' sizes, so the evaluation "
                       "step is compiled once (a last, smaller batch would compile it again).",
    "width": "1 = the published channel counts; the quick profile uses 1/8 of every channel.",
    "train_images": "45,000 of the 50,000 training images; the other 5,000 are the validation set. "
                    "Quick: 6,016 = 188 batches of 32 (no smaller last batch to compile a second "
                    "training step for), about the fewest with which every cell leaves chance in one epoch.",
    "validation_images": "5,000 held out to pick nothing but to report the best validation "
                         "accuracy; the test set is touched once, after the last epoch.",
    "test_images": "all 10,000 test images (quick: the stand-in's 2,000, so that 3 standard "
                   "deviations of chance accuracy are 0.67 points).",
    "sgd_learning_rate": "0.1 with momentum 0.9 and BN: the rate of He et al. (2015) for CIFAR ResNets.",
    "sgd_learning_rate_without_batchnorm": "0.02: without BN the largest stable rate is several times "
                                           "lower (BN's point, Ioffe & Szegedy 2015); 0.1 diverges for VGG16.",
    "sgd_momentum": "0.9: the standard heavy-ball momentum for CNNs.",
    "adam_learning_rate": "1e-3: Adam's own default (Kingma & Ba 2015), the rate Wilson et al. "
                          "(2017) compare against; the same with and without BN.",
    "weight_decay": "5e-4 per unit learning rate for SGD (as in the published CIFAR-100 runs); "
                    "biases and BN's γ, β are not decayed.",
    "adam_weight_decay": "0.05 decoupled (AdamW, Loshchilov & Hutter 2019): lr·λ = 1e-3·0.05 = "
                         "5e-5 per step, the same shrinkage per step as SGD's 0.1·5e-4.",
    "warmup_epochs": "2 epochs of linear warm-up: protects the first steps at a high learning rate "
                     "(Goyal et al. 2017). Quick: the first quarter of its one epoch (47 steps), which "
                     "lifts the slowest (SGD) cells of the stand-in grid by 1 to 4 points.",
    "schedule": "cosine decay to 0 (Loshchilov & Hutter 2017): no step epochs to tune.",
    "augment": "random crop after 4-pixel zero padding and horizontal flip: the standard CIFAR "
               "augmentation (He et al. 2015). Off in the one-epoch quick profile: augmentation pays "
               "off over many epochs, and in the first few hundred steps it only slows learning.",
    "padding": "4 pixels: shifts of up to ±4 px, 1/8 of the image.",
    "label_smoothing": "0: off in the grid, as in the slides; an exercise switches it on.",
    "jit_compile": "'auto' (XLA where the backend supports it) on the GPU; off in the quick "
                   "profile, where compiling costs more than one epoch on 2 CPU cores saves.",
}

_FULL = dict(epochs=60, batch_size=128, eval_batch_size=250, width=1.0, train_images=45_000, validation_images=5_000,
             test_images=None, sgd_learning_rate=0.1, sgd_learning_rate_without_batchnorm=0.02,
             sgd_momentum=0.9, adam_learning_rate=1e-3, weight_decay=5e-4, adam_weight_decay=0.05,
             warmup_epochs=2, schedule="cosine", augment=True, padding=4, label_smoothing=0.0,
             jit_compile="auto")
_QUICK = dict(_FULL, epochs=1, batch_size=32, width=0.125, train_images=6_016, validation_images=500,
              test_images=2_000, warmup_epochs=0.25, augment=False, jit_compile=False)


def recipe(profile: str | None = None, **changes) -> Recipe:
    """The recipe of ``profile`` (default: ``labs.profile()``), with any field changed by keyword."""
    profile = profile or current_profile()
    if profile not in ("quick", "full"):
        raise ValueError(f"profile must be 'quick' or 'full', got {profile!r}")
    settings = dict(_QUICK if profile == "quick" else _FULL, profile=profile)
    unknown = sorted(set(changes) - set(settings))
    if unknown:
        raise ValueError(f"unknown recipe field(s) {unknown}; fields are {sorted(settings)}")
    settings.update(changes)
    return Recipe(**settings)


def describe(settings: Recipe) -> str:
    """A text table: field, value, reason."""
    rows = [f"{name:<36} {value!s:<10} {REASONS.get(name, '')}" for name, value in settings.as_dict().items()
            if name != "profile"]
    return f"recipe ({settings.profile} profile)\n" + "\n".join(rows)


def learning_rate(optimizer_name: str, regularization: str, settings: Recipe) -> float:
    """The peak learning rate of a run."""
    _check_optimizer(optimizer_name)
    if optimizer_name == "adam":
        return settings.adam_learning_rate
    if regularization == "batchnorm":
        return settings.sgd_learning_rate
    return settings.sgd_learning_rate_without_batchnorm


def schedule(peak: float, settings: Recipe, steps_per_epoch: int):
    """Linear warm-up from η_peak/10 over ``warmup_epochs`` (a fraction of an epoch allowed), then
    cosine decay to 0 over the remaining T steps: η(t) = η_peak · ½(1 + cos(π t / T))."""
    if settings.schedule == "constant":
        return peak
    if settings.schedule != "cosine":
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {settings.schedule!r}")
    warmup = int(round(settings.warmup_epochs * steps_per_epoch))
    decay = max(1, settings.epochs * steps_per_epoch - warmup)
    if warmup:
        return keras.optimizers.schedules.CosineDecay(peak / 10, decay, warmup_target=peak, warmup_steps=warmup)
    return keras.optimizers.schedules.CosineDecay(peak, decay)


def optimizer(optimizer_name: str, regularization: str, settings: Recipe, steps_per_epoch: int):
    """SGD with momentum or AdamW with the recipe's learning rate, schedule and weight decay."""
    rate = schedule(learning_rate(optimizer_name, regularization, settings), settings, steps_per_epoch)
    if optimizer_name == "sgd":
        built = keras.optimizers.SGD(rate, momentum=settings.sgd_momentum, weight_decay=settings.weight_decay or None)
    else:
        built = keras.optimizers.AdamW(rate, weight_decay=settings.adam_weight_decay)
    built.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return built


@keras.saving.register_keras_serializable(package="labs")
class RandomCropFlip(layers.Layer):
    """Training-time augmentation: zero-pad by ``padding``, crop back at a random offset per
    image, flip half the images left-right. Identity at inference.

    The crop is two one-hot matrix products, ``R_b · X_b · C_bᵀ``, so it is exact and runs
    with ``keras.ops`` alone on every backend.
    """

    def __init__(self, padding: int = 4, flip: bool = True, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"padding must be a non-negative int, got {padding!r}")
        self.padding, self.flip, self.seed = padding, bool(flip), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        ops = keras.ops
        images = ops.cast(images, self.compute_dtype)
        batch = ops.shape(images)[0]
        height, width, p = images.shape[1], images.shape[2], self.padding
        if p:
            padded = ops.pad(images, [[0, 0], [p, p], [p, p], [0, 0]])
            rows = self._selection(batch, height, p)
            columns = self._selection(batch, width, p)
            images = ops.einsum("bik,bklc->bilc", rows, padded)
            images = ops.einsum("bjl,bilc->bijc", columns, images)
        if self.flip:
            coin = keras.random.uniform((batch, 1, 1, 1), seed=self.generator) < 0.5
            images = ops.where(coin, ops.flip(images, axis=2), images)
        return images

    def _selection(self, batch, size, padding):
        ops = keras.ops
        offset = keras.random.randint((batch, 1, 1), 0, 2 * padding + 1, seed=self.generator)
        target = ops.arange(size)[None, :, None] + offset
        return ops.cast(ops.equal(ops.arange(size + 2 * padding)[None, None, :], target), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "flip": self.flip, "seed": self.seed}


def channel_statistics(images) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over all pixels (in the images' units)."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be N×H×W×C, got shape {images.shape}")
    pixels = images.reshape(-1, images.shape[-1]).astype("float64")
    return pixels.mean(axis=0), pixels.std(axis=0)


def training_model(network: keras.Model, mean, std, settings: Recipe, seed: int = 0) -> keras.Model:
    """``network`` behind augmentation (training only) and normalisation x̂ = (x − μ_c)/σ_c."""
    inputs = keras.Input(network.input_shape[1:], name="pixels")
    x = inputs
    if settings.augment:
        x = RandomCropFlip(settings.padding, seed=seed, name="augment")(x)
    x = layers.Normalization(mean=np.asarray(mean, "float32"), variance=np.square(np.asarray(std, "float32")),
                             name="normalize")(x)
    return keras.Model(inputs, network(x), name=f"train_{network.name}")


def _check_optimizer(name):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
