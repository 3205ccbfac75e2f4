"""Convolution arithmetic: output sizes, parameter counts, receptive fields, per-layer tables.

Sizes follow Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016),
for one spatial axis (apply per axis for rectangles):

* convolution     o  = ⌊(i + 2p − k̂)/s⌋ + 1,  with the dilated kernel k̂ = k + (k − 1)(d − 1)
* pooling         o  = ⌊(i − k)/s⌋ + 1
* transposed      o' = s(i' − 1) + k − 2p + a,  0 ≤ a < s

Padding given by name: ``"valid"`` is p = 0; ``"full"`` is p = k̂ − 1 (o = i + k̂ − 1 at
stride 1); ``"same"`` is TensorFlow's rule, o = ⌈i/s⌉, with total padding
max((o − 1)s + k̂ − i, 0) split ⌊·/2⌋ before and the rest after (see :func:`same_padding`).
For odd k this is Dumoulin & Visin's "half" padding p = ⌊k̂/2⌋ on both sides; for even k
TensorFlow pads one more row/column at the bottom/right than at the top/left.
"""
from __future__ import annotations

import math
import numbers

from .layer_table import LayerRow, LayerTable, layer_table

__all__ = [
    "conv_output_size", "transposed_conv_output_size", "pool_output_size", "same_padding",
    "dilated_kernel_size", "conv_params", "unshared_params", "receptive_field",
    "layer_table", "LayerTable", "LayerRow",
]

PADDING_NAMES = ("valid", "same", "full")


def _int(name: str, value, minimum: int) -> int:
    """``value`` as an int ≥ ``minimum``, else a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def _pair(name: str, value, minimum: int) -> tuple[int, int]:
    """An int or a (height, width) pair of ints, as a pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (height, width) pair, got {value!r}")
        return _int(f"{name}[0]", value[0], minimum), _int(f"{name}[1]", value[1], minimum)
    value = _int(name, value, minimum)
    return value, value


def dilated_kernel_size(k: int, d: int = 1) -> int:
    """k̂ = k + (k − 1)(d − 1): the span a kernel of size k covers with dilation d."""
    k, d = _int("k", k, 1), _int("d", d, 1)
    return k + (k - 1) * (d - 1)


def same_padding(i: int, k: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """TensorFlow's "SAME" padding (before, after) along one axis: total max((⌈i/s⌉ − 1)s + k̂ − i, 0), ⌊total/2⌋ before."""
    i, s = _int("i", i, 1), _int("s", s, 1)
    k_hat = dilated_kernel_size(k, d)
    total = max((math.ceil(i / s) - 1) * s + k_hat - i, 0)
    return total // 2, total - total // 2


def _padding_total(i: int, k_hat: int, s: int, p) -> int:
    """Total padding (both sides) for p an int or one of ``PADDING_NAMES``."""
    if isinstance(p, str):
        name = p.lower()
        if name == "valid":
            return 0
        if name == "full":
            return 2 * (k_hat - 1)
        if name == "same":
            return max((math.ceil(i / s) - 1) * s + k_hat - i, 0)
        raise ValueError(f"p must be a non-negative int or one of {PADDING_NAMES}, got {p!r}")
    return 2 * _int("p", p, 0)


def conv_output_size(i: int, k: int, s: int = 1, p=0, d: int = 1, exact: bool = False) -> int:
    """Output size of a convolution along one axis: o = ⌊(i + 2p − k̂)/s⌋ + 1, k̂ = k + (k − 1)(d − 1).

    ``p`` is an int (zeros on each side) or ``"valid"``, ``"same"`` (o = ⌈i/s⌉ as in
    TensorFlow), ``"full"`` (p = k̂ − 1). With ``exact=True`` a stride that does not tile
    the padded input, (i + 2p − k̂) mod s ≠ 0, raises ValueError instead of silently
    dropping the last rows (e.g. 7×7 input, 3×3 filter, stride 3; AlexNet with P = 3).
    """
    i, k, s, d = _int("i", i, 1), _int("k", k, 1), _int("s", s, 1), _int("d", d, 1)
    k_hat = dilated_kernel_size(k, d)
    padded = i + _padding_total(i, k_hat, s, p)
    if k_hat > padded:
        raise ValueError(
            f"k={k} (dilated to {k_hat}) is larger than the padded input i + 2p = {padded} "
            f"(i={i}, p={p!r}): no output position fits"
        )
    span = padded - k_hat
    if exact and span % s:
        raise ValueError(
            f"s={s} does not fit: (i + 2p - k̂) = ({i} + {padded - i} - {k_hat}) = {span} is not a "
            f"multiple of the stride; o = {span}/{s} + 1 = {span / s + 1:g} is not an integer "
            f"(the last {span % s} row(s)/column(s) would be ignored)"
        )
    return span // s + 1


def transposed_conv_output_size(i: int, k: int, s: int = 1, p: int = 0, output_padding: int = 0) -> int:
    """Output size of a transposed convolution: o' = s(i' − 1) + k − 2p + a, with 0 ≤ a < s.

    ``a = output_padding`` picks among the s input sizes that a strided convolution maps to
    the same i'; it is (i + 2p − k) mod s for the convolution being inverted.
    """
    i, k, s = _int("i", i, 1), _int("k", k, 1), _int("s", s, 1)
    p = _int("p", p, 0)
    a = _int("output_padding", output_padding, 0)
    if a >= s:
        raise ValueError(f"output_padding must be smaller than the stride s={s}, got {a}")
    size = s * (i - 1) + k - 2 * p + a
    if size < 1:
        raise ValueError(f"p={p} is too large: o' = {s}·({i} − 1) + {k} − 2·{p} + {a} = {size} < 1")
    return size


def pool_output_size(i: int, k: int, s: int | None = None) -> int:
    """Output size of pooling without padding: o = ⌊(i − k)/s⌋ + 1, with s = k by default."""
    i, k = _int("i", i, 1), _int("k", k, 1)
    s = k if s is None else _int("s", s, 1)
    if k > i:
        raise ValueError(f"k={k} is larger than the input i={i}")
    return (i - k) // s + 1


def conv_params(k, c_in: int, c_out: int, bias: bool = True) -> int:
    """Parameters of a convolution layer with shared weights: (kh·kw·c_in + 1)·c_out (no +1 without bias)."""
    kh, kw = _pair("k", k, 1)
    c_in, c_out = _int("c_in", c_in, 1), _int("c_out", c_out, 1)
    return (kh * kw * c_in + int(bool(bias))) * c_out


def trainable_params(model) -> int:
    """Trainable parameters of a Keras model or layer (BN's moving statistics are not counted)."""
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


def unshared_params(k, c_in: int, c_out: int, out_size, bias: bool = True) -> int:
    """Parameters without sharing (a locally connected layer): (kh·kw·c_in + 1)·out_h·out_w·c_out.

    Each of the out_h·out_w·c_out output neurons has its own weights and bias.
    ``out_size`` is an int (square output) or (out_h, out_w).
    """
    out_h, out_w = _pair("out_size", out_size, 1)
    return conv_params(k, c_in, c_out, bias) * out_h * out_w


def receptive_field(layers) -> int:
    """Receptive field of a stack of layers given as (kernel, stride[, dilation]) tuples.

    r = 1 + Σ_l (k̂_l − 1)·Π_{j<l} s_j: each layer widens the field by (k̂ − 1) input steps
    of the layers below it. Three 3×3 stride-1 convolutions → 7; conv 3×3 then pool 2×2/2
    then conv 3×3 → 8.
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise ValueError(f"layers must be a list of (kernel, stride[, dilation]) tuples, got {layers!r}")
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        if isinstance(layer, numbers.Integral) and not isinstance(layer, bool):
            layer = (layer, 1)
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(
                f"layers[{index}] must be (kernel, stride) or (kernel, stride, dilation), got {layer!r}"
            )
        k = _int(f"layers[{index}] kernel", layer[0], 1)
        s = _int(f"layers[{index}] stride", layer[1], 1)
        d = _int(f"layers[{index}] dilation", layer[2], 1) if len(layer) == 3 else 1
        field += (dilated_kernel_size(k, d) - 1) * jump
        jump *= s
    return field
