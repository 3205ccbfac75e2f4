"""What a CNN sees: how much each input pixel counts for a Keras classifier's decision.

Every function takes a Keras model and images in NHWC layout and in the model's input scale,
and returns NumPy arrays. Scores are taken *from the logits*: when the model's last layer
applies a softmax, the input of that softmax is used (``logit_model``), because the gradient
of a saturated probability is close to zero everywhere. ``score="probability"`` is there to
show that pitfall. Gradients are taken with TensorFlow's ``GradientTape``, the one
backend-specific piece; everything else is ``keras.ops``.

References: Simonyan, Vedaldi & Zisserman 2014 (saliency maps), Zeiler & Fergus 2014
(occlusion), Zhou et al. 2016 (CAM), Selvaraju et al. 2017 (Grad-CAM), Sundararajan, Taly &
Yan 2017 (integrated gradients), Goodfellow, Shlens & Szegedy 2015 (FGSM).
"""
from __future__ import annotations

import weakref

import keras
import numpy as np
from keras import layers, ops

SCORES = ("logit", "probability")

__all__ = ["SCORES", "logit_model", "logits", "saliency", "grad_cam", "occlusion_map",
           "integrated_gradients", "fgsm", "input_gradient"]


def _is_softmax(function) -> bool:
    return function is keras.activations.softmax or getattr(function, "__name__", "") == "softmax"


class _WithoutSoftmax(layers.Layer):
    """Layer ``wrapped`` (e.g. ``Dense(10, activation="softmax")``) without its softmax, same variables."""

    def __init__(self, wrapped, **kwargs):
        super().__init__(name=f"{wrapped.name}_logits", **kwargs)
        self.wrapped = wrapped

    def call(self, inputs):
        activation = self.wrapped.activation
        self.wrapped.activation = keras.activations.linear
        try:
            return self.wrapped.call(inputs)
        finally:
            self.wrapped.activation = activation

    def compute_output_shape(self, input_shape):
        return self.wrapped.compute_output_shape(input_shape)


def _logits_tensor(model):
    """The symbolic tensor of the model's logits: the input of a final softmax, else the output."""
    if not isinstance(model, keras.Model) or not model.layers or len(model.outputs) != 1:
        raise ValueError(f"model must be a built single-output Keras classifier, got {model!r}")
    last = model.layers[-1]
    if isinstance(last, layers.Softmax) or (isinstance(last, layers.Activation) and _is_softmax(last.activation)):
        return last.input
    if _is_softmax(getattr(last, "activation", None)):
        return _WithoutSoftmax(last)(last.input)
    return model.outputs[0]


def logit_model(model, layer_names=()) -> keras.Model:
    """A model with the same input that outputs ``[*(outputs of layer_names), logits]``.

    Logits: when the last layer applies a softmax (``Dense(..., activation="softmax")``,
    ``Activation("softmax")`` or ``Softmax()``), the input of that softmax; else the output.
    It shares the model's variables, so it follows any later training.
    """
    logit_tensor = _logits_tensor(model)
    taps = []
    for name in layer_names:
        try:
            taps.append(model.get_layer(name).output)
        except ValueError:
            spatial = [layer.name for layer in model.layers if len(layer.output.shape) == 4]
            raise ValueError(f"layer_name={name!r} is not a layer of {model.name}; "
                             f"layers with 4-D outputs: {', '.join(spatial)}") from None
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, [*taps, logit_tensor])


class _Probe:
    """A model's logits z and some layers' outputs A, with the gradient of s = Σ w·z + Σ v·A.

    Every method of the labs differentiates such a linear function, with weights w, v computed
    from the point (one-hot for a class score, p_c(δ_cj − p_j) for a probability, p − y for the
    cross-entropy): one compiled function per model and set of layers does them all.
    """

    def __init__(self, model, layer_names=()):
        tf = _tape()
        self.model = logit_model(model, layer_names)
        self.classes = int(self.model.outputs[-1].shape[-1])
        self.tap_shapes = [tuple(output.shape[1:]) for output in self.model.outputs[:-1]]
        image = tf.TensorSpec((None, *self.model.inputs[0].shape[1:]), "float32")
        taps = [tf.TensorSpec((None, *shape), "float32") for shape in self.tap_shapes]
        logit_weights = tf.TensorSpec((None, self.classes), "float32")
        # One trace per probe, whatever the batch size.
        self._forward = tf.function(self._outputs, input_signature=[image], autograph=False)
        self._gradient = tf.function(self._gradient_eager, input_signature=[image, logit_weights, taps],
                                     autograph=False)

    def _outputs(self, x):
        outputs = self.model(x, training=False)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def _gradient_eager(self, x, logit_weights, tap_weights):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = self._outputs(x)
            taps, z = outputs[:-1], outputs[-1]
            total = ops.sum(logit_weights * z)
            for weights, tap in zip(tap_weights, taps):
                total = total + ops.sum(weights * tap)
        gradients = tape.gradient(total, [x, *taps])
        return taps, z, gradients[0], gradients[1:]

    def outputs(self, x, batch_size: int = 256):
        """``[*taps, logits]`` as NumPy arrays, in batches."""
        parts = [self._forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return [np.concatenate([ops.convert_to_numpy(p[k]) for p in parts]) for k in range(len(parts[0]))]

    def gradient(self, x, logit_weights, tap_weights=None):
        """``(taps, logits, ∂s/∂x, ∂s/∂taps)`` as NumPy arrays, s = Σ logit_weights·z + Σ tap_weights·A."""
        if tap_weights is None:
            tap_weights = [np.zeros((len(x), *shape), "float32") for shape in self.tap_shapes]
        result = self._gradient(np.asarray(x, "float32"), np.asarray(logit_weights, "float32"),
                                [np.asarray(w, "float32") for w in tap_weights])
        taps, z, dx, dtaps = result
        return ([ops.convert_to_numpy(t) for t in taps], ops.convert_to_numpy(z), ops.convert_to_numpy(dx),
                [ops.convert_to_numpy(d) for d in dtaps])


_PROBES = weakref.WeakKeyDictionary()


def _probe(model, layer_names=()) -> _Probe:
    """The model's cached ``_Probe`` for ``layer_names`` (built on first use)."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {type(model).__name__}")
    per_model = _PROBES.setdefault(model, {})
    key = tuple(layer_names)
    if key not in per_model:
        per_model[key] = _Probe(model, key)
    return per_model[key]


def _check_images(model, images, name="images") -> np.ndarray:
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {type(model).__name__}")
    array = np.asarray(images, dtype="float32")
    expected = tuple(model.inputs[0].shape[1:])
    if array.ndim != 1 + len(expected):
        hint = f" (one image? use {name}[None])" if array.ndim == len(expected) else ""
        raise ValueError(f"{name} must be a batch of shape (N, {', '.join(map(str, expected))}), "
                         f"got shape {array.shape}{hint}")
    if any(e is not None and e != a for e, a in zip(expected, array.shape[1:])):
        raise ValueError(f"{name} has shape {array.shape}, but {model.name} expects (N, {expected})")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: pass at least one image")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _check_image(model, image, name="image") -> np.ndarray:
    array = np.asarray(image, dtype="float32")
    if array.ndim != len(model.inputs[0].shape) - 1:
        raise ValueError(f"{name} must be one image of shape {tuple(model.inputs[0].shape[1:])}, got "
                         f"shape {array.shape}")
    return _check_images(model, array[None], name)[0]


def _check_classes(class_index, count: int, classes: int) -> np.ndarray:
    index = np.asarray(class_index)
    if index.ndim == 0:
        index = np.full(count, index)
    if index.shape != (count,) or not np.issubdtype(index.dtype, np.integer):
        raise ValueError(f"class_index must be an int or {count} ints (one per image), got {class_index!r}")
    if index.min(initial=0) < 0 or index.max(initial=0) >= classes:
        raise ValueError(f"class_index must lie in 0..{classes - 1}, got {class_index!r}")
    return index.astype("int64")


def _check_score(score: str) -> str:
    if score not in SCORES:
        raise ValueError(f"score={score!r} is not valid; use one of {SCORES}")
    return score


def _softmax(z: np.ndarray) -> np.ndarray:
    return ops.convert_to_numpy(ops.softmax(z, axis=-1))


def _score_weights(probe, x, class_index, score):
    """Weights w with ∂s_c/∂x = Σ_j w_j ∂z_j/∂x: one-hot for the logit, p_c(δ_cj − p_j) for the probability."""
    one_hot = np.eye(probe.classes, dtype="float32")[class_index]
    if score == "logit":
        return one_hot
    p = _softmax(probe.outputs(x)[-1])
    return p[np.arange(len(x)), class_index][:, None] * (one_hot - p)


def _tape():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"labs.explain takes gradients with TensorFlow; the Keras backend is "
                           f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow")
    import tensorflow as tf

    return tf


def input_gradient(model, images, class_index, score: str = "logit"):
    """``(∂s_c/∂x, s_c)`` for each image x: the gradient of its class score and the score itself.

    ``s_c`` is the logit z_c of class c (``score="logit"``) or its soft-max probability p_c.
    """
    images, score = _check_images(model, images), _check_score(score)
    probe = _probe(model)
    class_index = _check_classes(class_index, len(images), probe.classes)
    _, z, gradient, _ = probe.gradient(images, _score_weights(probe, images, class_index, score))
    values = z if score == "logit" else _softmax(z)
    return gradient, values[np.arange(len(images)), class_index]


def logits(model, images, batch_size: int = 256) -> np.ndarray:
    """The logits z (N, classes) of ``images``: the input of a final softmax, else the output."""
    return _probe(model).outputs(_check_images(model, images), batch_size)[-1]


def saliency(model, images, class_index, score: str = "logit") -> np.ndarray:
    """Saliency maps (N, H, W): M_ij = max_k |∂z_c / ∂x_ijk| (Simonyan et al. 2014).

    z_c is the logit of class ``class_index`` (an int, or one per image).
    """
    gradient, _ = input_gradient(model, images, class_index, score)
    return np.max(np.abs(gradient), axis=-1)


def grad_cam(model, images, class_index, layer_name: str, score: str = "logit") -> np.ndarray:
    """Grad-CAM maps (N, h, w) of layer ``layer_name`` with k maps A^k of size h×w:

    L^c = ReLU(Σ_k α_k^c A^k) with α_k^c = (1/(h·w)) Σ_ij ∂z_c/∂A^k_ij (Selvaraju et al. 2017),
    from the logit z_c; not normalised. On a network whose logits are a linear layer after global
    average pooling of A, α_k^c = w_k^c/(h·w), so L^c = ReLU(Σ_k w_k^c A^k)/(h·w) = CAM/(h·w).
    """
    images, score = _check_images(model, images), _check_score(score)
    if not isinstance(layer_name, str):
        raise ValueError(f"layer_name must be the name of a layer (str), got {layer_name!r}")
    probe = _probe(model, [layer_name])
    if len(probe.tap_shapes[0]) != 3:
        raise ValueError(f"layer_name={layer_name!r} has output shape (N, {probe.tap_shapes[0]}); Grad-CAM "
                         f"needs a layer with (N, h, w, k) maps, e.g. the last convolution")
    class_index = _check_classes(class_index, len(images), probe.classes)
    (maps,), _, _, (gradient,) = probe.gradient(images, _score_weights(probe, images, class_index, score))
    weights = ops.mean(gradient, axis=(1, 2))                                  # α (N, k)
    return ops.convert_to_numpy(ops.relu(ops.einsum("nhwk,nk->nhw", maps, weights)))


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                                 for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def occlusion_map(model, image, class_index: int, patch, stride, fill: float = 0.0,
                  batch_size: int = 256) -> np.ndarray:
    """The probability of class c with a patch occluded, for each patch position (Zeiler & Fergus 2014).

    P_ij = softmax(z(x with the patch whose top-left corner is (i·s, j·s) set to ``fill``))_c,
    a (⌊(H − p)/s⌋ + 1) × (⌊(W − p)/s⌋ + 1) map for a p×p patch and stride s.
    """
    image = _check_image(model, image)
    height, width = image.shape[:2]
    (patch_h, patch_w), (stride_h, stride_w) = _pair(patch, "patch"), _pair(stride, "stride")
    if patch_h > height or patch_w > width:
        raise ValueError(f"patch={patch!r} is larger than the image ({height}×{width})")
    probe = _probe(model)
    class_index = _check_classes(class_index, 1, probe.classes)[0]
    rows, columns = range(0, height - patch_h + 1, stride_h), range(0, width - patch_w + 1, stride_w)
    occluded = np.repeat(image[None], len(rows) * len(columns), axis=0)
    for index, (top, left) in enumerate((r, c) for r in rows for c in columns):
        occluded[index, top:top + patch_h, left:left + patch_w] = fill
    probabilities = _softmax(probe.outputs(occluded, batch_size)[-1])
    return probabilities[:, class_index].reshape(len(rows), len(columns))


def integrated_gradients(model, image, class_index: int, baseline=None, steps: int = 50,
                         batch_size: int = 64) -> np.ndarray:
    """Integrated gradients of one image, image-shaped (Sundararajan et al. 2017):

    IG_i = (x_i − x'_i) ∫₀¹ ∂z_c(x' + α(x − x'))/∂x_i dα, the integral by the trapezoidal rule
    over ``steps`` intervals; baseline x' = 0 when ``None``. Completeness: Σ_i IG_i = z_c(x) − z_c(x'),
    up to the quadrature error, which shrinks as ``steps`` grows.
    """
    image = _check_image(model, image)
    baseline = np.zeros_like(image) if baseline is None else _check_image(model, baseline, "baseline")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    probe = _probe(model)
    one_hot = np.eye(probe.classes, dtype="float32")[_check_classes(class_index, 1, probe.classes)]
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32").reshape(-1, *[1] * image.ndim)
    path = baseline + alphas * (image - baseline)
    gradients = np.concatenate([probe.gradient(part, np.repeat(one_hot, len(part), axis=0))[2]
                                for part in (path[i:i + batch_size] for i in range(0, len(path), batch_size))])
    average = (gradients[:-1] + gradients[1:]).mean(axis=0) / 2
    return (image - baseline) * average


def fgsm(model, images, labels, epsilon: float, value_range=(0.0, 1.0)) -> np.ndarray:
    """Fast-gradient-sign adversarial images (Goodfellow et al. 2015):

    x̃ = clip(x + ε · sign(∇_x J(x, y)), low, high), J the cross-entropy of the logits with the
    true labels y, clipped to ``value_range`` (the model's input range).
    """
    images = _check_images(model, images)
    labels = np.asarray(labels).reshape(-1)
    if isinstance(epsilon, bool) or not np.isscalar(epsilon) or not epsilon >= 0:
        raise ValueError(f"epsilon must be a number ≥ 0, got {epsilon!r}")
    low, high = _check_range(value_range)
    probe = _probe(model)
    labels = _check_classes(labels, len(images), probe.classes)
    # ∂J/∂x = Σ_j (p_j − y_j) ∂z_j/∂x, with p = softmax(z) held fixed at x
    weights = _softmax(probe.outputs(images)[-1]) - np.eye(probe.classes, dtype="float32")[labels]
    gradient = np.concatenate([probe.gradient(images[i:i + 256], weights[i:i + 256])[2]
                               for i in range(0, len(images), 256)])
    step = float(epsilon) * np.sign(gradient)
    return np.clip(images + step, low, high).astype("float32")


def _check_range(value_range) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be (low, high), got {value_range!r}") from None
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return low, high
