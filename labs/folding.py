"""Folding batch normalization into the preceding linear layer, for inference.

In inference mode a ``BatchNormalization`` layer computes y = γ(x − μ)/√(σ² + ε) + β with its
moving mean μ and variance σ². When x = W∗a + b comes straight from a convolution or dense
layer (no activation in between) the two affine maps compose into one:

    W' = γ·W/√(σ² + ε)            (each output channel's filter scaled)
    b' = γ·(b − μ)/√(σ² + ε) + β  (b = 0 when the layer has no bias)

(Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", §3.2; PyTorch's ``fuse_conv_bn_eval`` does the same.)

Two functions, each named after what it returns (and ``folded_weights(layer, batchnorm)`` for one pair):

- ``fold_report(model) -> FoldReport``: which BatchNormalization layers can be folded, into
  which layer, and for the others why not. Nothing is built.
- ``fold_batchnorm(model) -> keras.Model``: a new model (Sequential stays Sequential) with
  every foldable BN folded and every other BN left in place, unchanged. The original model
  is not modified. The result holds only standard Keras layers, so it saves as ``.keras``
  and loads without custom objects. The folded model equals the original in inference mode
  only (``training=False``): it has no batch statistics to use in training.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from . import _graph
from .config import notice

__all__ = ["FOLDABLE_LAYERS", "FoldDecision", "FoldReport", "fold_batchnorm", "fold_report", "folded_weights"]

#: Layers a following BatchNormalization can be folded into (kernel's last axis = output channel,
#: except the depthwise ones, whose kernel ends in (c_in, multiplier)).
FOLDABLE_LAYERS = (
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
    keras.layers.Dense,
)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_FOLDABLE_NAMES = "Conv1D/2D/3D, DepthwiseConv1D/2D or Dense"


@dataclass(frozen=True)
class FoldDecision:
    """What happens to one BatchNormalization layer: ``folded`` into ``into``, or left, and ``reason``."""

    batchnorm: str
    folded: bool
    into: str | None
    reason: str


@dataclass(frozen=True)
class FoldReport:
    """One ``FoldDecision`` per BatchNormalization layer of a model, in graph order.

    ``folded`` maps BN name → layer it folds into; ``not_folded`` maps BN name → reason.
    Names inside a nested model read ``outer/inner``.
    """

    model: str
    decisions: tuple

    @property
    def folded(self) -> dict:
        return {d.batchnorm: d.into for d in self.decisions if d.folded}

    @property
    def not_folded(self) -> dict:
        return {d.batchnorm: d.reason for d in self.decisions if not d.folded}

    def __len__(self) -> int:
        return len(self.decisions)

    def __iter__(self):
        return iter(self.decisions)

    def __str__(self) -> str:
        lines = [f"{self.model}: {len(self.folded)} of {len(self)} BatchNormalization layers folded"]
        width = max((len(d.batchnorm) for d in self.decisions), default=0)
        for d in self.decisions:
            lines.append(f"  {d.batchnorm:<{width}}  {'folded' if d.folded else 'kept  '}  {d.reason}")
        return "\n".join(lines)


def fold_report(model) -> FoldReport:
    """Which BatchNormalization layers of ``model`` ``fold_batchnorm`` folds, and why the others stay."""
    decisions, _ = _plan(model)
    return FoldReport(model.name, tuple(decisions))


def fold_batchnorm(model) -> keras.Model:
    """A new model with each foldable BatchNormalization folded into the layer before it.

    W' = γW/√(σ² + ε), b' = γ(b − μ)/√(σ² + ε) + β (b = 0 without bias). A BN is folded when its
    input comes straight from a Conv1D/2D/3D, DepthwiseConv1D/2D or Dense layer without
    activation, that output feeds nothing else, both layers are called once, and the BN
    normalizes the channel axis. Other BN layers stay as they are; a notice names them and
    ``fold_report(model)`` says why. Nested models are folded recursively.
    """
    decisions, plan = _plan(model)
    result = _fold_with_plan(plan)
    kept = {d.batchnorm: d.reason for d in decisions if not d.folded}
    if kept:
        names = "; ".join(f"{name!r}: {reason}" for name, reason in kept.items())
        notice(f"fold_batchnorm({model.name!r}) folded {len(decisions) - len(kept)} BN layers, kept {len(kept)} ({names})")
    return result


def _fold_with_plan(plan):
    """Rebuild the planned graph: folded layers get (W', b'), nested models are folded recursively."""

    def make_layer(old):
        if id(old) in plan["nested"]:
            return _fold_with_plan(_plan(old)[1]), None
        if id(old) in plan["targets"]:
            config = old.get_config()
            config["use_bias"] = True
            return old.__class__.from_config(config), list(folded_weights(old, plan["targets"][id(old)]))
        return _graph.clone_layer(old), [_graph.to_numpy(w) for w in old.weights]

    return _graph.rebuild(plan["graph"], make_layer, skip_nodes=plan["skip"])


def folded_weights(layer, batchnorm) -> tuple:
    """(W', b') of ``layer`` with ``batchnorm`` folded in, computed in float64, cast to the layer's dtype.

    Depthwise kernels (k…, c_in, m) produce channel c·m + j, so the scale is reshaped to (c_in, m).
    """
    if type(layer) not in FOLDABLE_LAYERS:
        raise TypeError(f"layer must be a {_FOLDABLE_NAMES} layer, got {type(layer).__name__}")
    if not isinstance(batchnorm, keras.layers.BatchNormalization):
        raise TypeError(f"batchnorm must be a BatchNormalization layer, got {type(batchnorm).__name__}")
    for argument, value in (("layer", layer), ("batchnorm", batchnorm)):
        if not value.built:
            raise ValueError(f"{argument} {value.name!r} is not built: call it on data or build(input_shape) first")
    kernel = _graph.to_numpy(layer.kernel).astype(np.float64)
    channels = kernel.shape[-2] * kernel.shape[-1] if isinstance(layer, _DEPTHWISE) else kernel.shape[-1]
    if batchnorm.moving_mean.shape[0] != channels:
        raise ValueError(f"batchnorm {batchnorm.name!r} normalizes {batchnorm.moving_mean.shape[0]} channels, "
                         f"but layer {layer.name!r} has {channels} output channels")
    bias = _graph.to_numpy(layer.bias).astype(np.float64) if layer.use_bias else np.zeros(channels)
    gamma = _graph.to_numpy(batchnorm.gamma).astype(np.float64) if batchnorm.scale else np.ones(channels)
    beta = _graph.to_numpy(batchnorm.beta).astype(np.float64) if batchnorm.center else np.zeros(channels)
    mean = _graph.to_numpy(batchnorm.moving_mean).astype(np.float64)
    variance = _graph.to_numpy(batchnorm.moving_variance).astype(np.float64)
    scale = gamma / np.sqrt(variance + batchnorm.epsilon)
    if isinstance(layer, _DEPTHWISE):
        new_kernel = kernel * scale.reshape(kernel.shape[-2], kernel.shape[-1])
    else:
        new_kernel = kernel * scale
    new_bias = (bias - mean) * scale + beta
    dtype = layer.variable_dtype
    return new_kernel.astype(dtype), new_bias.astype(dtype)


def _plan(model):
    """Decisions for every BN (nested models included) and what ``rebuild`` needs to apply them."""
    graph = _graph.Graph(model)
    decisions, targets, skip, nested, seen = [], {}, set(), set(), set()
    for node in graph.nodes:
        layer = node.operation
        if isinstance(layer, keras.Model) and _graph.is_graph_model(layer):
            nested.add(id(layer))
            if id(layer) not in seen:
                seen.add(id(layer))
                inner, _ = _plan(layer)
                decisions.extend(
                    FoldDecision(f"{layer.name}/{d.batchnorm}", d.folded,
                                 None if d.into is None else f"{layer.name}/{d.into}", d.reason)
                    for d in inner
                )
            continue
        if not isinstance(layer, keras.layers.BatchNormalization) or id(layer) in seen:
            continue
        seen.add(id(layer))
        reason, producer = _why_not(node, graph)
        if reason is None:
            targets[id(producer.operation)] = layer
            skip.add(id(node))
            kind = type(producer.operation).__name__
            decisions.append(FoldDecision(layer.name, True, producer.operation.name,
                                          f"folded into {kind} {producer.operation.name!r}"))
        else:
            decisions.append(FoldDecision(layer.name, False, None, reason))
    return decisions, {"graph": graph, "targets": targets, "skip": frozenset(skip), "nested": nested}


def _why_not(node, graph):
    """(None, producer node) when the BN of ``node`` can be folded, else (reason, None)."""
    batchnorm = node.operation
    if graph.calls[id(batchnorm)] > 1:
        return f"the layer is called {graph.calls[id(batchnorm)]} times (shared), so it cannot vanish into one", None
    if node.arguments.kwargs.get("training") is True and batchnorm.trainable:
        return "it is called with training=True, so it always uses batch statistics", None
    if len(node.input_tensors) != 1:
        return "it has more than one input tensor", None
    tensor = node.input_tensors[0]
    producer = graph.producer.get(id(tensor))
    if producer is None:
        return "its input is a model input, not the output of a linear layer", None
    layer = producer.operation
    kind = type(layer).__name__
    if isinstance(layer, keras.Model):
        return f"it follows the nested model {layer.name!r}; folding across model boundaries is not supported", None
    if type(layer) not in FOLDABLE_LAYERS:
        return f"it follows {kind} {layer.name!r}, not a {_FOLDABLE_NAMES} layer", None
    activation = keras.activations.serialize(layer.activation)
    if activation not in ("linear", None):
        return f"{kind} {layer.name!r} applies activation {activation!r} before the BN", None
    if graph.calls[id(layer)] > 1:
        return f"{kind} {layer.name!r} is called {graph.calls[id(layer)]} times (shared weights)", None
    others = [n.operation.name for n in graph.consumers[id(tensor)] if n is not node]
    if others:
        return f"the output of {kind} {layer.name!r} also feeds {', '.join(repr(o) for o in others)}", None
    if id(tensor) in graph.output_ids:
        return f"the output of {kind} {layer.name!r} is also a model output", None
    rank = len(tensor.shape)
    channel_axis = 1 if getattr(layer, "data_format", "channels_last") == "channels_first" else rank - 1
    if batchnorm.axis % rank != channel_axis:
        return (f"it normalizes axis {batchnorm.axis}, but the channels of {kind} {layer.name!r} "
                f"are on axis {channel_axis}"), None
    if getattr(layer, "quantization_mode", None) or getattr(layer, "lora_enabled", False):
        return f"{kind} {layer.name!r} is quantized or has LoRA enabled", None
    return None, producer
