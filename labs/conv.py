"""NumPy reference implementations of convolution and pooling, in TensorFlow's layout.

Images are NHWC (batch, height, width, channels) and kernels HWIO (height, width, in, out),
as in ``tf.nn.conv2d``. Like every deep-learning library, ``conv2d`` computes a
*cross-correlation* (the kernel is not flipped): y[n,i,j,f] = b[f] + Σ_{u,v,c} x[n, i·s+u, j·s+v, c]·w[u,v,c,f].
``"same"`` padding follows TensorFlow, also for even kernels and strides > 1: the extra row
or column of zeros goes at the bottom/right (:func:`labs.arith.same_padding`).
The backward passes (``conv2d_backward``, ``col2im``, ``max_pool2d_backward``,
``avg_pool2d_backward``) live in :mod:`labs.backprop` and are served from here too;
``numerical_gradient`` checks them.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .arith import _int, _pair, same_padding

__all__ = ["correlate2d", "convolve2d", "conv2d", "im2col", "max_pool2d", "avg_pool2d",
           "padding_amounts", "relative_error", "numerical_gradient", "dilate_kernel",
           # backward passes, from labs.backprop (imported at the end of this module)
           "conv2d_backward", "col2im", "max_pool2d_backward", "avg_pool2d_backward"]

MODES = ("valid", "same", "full")
METHODS = ("naive", "im2col")


def relative_error(x, y) -> float:
    """cs231n's relative error max(|x − y| / max(1e-8, |x| + |y|)); about 1e-8 or less means equal in float64."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f, x, dout=None, h: float = 1e-5) -> np.ndarray:
    """Centred differences of L(x) = Σ f(x)·dout: dL/dx[i] ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h.

    ``f`` takes an array shaped like ``x``; ``dout`` is shaped like ``f(x)`` (``None``: ``f``
    returns a scalar loss). ``x`` itself is not changed: ``f`` sees a float copy (float64
    unless ``x`` is already a float array). As cs231n's ``eval_numerical_gradient_array``.
    """
    if not h > 0:
        raise ValueError(f"h must be a positive step, got {h!r}")
    point = np.array(x, copy=True)
    if point.dtype.kind != "f":
        point = point.astype(np.float64)
    weights = 1.0 if dout is None else np.asarray(dout)
    grad = np.zeros(point.shape, dtype=np.float64)
    for index in np.ndindex(*point.shape):
        old = point[index]
        point[index] = old + h
        plus = np.sum(np.asarray(f(point)) * weights)
        point[index] = old - h
        minus = np.sum(np.asarray(f(point)) * weights)
        point[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def dilate_kernel(w, dilation=1) -> np.ndarray:
    """The HWIO kernel ``w`` with d − 1 zero rows/columns between its taps: size k̂ = k + (k − 1)(d − 1)."""
    w = _array("w", w, 4)
    dh, dw = _pair("dilation", dilation, 1)
    kh, kw = w.shape[:2]
    out = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1, *w.shape[2:]), dtype=w.dtype)
    out[::dh, ::dw] = w
    return out


def _result_dtype(*arrays):
    """Integers stay exact as int64 (uint8 photos must not wrap around); floats keep their precision."""
    dtype = np.result_type(*arrays)
    return np.dtype(np.int64) if dtype.kind in "biu" else dtype


def _array(name: str, value, ndim: int) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def padding_amounts(height: int, width: int, kh: int, kw: int, stride, pad) -> tuple:
    """((top, bottom), (left, right)) zeros for ``pad`` an int, a (ph, pw) pair, "valid" or "same" (TensorFlow's)."""
    sh, sw = _pair("stride", stride, 1)
    if isinstance(pad, str):
        if pad.lower() == "valid":
            return (0, 0), (0, 0)
        if pad.lower() == "same":
            return same_padding(height, kh, sh), same_padding(width, kw, sw)
        raise ValueError(f"pad must be an int, a (ph, pw) pair, 'valid' or 'same', got {pad!r}")
    ph, pw = _pair("pad", pad, 0)
    return (ph, ph), (pw, pw)


def _output_size(height, width, kh, kw, stride, amounts):
    """(out_h, out_w), with a ValueError when the kernel does not fit the padded input."""
    sh, sw = _pair("stride", stride, 1)
    (top, bottom), (left, right) = amounts
    if kh > height + top + bottom or kw > width + left + right:
        raise ValueError(
            f"kernel {kh}×{kw} is larger than the padded input {height + top + bottom}×{width + left + right} "
            f"(input {height}×{width}, padding {amounts})"
        )
    out_h = (height + top + bottom - kh) // sh + 1
    out_w = (width + left + right - kw) // sw + 1
    return out_h, out_w


def correlate2d(x, k, mode: str = "valid") -> np.ndarray:
    """2-D cross-correlation of one-channel arrays: y[i, j] = Σ_{u,v} x[i+u, j+v]·k[u, v] (k not flipped).

    ``mode``: "valid" (no padding, (H−kh+1)×(W−kw+1)), "same" (output H×W, zeros placed as
    TensorFlow's SAME: ⌊(k−1)/2⌋ before, the rest after), "full" (k−1 zeros on every side).
    """
    x, k = _array("x", x, 2), _array("k", k, 2)
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    mode = mode.lower()
    kh, kw = k.shape
    if mode == "full":
        amounts = ((kh - 1, kh - 1), (kw - 1, kw - 1))
    else:
        amounts = padding_amounts(*x.shape, kh, kw, 1, mode)
    _output_size(*x.shape, kh, kw, 1, amounts)
    dtype = _result_dtype(x, k)
    padded = np.pad(x.astype(dtype), amounts)
    windows = sliding_window_view(padded, (kh, kw))
    return np.einsum("ijuv,uv->ij", windows, k.astype(dtype))


def convolve2d(x, k, mode: str = "valid") -> np.ndarray:
    """2-D convolution: the correlation with the kernel rotated by 180°, y[i, j] = Σ x[i−u, j−v]·k[u, v].

    For odd kernels this equals ``scipy.signal.convolve2d`` in every mode.
    """
    k = _array("k", k, 2)
    return correlate2d(x, k[::-1, ::-1], mode)


def _check_conv_inputs(x, w, b):
    x, w = _array("x", x, 4), _array("w", w, 4)
    if x.shape[3] != w.shape[2]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (NHWC shape {x.shape}) but w expects "
            f"{w.shape[2]} input channels (HWIO shape {w.shape})"
        )
    if b is not None:
        b = np.asarray(b)
        if b.shape != (w.shape[3],):
            raise ValueError(f"b must have shape ({w.shape[3]},) (one bias per filter), got {b.shape}")
    return x, w, b


def im2col(x, kh: int, kw: int, stride=1, pad=0) -> np.ndarray:
    """Unroll every receptive field into a column: shape (kh·kw·c_in, N·out_h·out_w).

    ``x`` is NHWC (or one HWC image). Rows run over (u, v, c) in that order, the order of an
    HWIO kernel reshaped to (kh·kw·c_in, c_out); columns run over (n, i, j), image by image.
    A convolution is then one matrix product: w.reshape(-1, c_out).T @ im2col(x) has shape
    (c_out, N·out_h·out_w). cs231n's AlexNet example: a 227×227×3 image and 11×11 filters
    at stride 4 give X_col of shape 363 × 3025 (363 = 11·11·3, 3025 = 55·55).
    The result is the transpose (a view) of a patch-per-row matrix, the layout NHWC memory
    favours; ``np.ascontiguousarray`` gives a C-ordered copy.
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[np.newaxis]
    x = _array("x", x, 4)
    kh, kw = _int("kh", kh, 1), _int("kw", kw, 1)
    amounts = padding_amounts(x.shape[1], x.shape[2], kh, kw, stride, pad)
    return _patches(x, kh, kw, _pair("stride", stride, 1), amounts).T


def _patches(x, kh, kw, stride, amounts):
    """Receptive fields as rows, (N·out_h·out_w) × (kh·kw·c_in): im2col's transpose, the layout
    that suits NHWC memory (each copy below moves whole channel vectors)."""
    n, height, width, channels = x.shape
    sh, sw = stride
    out_h, out_w = _output_size(height, width, kh, kw, stride, amounts)
    padded = np.pad(x, ((0, 0), *amounts, (0, 0)))
    patches = np.empty((n, out_h, out_w, kh, kw, channels), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            patches[:, :, :, u, v, :] = padded[:, u: u + out_h * sh: sh, v: v + out_w * sw: sw, :]
    return patches.reshape(n * out_h * out_w, kh * kw * channels)


def conv2d(x, w, b=None, stride=1, pad=0, method: str = "naive", dilation=1) -> np.ndarray:
    """2-D convolution layer (cross-correlation) of NHWC ``x`` with HWIO ``w``, plus bias ``b``.

    Output N × out_h × out_w × c_out with out = ⌊(i + p_total − k)/s⌋ + 1. ``pad`` is an int,
    a (ph, pw) pair, "valid" or "same" (TensorFlow's, asymmetric for even kernels).
    ``method="naive"`` loops over output positions, each a dot product of one receptive
    field with all filters (the loop of cs231n's ``conv_forward_naive``, with the batch and
    filter loops vectorized); ``"im2col"`` is one matrix product (see :func:`im2col`).
    ``dilation`` d (int or pair) spaces the taps d apart, as ``tf.nn.conv2d(dilations=d)``:
    the layer then convolves with :func:`dilate_kernel` (k̂ = k + (k − 1)(d − 1)).
    """
    x, w, b = _check_conv_inputs(x, w, b)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if _pair("dilation", dilation, 1) != (1, 1):
        w = dilate_kernel(w, dilation)
    kh, kw, _, c_out = w.shape
    sh, sw = _pair("stride", stride, 1)
    n, height, width, _ = x.shape
    amounts = padding_amounts(height, width, kh, kw, stride, pad)
    out_h, out_w = _output_size(height, width, kh, kw, stride, amounts)
    dtype = _result_dtype(x, w) if b is None else _result_dtype(x, w, b)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    if method == "im2col":
        # (W_row · X_col)ᵀ = X_colᵀ · W_rowᵀ: with patches as rows the product is already NHWC.
        product = _patches(x, kh, kw, (sh, sw), amounts) @ w.reshape(-1, c_out)
        out = product.reshape(n, out_h, out_w, c_out)
    else:
        padded = np.pad(x, ((0, 0), *amounts, (0, 0)))
        out = np.empty((n, out_h, out_w, c_out), dtype=dtype)
        for i in range(out_h):
            for j in range(out_w):
                field = padded[:, i * sh: i * sh + kh, j * sw: j * sw + kw, :]
                out[:, i, j, :] = np.tensordot(field, w, axes=3)
    if b is not None:
        out = out + b.astype(dtype)
    return np.ascontiguousarray(out)


def _pool_geometry(x, k, s, pad):
    """Checked ``x``, window ``(kh, kw)``, stride, padding amounts and output size of a pooling."""
    x = _array("x", x, 4)
    kh, kw = _pair("k", k, 1)
    stride = (kh, kw) if s is None else _pair("s", s, 1)
    _, height, width, _ = x.shape
    amounts = padding_amounts(height, width, kh, kw, stride, pad)
    return x, (kh, kw), stride, amounts, _output_size(height, width, kh, kw, stride, amounts)


def _pool(x, k, s, pad, reduce):
    x, (kh, kw), stride, amounts, (out_h, out_w) = _pool_geometry(x, k, s, pad)
    return reduce(x, kh, kw, stride, amounts, out_h, out_w)


def _windows(padded, kh, kw, stride, out_h, out_w):
    """Strided k×k windows of a padded NHWC array: N × out_h × out_w × C × kh × kw (a view)."""
    sh, sw = stride
    view = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # N, H', W', C, kh, kw
    return view[:, : out_h * sh : sh, : out_w * sw : sw]


def max_pool2d(x, k, s=None, pad="valid") -> np.ndarray:
    """Max pooling of NHWC ``x`` with k×k windows and stride ``s`` (default k): o = ⌊(i − k)/s⌋ + 1.

    ``pad="same"`` pads as TensorFlow does, with −∞ so that padding is never the maximum.
    """
    def reduce(x, kh, kw, stride, amounts, out_h, out_w):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = np.pad(x, ((0, 0), *amounts, (0, 0)), constant_values=fill)
        return _windows(padded, kh, kw, stride, out_h, out_w).max(axis=(4, 5))

    return _pool(x, k, s, pad, reduce)


def avg_pool2d(x, k, s=None, pad="valid") -> np.ndarray:
    """Average pooling of NHWC ``x``; with ``pad="same"`` padded cells are left out of the mean, as in TensorFlow."""
    def reduce(x, kh, kw, stride, amounts, out_h, out_w):
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        padded = np.pad(x.astype(dtype), ((0, 0), *amounts, (0, 0)))
        ones = np.pad(np.ones((1, *x.shape[1:3], 1), dtype), ((0, 0), *amounts, (0, 0)))
        total = _windows(padded, kh, kw, stride, out_h, out_w).sum(axis=(4, 5))
        count = _windows(ones, kh, kw, stride, out_h, out_w).sum(axis=(4, 5))
        return total / count

    return _pool(x, k, s, pad, reduce)


_BACKWARD = ("conv2d_backward", "col2im", "max_pool2d_backward", "avg_pool2d_backward")


def __getattr__(name):
    """The backward passes live in :mod:`labs.backprop` (which imports this module); serve them here too."""
    if name in _BACKWARD:
        from . import backprop

        return getattr(backprop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
