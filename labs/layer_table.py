"""Per-layer memory, parameters and multiply-accumulates of a Keras model (the cs231n VGG table).

Re-exported by :mod:`labs.arith`; use ``labs.arith.layer_table(model)``.
"""
from __future__ import annotations

import html
import math
from typing import NamedTuple

__all__ = ["LayerRow", "LayerTable", "layer_table"]


class LayerRow(NamedTuple):
    """One layer: activations per image (product of the output shape without the batch axis)."""

    name: str
    kind: str
    output_shape: tuple
    activations: int
    parameters: int
    macs: int
    activation_bytes: int


class LayerTable:
    """Rows of a model's layers (input first) with totals; ``str()`` is a text table."""

    def __init__(self, rows, dtype_bytes: int = 4):
        self.rows: list[LayerRow] = list(rows)
        self.dtype_bytes = dtype_bytes

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, key):
        """A row by position or by layer name."""
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            raise KeyError(f"no layer named {key!r}; layers are {[row.name for row in self.rows]}")
        return self.rows[key]

    @property
    def total_activations(self) -> int:
        """Sum of activations over all rows, the input included (per image, forward pass)."""
        return sum(row.activations for row in self.rows)

    @property
    def total_activation_bytes(self) -> int:
        return sum(row.activation_bytes for row in self.rows)

    @property
    def total_parameters(self) -> int:
        return sum(row.parameters for row in self.rows)

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates per image (conv: out_h·out_w·c_out·kh·kw·c_in/groups; dense: in·out)."""
        return sum(row.macs for row in self.rows)

    def _cells(self):
        header = ("layer", "kind", "output shape", "activations", "parameters", "MACs")
        body = [
            (row.name, row.kind, _shape_text(row.output_shape), f"{row.activations:,}",
             f"{row.parameters:,}", f"{row.macs:,}")
            for row in self.rows
        ]
        total = ("total", "", "", f"{self.total_activations:,}", f"{self.total_parameters:,}",
                 f"{self.total_macs:,}")
        return header, body, total

    def __str__(self) -> str:
        header, body, total = self._cells()
        widths = [max(len(line[c]) for line in [header, *body, total]) for c in range(len(header))]
        right = (False, False, False, True, True, True)

        def line(cells):
            return "  ".join(cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(cells, widths, right)).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        footer = self._summary()
        return "\n".join([line(header), rule, *map(line, body), rule, line(total), footer])

    def __repr__(self) -> str:
        return (f"LayerTable({len(self.rows)} rows, activations={self.total_activations:,}, "
                f"parameters={self.total_parameters:,}, macs={self.total_macs:,})")

    def _repr_html_(self) -> str:
        header, body, total = self._cells()

        def row_html(cells, tag="td", style=""):
            parts = [f'<{tag} style="text-align:{"right" if i >= 3 else "left"}{style}">{html.escape(c)}</{tag}>'
                     for i, c in enumerate(cells)]
            return "<tr>" + "".join(parts) + "</tr>"

        rows = [row_html(header, "th"), *(row_html(cells) for cells in body),
                row_html(total, style=";font-weight:bold")]
        return f"<table><caption>{html.escape(self._summary())}</caption>{''.join(rows)}</table>"

    def _summary(self) -> str:
        return (f"activation memory {_scaled(self.total_activation_bytes, 'B')} per image "
                f"({self.dtype_bytes} bytes each, forward pass); {_scaled(self.total_macs, 'MACs')} per image")


def _scaled(value: float, unit: str) -> str:
    """1234567 → '1.23 M' + unit (decimal prefixes)."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {prefix}{unit}"
    return f"{value:g} {unit}"


def _shape_text(shape) -> str:
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape_text(s) for s in shape)
    return "×".join("?" if d is None else str(d) for d in shape)


def _shapes(tensors) -> list[tuple]:
    """Shapes without the batch axis of a tensor or a (nested) list of tensors."""
    import keras

    flat = keras.tree.flatten(tensors)
    return [tuple(t.shape[1:]) for t in flat]


def _count(shape: tuple) -> int:
    if any(d is None for d in shape):
        raise ValueError(f"output shape {shape} has an unknown dimension: build the model with a fixed input size")
    return math.prod(shape)


def _layer_macs(layer, input_shapes: list[tuple], output_shapes: list[tuple]) -> int:
    """Multiply-accumulates per image of one layer (0 for layers without weights products)."""
    import keras

    kind = type(layer).__name__
    if isinstance(layer, keras.Model):
        return layer_table(layer).total_macs
    if not input_shapes or not output_shapes:
        return 0
    inputs, outputs = _count(input_shapes[0]), _count(output_shapes[0])
    kernel = getattr(layer, "kernel_size", None)
    window = math.prod(kernel) if kernel else 1
    channels_first = getattr(layer, "data_format", "channels_last") == "channels_first"
    c_in = input_shapes[0][0 if channels_first else -1]
    groups = getattr(layer, "groups", 1) or 1
    if kind == "Dense":
        return outputs * int(input_shapes[0][-1])
    if kind in ("DepthwiseConv1D", "DepthwiseConv2D"):
        return outputs * window
    if kind in ("SeparableConv1D", "SeparableConv2D"):
        multiplier = getattr(layer, "depth_multiplier", 1)
        spatial = outputs // output_shapes[0][0 if channels_first else -1]
        return spatial * c_in * multiplier * window + outputs * c_in * multiplier
    if kind.startswith("Conv") and "Transpose" in kind:
        return inputs * window * output_shapes[0][0 if channels_first else -1] // groups
    if kind.startswith("Conv") and kernel:
        return outputs * window * int(c_in) // groups
    return 0


def _calls_in(model, layer) -> list[tuple[list, list]]:
    """(input shapes, output shapes) of each call of ``layer`` inside ``model`` (several for a shared layer)."""
    import keras

    nodes = getattr(model, "_nodes", None)  # Keras 3 functional models: keys "<id(layer)>_ib-<index>"
    if isinstance(nodes, set) and not isinstance(model, keras.Sequential):
        calls = [
            ([tuple(t.shape[1:]) for t in node.input_tensors], [tuple(t.shape[1:]) for t in node.output_tensors])
            for index, node in enumerate(layer._inbound_nodes)
            if f"{id(layer)}_ib-{index}" in nodes
        ]
        if calls:
            return [([] if isinstance(layer, keras.layers.InputLayer) else inputs, outputs) for inputs, outputs in calls]
    try:
        outputs = _shapes(layer.output)
        inputs = [] if isinstance(layer, keras.layers.InputLayer) else _shapes(layer.input)
    except (AttributeError, ValueError):
        return []
    return [(inputs, outputs)]


def layer_table(model, dtype_bytes: int = 4) -> LayerTable:
    """Per layer: name, kind, output shape, activations, parameters, MACs and activation bytes.

    Works on built Sequential and functional Keras 3 models; the first row is the input.
    Activations are per image (the output shape without the batch axis); activation bytes are
    activations × ``dtype_bytes``. MACs: convolutions out_h·out_w·c_out·kh·kw·c_in/groups,
    dense in·out (per position), others 0; a nested model counts its layers' MACs. A layer
    called several times (shared weights) counts the activations and MACs of every call and
    shows the output shape of its first call.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if isinstance(dtype_bytes, bool) or not isinstance(dtype_bytes, int) or dtype_bytes < 1:
        raise ValueError(f"dtype_bytes must be a positive int (4 for float32), got {dtype_bytes!r}")
    try:
        model_inputs = model.inputs
    except (AttributeError, ValueError):
        model_inputs = None
    if not model_inputs:
        raise ValueError(
            f"model {model.name!r} has no defined input: build it first, e.g. start it with "
            "keras.Input(shape) or call model.build((None, height, width, channels))"
        )

    def row(name, kind, shapes, parameters, macs):
        shape = shapes[0] if len(shapes) == 1 else tuple(shapes)
        activations = sum(_count(s) for s in shapes)
        return LayerRow(name, kind, shape, activations, int(parameters), int(macs), activations * dtype_bytes)

    rows = []
    if not any(isinstance(layer, keras.layers.InputLayer) for layer in model.layers):
        for index, tensor in enumerate(model_inputs):
            rows.append(row("input" if len(model_inputs) == 1 else f"input_{index}", "InputLayer",
                            [tuple(tensor.shape[1:])], 0, 0))
    for layer in model.layers:
        calls = _calls_in(model, layer)
        if not calls:
            raise ValueError(f"layer {layer.name!r} has no defined output; build the model with keras.Input first")
        first_inputs, first_outputs = calls[0]
        activations = sum(_count(shape) for _, outputs in calls for shape in outputs)
        macs = sum(_layer_macs(layer, inputs, outputs) for inputs, outputs in calls)
        shape = first_outputs[0] if len(first_outputs) == 1 else tuple(first_outputs)
        rows.append(LayerRow(layer.name, type(layer).__name__, shape, activations, int(layer.count_params()),
                             int(macs), activations * dtype_bytes))
    return LayerTable(rows, dtype_bytes)
