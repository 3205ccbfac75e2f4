"""Backward passes, written out by hand: convolution, pooling, dense, ReLU, softmax cross-entropy.

Same arguments and layouts as the forward passes of :mod:`labs.conv` (NHWC ``x``, HWIO ``w``,
``stride``, ``pad``); each function takes ``dout`` = ∂L/∂y, shaped like the forward's output,
and returns ∂L/∂(its inputs). The convolution formulas are the seminar's (0-based here):

* ∂L/∂x[n, i·s + u, j·s + v, c] += Σ_f ∂L/∂y[n, i, j, f] · w[u, v, c, f]   (x padded; padding cropped after)
* ∂L/∂w[u, v, c, f] = Σ_{n,i,j} ∂L/∂y[n, i, j, f] · x[n, i·s + u, j·s + v, c]
* ∂L/∂b[f] = Σ_{n,i,j} ∂L/∂y[n, i, j, f]

``conv2d_backward``, ``col2im`` and the pooling backward passes are importable from
:mod:`labs.conv` as well.
"""
from __future__ import annotations

import numpy as np

from . import conv
from .arith import _pair
from .conv import (METHODS, _check_conv_inputs, _output_size, _patches, _windows,
                   dilate_kernel, padding_amounts)

__all__ = ["conv2d_backward", "col2im", "max_pool2d_backward", "avg_pool2d_backward",
           "dense", "dense_backward", "relu", "relu_backward", "sigmoid", "sigmoid_backward",
           "softmax", "softmax_cross_entropy"]


def _float(*arrays):
    dtype = np.result_type(*arrays)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _check_dout(dout, expected: tuple, forward: str) -> np.ndarray:
    dout = np.asarray(dout)
    if dout.shape != tuple(expected):
        raise ValueError(f"dout must have the shape of {forward}'s output {tuple(expected)}, got {dout.shape}")
    if dout.dtype.kind not in "biuf":
        raise ValueError(f"dout must hold real numbers, got dtype {dout.dtype}")
    return dout


def _scatter(fields, padded_shape, stride, dtype):
    """Sum N × out_h × out_w × kh × kw × C gradients of receptive fields back into a zero padded input.

    The inverse bookkeeping of ``_patches``: field (i, j) covers rows i·s .. i·s + kh − 1 and
    columns j·s .. j·s + kw − 1; overlapping fields add up.
    """
    n, out_h, out_w, kh, kw, _ = fields.shape
    sh, sw = stride
    total = np.zeros(padded_shape, dtype=dtype)
    for u in range(kh):
        for v in range(kw):
            total[:, u: u + out_h * sh: sh, v: v + out_w * sw: sw, :] += fields[:, :, :, u, v, :]
    return total


def _crop(padded, amounts):
    (top, bottom), (left, right) = amounts
    return padded[:, top: padded.shape[1] - bottom, left: padded.shape[2] - right, :]


def col2im(columns, x_shape, kh: int, kw: int, stride=1, pad=0) -> np.ndarray:
    """Scatter im2col's columns back onto an NHWC input of shape ``x_shape``, adding overlaps.

    The adjoint of :func:`labs.conv.im2col`: ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for every x and C,
    which is why the input gradient of an im2col convolution is col2im(W_row ᵀ · ∂L/∂Y_row).
    """
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be NHWC (4 numbers), got {x_shape!r}")
    n, height, width, channels = (int(v) for v in x_shape)
    stride = _pair("stride", stride, 1)
    amounts = padding_amounts(height, width, kh, kw, stride, pad)
    out_h, out_w = _output_size(height, width, kh, kw, stride, amounts)
    columns = np.asarray(columns)
    expected = (kh * kw * channels, n * out_h * out_w)
    if columns.shape != expected:
        raise ValueError(f"columns must have im2col's shape {expected} for x_shape {tuple(x_shape)}, got {columns.shape}")
    fields = columns.T.reshape(n, out_h, out_w, kh, kw, channels)
    padded_shape = (n, height + sum(amounts[0]), width + sum(amounts[1]), channels)
    return _crop(_scatter(fields, padded_shape, stride, _float(columns)), amounts)


def conv2d_backward(dout, x, w, stride=1, pad=0, method: str = "naive", dilation=1):
    """Gradients (dx, dw, db) of ``labs.conv.conv2d(x, w, b, stride, pad, dilation=...)`` given dout = ∂L/∂y.

    ``"naive"`` follows the index formulas one output element (i, j, f) at a time: it adds
    dout·w[..., f] to the receptive field's dx and dout·field to dw[..., f] (batch vectorised).
    ``"im2col"`` is two matrix products, dW_row = X_colᵀ·dY_row and dX_col = dY_row·W_rowᵀ,
    then col2im. With dilation the kernel is dilated (:func:`labs.conv.dilate_kernel`), and
    dw is the dilated kernel's gradient read at the taps.
    """
    x, w, _ = _check_conv_inputs(x, w, None)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    dilation = _pair("dilation", dilation, 1)
    taps = w
    w = dilate_kernel(w, dilation)
    kh, kw, c_in, c_out = w.shape
    stride = _pair("stride", stride, 1)
    n, height, width, _ = x.shape
    amounts = padding_amounts(height, width, kh, kw, stride, pad)
    out_h, out_w = _output_size(height, width, kh, kw, stride, amounts)
    dout = _check_dout(dout, (n, out_h, out_w, c_out), "conv2d")
    dtype = _float(dout, x, w)
    dout, x, w = dout.astype(dtype, copy=False), x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    padded = np.pad(x, ((0, 0), *amounts, (0, 0)))
    sh, sw = stride
    if method == "naive":
        dpadded, dw = np.zeros_like(padded), np.zeros_like(w)
        for i in range(out_h):
            for j in range(out_w):
                rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                field = padded[:, rows, cols, :]                         # x[n, i·s + u, j·s + v, c]
                for f in range(c_out):
                    g = dout[:, i, j, f]                                 # ∂L/∂y[n, i, j, f]
                    dpadded[:, rows, cols, :] += g[:, None, None, None] * w[:, :, :, f]
                    dw[:, :, :, f] += np.tensordot(g, field, axes=1)
    else:
        rows = dout.reshape(-1, c_out)                                   # dY_row: (N·out_h·out_w) × c_out
        dw = (_patches(padded, kh, kw, stride, ((0, 0), (0, 0))).T @ rows).reshape(w.shape)
        fields = (rows @ w.reshape(-1, c_out).T).reshape(n, out_h, out_w, kh, kw, c_in)
        dpadded = _scatter(fields, padded.shape, stride, dtype)
    db = dout.reshape(-1, c_out).sum(axis=0)
    dh, dwid = dilation
    return np.ascontiguousarray(_crop(dpadded, amounts)), dw[::dh, ::dwid].astype(dtype).reshape(taps.shape), db


def _pool_geometry(dout, x, k, s, pad, forward):
    x, (kh, kw), stride, amounts, (out_h, out_w) = conv._pool_geometry(x, k, s, pad)
    dout = _check_dout(dout, (x.shape[0], out_h, out_w, x.shape[3]), forward)
    return x, dout, (kh, kw), stride, amounts, (out_h, out_w)


def max_pool2d_backward(dout, x, k, s=None, pad="valid") -> np.ndarray:
    """∂L/∂x of ``labs.conv.max_pool2d``: each window's dout goes to its maximum, all of it.

    On ties the first maximum in row-major window order gets it (as TensorFlow's CPU kernel),
    so exactly one input per window receives a gradient; overlapping windows add up.
    """
    x, dout, (kh, kw), stride, amounts, (out_h, out_w) = _pool_geometry(dout, x, k, s, pad, "max_pool2d")
    dtype = _float(dout, x)
    padded = np.pad(x.astype(dtype), ((0, 0), *amounts, (0, 0)), constant_values=-np.inf)
    peak = _windows(padded, kh, kw, stride, out_h, out_w).max(axis=(4, 5))      # the forward's output
    dout = dout.astype(dtype, copy=False)
    taken = np.zeros(peak.shape, dtype=bool)                                    # window already routed
    dpadded = np.zeros_like(padded)
    sh, sw = stride
    for u in range(kh):                                                         # row-major window order
        for v in range(kw):
            cell = padded[:, u: u + out_h * sh: sh, v: v + out_w * sw: sw, :]
            first = (cell == peak) & ~taken
            taken |= first
            dpadded[:, u: u + out_h * sh: sh, v: v + out_w * sw: sw, :] += np.where(first, dout, 0)
    return np.ascontiguousarray(_crop(dpadded, amounts))


def avg_pool2d_backward(dout, x, k, s=None, pad="valid") -> np.ndarray:
    """∂L/∂x of ``labs.conv.avg_pool2d``: each window's dout spread evenly, dout/k² to each cell.

    With ``pad="same"`` a border window averages fewer cells and spreads over just those
    (dout/count), as its forward divides by count. For k = s this is the slides' up(δ) = δ ⊗ 1_{k×k}/k².
    """
    x, dout, (kh, kw), stride, amounts, (out_h, out_w) = _pool_geometry(dout, x, k, s, pad, "avg_pool2d")
    dtype = _float(dout, x)
    ones = np.pad(np.ones((1, *x.shape[1:3], 1), dtype), ((0, 0), *amounts, (0, 0)))
    count = _windows(ones, kh, kw, stride, out_h, out_w).sum(axis=(4, 5))       # 1, oh, ow, 1
    share = dout.astype(dtype) / count
    fields = np.broadcast_to(share[:, :, :, None, None, :], (*share.shape[:3], kh, kw, share.shape[3]))
    padded_shape = (x.shape[0], x.shape[1] + sum(amounts[0]), x.shape[2] + sum(amounts[1]), x.shape[3])
    return np.ascontiguousarray(_crop(_scatter(fields, padded_shape, stride, dtype), amounts))


def dense(x, w, b=None) -> np.ndarray:
    """Fully connected layer, Keras layout: y = x·W + b with x (N, in), W (in, out), b (out,)."""
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0]:
        raise ValueError(f"dense needs x (N, in) and w (in, out) with matching 'in', got {x.shape} and {w.shape}")
    return x @ w if b is None else x @ w + b


def dense_backward(dout, x, w):
    """(dx, dw, db) of y = x·W + b: dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ_n dout (the slides' δ(x)ᵀ, transposed for rows)."""
    x, w = np.asarray(x), np.asarray(w)
    dout = _check_dout(dout, (x.shape[0], w.shape[1]), "dense")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu(x) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, 0)


def relu_backward(dout, x) -> np.ndarray:
    """dout · 1[x > 0] (the subgradient 0 at x = 0, as TensorFlow)."""
    x = np.asarray(x)
    dout = _check_dout(dout, x.shape, "relu")
    return dout * (x > 0)


def sigmoid(x) -> np.ndarray:
    """1 / (1 + e^−x)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


def sigmoid_backward(dout, y) -> np.ndarray:
    """dout · f(1 − f), from the output f = sigmoid(x) (the slides' f′ for the logistic function)."""
    y = np.asarray(y)
    return _check_dout(dout, y.shape, "sigmoid") * y * (1 - y)


def softmax(logits) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so that exp never overflows."""
    z = np.asarray(logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits, labels):
    """(loss, dlogits) of the mean cross-entropy −(1/N) Σ_n log softmax(z_n)[t_n]; dz = (softmax(z) − onehot(t)) / N."""
    z = np.asarray(logits)
    labels = np.asarray(labels).reshape(-1)
    if z.ndim != 2 or labels.shape[0] != z.shape[0]:
        raise ValueError(f"logits must be (N, classes) and labels (N,), got {z.shape} and {labels.shape}")
    if labels.dtype.kind not in "iu" or labels.min(initial=0) < 0 or labels.max(initial=0) >= z.shape[1]:
        raise ValueError(f"labels must be integers in [0, {z.shape[1]}), got {labels[:10]!r}...")
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = z.shape[0]
    loss = -log_probs[np.arange(n), labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), labels] -= 1
    return float(loss), dlogits / n
