"""Images made by gradient steps on the input: filter and class visualisations, fooling images.

Each step moves the image along the gradient of an objective, divided by its root mean
square so that a pixel moves by about ``step_size`` (a step size that does not depend on the
gradient's scale), and keeps the image in the model's input range ``value_range``. Scores are
logits, as in ``labs.explain``; gradients come from TensorFlow's ``GradientTape``.

References: Erhan et al. 2009 and the keras-io example "Visualizing what convnets learn"
(filters), Simonyan, Vedaldi & Zisserman 2014 and Yosinski et al. 2015 (class visualisation
with L2 regularisation, jitter and blur), Szegedy et al. 2014 and cs231n's assignment 3
(fooling images).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from keras import ops

from .explain import _check_classes, _check_image, _check_range, _probe

__all__ = ["Ascent", "maximize_filter", "visualize_class", "fooling_image"]


class Ascent(NamedTuple):
    """The image reached and the objective before each step and after the last (steps + 1 values).

    ``reached_at``: for ``fooling_image``, the step after which the target class won (None: never).
    """

    image: np.ndarray
    objective: list
    reached_at: int | None = None


def _check_steps(steps, name="steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"{name} must be a positive int, got {steps!r}")
    return int(steps)


def _check_positive(value, name) -> float:
    if isinstance(value, bool) or not np.isscalar(value) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _step(x, gradient, step_size, low, high):
    """x + η·g/RMS(g) for each image of the batch, clipped to [low, high]; no move where g = 0."""
    rms = np.sqrt(np.mean(gradient ** 2, axis=tuple(range(1, gradient.ndim)), keepdims=True))
    moved = x + step_size * np.divide(gradient, rms, out=np.zeros_like(gradient), where=rms > 0)
    return np.clip(moved, low, high).astype("float32")


def maximize_filter(model, layer_name: str, filter_index: int, image, steps: int = 30,
                    step_size: float = 0.05, value_range=(0.0, 1.0)) -> Ascent:
    """Gradient ascent on one filter's mean activation: x ← clip(x + η·g/RMS(g)),

    g = ∂ (1/(h·w)) Σ_ij A^k_ij(x) / ∂x, A^k the k-th map of layer ``layer_name``.
    ``objective`` holds the mean activation before each step and after the last.
    """
    image = _check_image(model, image)
    steps, step_size = _check_steps(steps), _check_positive(step_size, "step_size")
    low, high = _check_range(value_range)
    probe = _probe(model, [layer_name])
    shape = probe.tap_shapes[0]
    if isinstance(filter_index, bool) or not isinstance(filter_index, (int, np.integer)) \
            or not 0 <= filter_index < shape[-1]:
        raise ValueError(f"filter_index must be an int in 0..{shape[-1] - 1} (layer {layer_name!r}), "
                         f"got {filter_index!r}")
    weights = np.zeros((1, *shape), "float32")
    weights[..., filter_index] = 1.0 / np.prod(shape[:-1])        # s = mean of map k
    no_logits = np.zeros((1, probe.classes), "float32")
    x, history = np.clip(image[None], low, high), []
    for _ in range(steps + 1):
        (maps,), _, gradient, _ = probe.gradient(x, no_logits, [weights])
        history.append(float(maps[..., filter_index].mean()))
        if len(history) <= steps:
            x = _step(x, gradient, step_size, low, high)
    return Ascent(x[0], history)


def visualize_class(model, class_index, steps: int = 100, step_size: float = 0.05, l2: float = 1e-3,
                    jitter: int = 1, blur_every: int = 10, blur_sigma: float = 0.5, value_range=(0.0, 1.0),
                    seed: int = 0) -> Ascent:
    """An image the model scores high for class c: gradient ascent on z_c(x) − λ‖x‖² (Simonyan et al. 2014),

    from faint noise, with the image shifted by a random jitter of up to ``jitter`` pixels before
    each step (and back after) and blurred (Gaussian, σ = ``blur_sigma``) every ``blur_every`` steps
    (Yosinski et al. 2015). ``class_index``: an int (one image, (H, W, C)) or a sequence of them
    (one image per class, (N, H, W, C), made together). ``objective`` holds z_c − λ‖x‖² before
    each step and after the last (one value per image for a sequence).
    """
    from scipy.ndimage import gaussian_filter

    steps, step_size = _check_steps(steps), _check_positive(step_size, "step_size")
    blur_every = _check_steps(blur_every, "blur_every")
    if not (np.isscalar(l2) and np.isscalar(blur_sigma) and l2 >= 0 and blur_sigma >= 0) \
            or isinstance(jitter, bool) or not isinstance(jitter, (int, np.integer)) or jitter < 0:
        raise ValueError(f"l2 and blur_sigma must be numbers ≥ 0 and jitter an int ≥ 0, "
                         f"got l2={l2!r}, blur_sigma={blur_sigma!r}, jitter={jitter!r}")
    low, high = _check_range(value_range)
    probe = _probe(model)
    single = np.ndim(class_index) == 0
    classes = _check_classes(class_index, 1 if single else len(class_index), probe.classes)
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise ValueError(f"{model.name} takes images of any size {shape}: visualize_class needs a fixed input shape")
    one_hot = np.eye(probe.classes, dtype="float32")[classes]
    rows = np.arange(len(classes))
    random = np.random.default_rng(seed)
    x = (low + (high - low) * random.uniform(0.0, 0.05, (len(classes), *shape))).astype("float32")
    history = []

    def objective(z, image):
        return z[rows, classes] - l2 * np.sum(image ** 2, axis=tuple(range(1, image.ndim)))

    for step in range(1, steps + 1):
        dy, dx = (int(v) for v in random.integers(-jitter, jitter + 1, 2))
        shifted = np.roll(x, (dy, dx), axis=(1, 2))
        _, z, gradient, _ = probe.gradient(shifted, one_hot)
        history.append(objective(z, shifted))
        x = np.roll(_step(shifted, gradient - 2 * l2 * shifted, step_size, low, high), (-dy, -dx), axis=(1, 2))
        if blur_sigma > 0 and step % blur_every == 0:
            x = gaussian_filter(x, sigma=(0, blur_sigma, blur_sigma) + (0,) * (x.ndim - 3)).astype("float32")
    history.append(objective(probe.outputs(x)[-1], x))
    if single:
        return Ascent(x[0], [float(h[0]) for h in history])
    return Ascent(x, history)


def fooling_image(model, image, target_class: int, steps: int = 100, step_size: float = 0.01,
                  value_range=(0.0, 1.0)) -> Ascent:
    """Step an image towards class t until the model predicts t: x ← clip(x + η·g/RMS(g)), g = ∂z_t/∂x.

    Stops as soon as argmax z(x) = t (``reached_at`` = the number of steps taken), else after
    ``steps`` steps (``reached_at`` = None). ``objective`` holds z_t before each step and at the end.
    """
    image = _check_image(model, image)
    steps, step_size = _check_steps(steps), _check_positive(step_size, "step_size")
    low, high = _check_range(value_range)
    probe = _probe(model)
    target = _check_classes(target_class, 1, probe.classes)
    one_hot = np.eye(probe.classes, dtype="float32")[target]
    x, history = image[None].copy(), []
    for step in range(steps + 1):
        _, z, gradient, _ = probe.gradient(x, one_hot)
        history.append(float(z[0, target[0]]))
        if int(np.argmax(z[0])) == target[0]:
            return Ascent(x[0], history, step)
        if step < steps:
            x = _step(x, gradient, step_size, low, high)
    return Ascent(x[0], history, None)
