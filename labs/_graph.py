"""Walking and rebuilding the graph of a Sequential or functional Keras model (helpers of ``labs.folding``).

Keras 3 keeps a functional model's graph as nodes (one per layer call) grouped by depth;
a built Sequential model keeps an equivalent functional graph in ``model._functional``.
These helpers read that graph, and rebuild it with new layers, without changing the original.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import keras
import numpy as np


def is_sequential(model) -> bool:
    return isinstance(model, keras.Sequential)


def is_graph_model(model) -> bool:
    """True for Sequential and functional models (those with a graph of layer calls)."""
    return is_sequential(model) or hasattr(model, "_nodes_by_depth")


def check_model(model, argument: str = "model") -> None:
    """Raise TypeError/ValueError unless ``model`` is a built Sequential or functional keras.Model."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{argument} must be a keras.Model (Sequential or functional), got {type(model).__name__}")
    if not is_graph_model(model):
        raise TypeError(
            f"{argument} {model.name!r} is a subclassed {type(model).__name__}: only Sequential and functional "
            "models have a graph of layer calls that can be rewritten"
        )
    if is_sequential(model) and getattr(model, "_functional", None) is None:
        raise ValueError(
            f"{argument} {model.name!r} is a Sequential model that is not built: start it with keras.Input(shape) "
            "or call model.build(input_shape) first"
        )


class Graph:
    """The layer calls of a model in topological order, with who produces and who consumes each tensor."""

    def __init__(self, model):
        check_model(model)
        self.model = model
        functional = model._functional if is_sequential(model) else model
        self.inputs = list(functional.inputs)
        self.outputs = list(functional.outputs)
        self.nodes = []
        for depth in sorted(functional._nodes_by_depth, reverse=True):
            self.nodes.extend(n for n in functional._nodes_by_depth[depth] if n.operation and not n.is_input)
        self.producer = {id(t): node for node in self.nodes for t in node.outputs}
        self.consumers = defaultdict(list)
        for node in self.nodes:
            for tensor in node.input_tensors:
                self.consumers[id(tensor)].append(node)
        self.calls = Counter(id(node.operation) for node in self.nodes)
        self.output_ids = {id(t) for t in self.outputs}
        self.functional = functional


def to_numpy(variable) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable))


def clone_layer(layer):
    """A new, unbuilt layer with the same configuration (``layer.__class__.from_config(layer.get_config())``)."""
    try:
        return layer.__class__.from_config(layer.get_config())
    except Exception as error:  # custom layers without a working get_config
        raise TypeError(
            f"cannot clone layer {layer.name!r} of type {type(layer).__name__}: from_config(get_config()) "
            f"failed ({error}); give the layer a get_config that returns its constructor arguments"
        ) from error


def set_weights_checked(layer, arrays) -> None:
    """``layer.set_weights(arrays)`` after checking the shapes match, with a message naming the layer."""
    expected = [tuple(w.shape) for w in layer.weights]
    got = [tuple(np.shape(a)) for a in arrays]
    if expected != got:
        raise ValueError(f"weights of layer {layer.name!r}: expected shapes {expected}, got {got}")
    layer.set_weights(list(arrays))


def rebuild(graph: Graph, make_layer, skip_nodes=frozenset()):
    """A new model with the same graph, each layer replaced by ``make_layer(old) -> (new, weights or None)``.

    Nodes whose id is in ``skip_nodes`` are bypassed: their single output becomes their first
    input. Shared layers stay shared (one new layer per old one). A Sequential model gives a
    Sequential model, a functional model a functional one.
    """
    model = graph.model
    new_layers, pending = {}, {}

    def new_layer_for(old):
        if id(old) not in new_layers:
            new, weights = make_layer(old)
            new_layers[id(old)] = new
            if weights is not None:
                pending[id(old)] = (new, weights)
        return new_layers[id(old)]

    def new_input(tensor):
        input_layer = tensor._keras_history[0]
        return clone_layer(input_layer).output

    if is_sequential(model):
        kept = []
        skipped_layers = {id(n.operation) for n in graph.nodes if id(n) in skip_nodes}
        for old in model.layers:
            if id(old) not in skipped_layers:
                kept.append(new_layer_for(old))
        input_layer = clone_layer(graph.inputs[0]._keras_history[0])
        result = keras.Sequential([input_layer] + kept, name=model.name, trainable=model.trainable)
    else:
        tensors = {id(old): new_input(old) for old in graph.inputs}
        for node in graph.nodes:
            if id(node) in skip_nodes:
                tensors[id(node.outputs[0])] = tensors[id(node.input_tensors[0])]
                continue
            layer = new_layer_for(node.operation)
            args, kwargs = node.arguments.fill_in(tensors)
            outputs = layer(*args, **kwargs)
            for old, new in zip(node.outputs, keras.tree.flatten(outputs)):
                tensors[id(old)] = new
        inputs = keras.tree.map_structure(lambda t: tensors[id(t)], model._inputs_struct)
        outputs = keras.tree.map_structure(lambda t: tensors[id(t)], model._outputs_struct)
        result = keras.Model(inputs=inputs, outputs=outputs, name=model.name, trainable=model.trainable)
    for new, weights in pending.values():
        set_weights_checked(new, weights)
    return result
