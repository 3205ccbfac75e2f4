"""Figures the labs share: image grids, training curves, bars; saved where students find them."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def image_grid(images, titles=None, *, ncols: int = 8, size: float = 1.4, cmap="gray", suptitle=None):
    """Show images (N×H×W or N×H×W×C, any range) in a grid; returns the figure."""
    plt = _pyplot()
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be N×H×W or N×H×W×C, got shape {images.shape}")
    count = len(images)
    ncols = max(1, min(ncols, count))
    nrows = int(np.ceil(count / ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= count:
            continue
        image = images[index]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 3:
            low, high = float(image.min()), float(image.max())
            image = (image - low) / (high - low) if high > low else np.zeros_like(image, dtype=float)
        axis.imshow(image, cmap=cmap if image.ndim == 2 else None)
        if titles is not None:
            axis.set_title(str(titles[index]), fontsize=8)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    return figure


def plot_histories(histories: dict, metrics=("loss", "accuracy"), *, title=None):
    """Training and validation curves of several Keras histories side by side, one panel per metric."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for axis, metric in zip(axes.flat, metrics):
        for name, history in histories.items():
            values = getattr(history, "history", history)
            if metric in values:
                (line,) = axis.plot(np.arange(1, len(values[metric]) + 1), values[metric], label=f"{name} train")
                if f"val_{metric}" in values:
                    axis.plot(np.arange(1, len(values[metric]) + 1), values[f"val_{metric}"], "--",
                              color=line.get_color(), label=f"{name} validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend(fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def bar_chart(labels, values, *, title=None, xlabel=None, horizontal: bool = True, ax=None):
    """A labelled bar chart (horizontal by default, best for class names); returns the axis."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * len(labels) + 1))
    positions = np.arange(len(labels))
    if horizontal:
        ax.barh(positions, values)
        ax.set_yticks(positions, [str(label) for label in labels])
        ax.invert_yaxis()
        if xlabel:
            ax.set_xlabel(xlabel)
    else:
        ax.bar(positions, values)
        ax.set_xticks(positions, [str(label) for label in labels], rotation=45, ha="right")
        if xlabel:
            ax.set_ylabel(xlabel)
    if title:
        ax.set_title(title)
    return ax


def figures_dir() -> Path:
    """``figures/`` in the work directory (``labs.work_dir()``, i.e. ``LABS_WORK_DIR``), created on demand."""
    from .config import work_dir

    path = work_dir() / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(figure, name: str) -> Path:
    """Save a figure as ``WORK_DIR/figures/NAME.png`` and return the path."""
    path = figures_dir() / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path


def graph_diagram(model, *, ax=None, title=None):
    """Draw a functional model's layers top to bottom with their output shapes; returns the axis.

    No pydot/graphviz needed. The longest input→output path runs down the middle; layers off
    it (a projection shortcut) sit to the right, and an edge that jumps over layers of the
    middle column (an identity shortcut) is drawn as an arc.
    """
    plt = _pyplot()
    layers_ = list(model.layers)
    names = {layer.name for layer in layers_}
    parents = {layer.name: [] for layer in layers_}
    for layer in layers_:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                parent = tensor._keras_history.operation.name
                if parent in names and parent not in parents[layer.name]:
                    parents[layer.name].append(parent)
    depth = {}
    for layer in layers_:  # model.layers is in topological order
        depth[layer.name] = max((depth[p] + 1 for p in parents[layer.name]), default=0)
    chain = [layers_[-1].name]
    while parents[chain[-1]]:
        chain.append(max(parents[chain[-1]], key=depth.get))
    chain.reverse()
    position = {name: (0.0, -float(row)) for row, name in enumerate(chain)}
    side = [layer.name for layer in layers_ if layer.name not in position]
    for name in side:  # between the chain row above and the chain row below
        above = max((-position[p][1] for p in parents[name] if p in position), default=0.0)
        children = [c for c, ps in parents.items() if name in ps]
        below = min((-position[c][1] for c in children if c in position and position[c][0] == 0), default=above + 2)
        group = [n for n in side if n in parents and set(parents[n]) & ({name} | set(parents[name]))]
        rank = side.index(name) - side.index(group[0]) if group else 0
        position[name] = (1.7, -(above + (below - above) * (rank + 1) / (len(group) + 1)))
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 0.55 * len(chain) + 0.6))
    colours = {"Conv2D": "#cfe2ff", "BatchNormalization": "#fff3bf", "Activation": "#d3f9d8", "Add": "#ffd8a8",
               "InputLayer": "#e9ecef", "Dense": "#e5dbff"}
    for layer in layers_:
        x, y = position[layer.name]
        shape = "×".join(str(s) for s in layer.output.shape[1:])
        ax.text(x, y, f"{_layer_label(layer)}\n{shape}", ha="center", va="center", fontsize=7.5,
                bbox=dict(boxstyle="round,pad=0.3", fc=colours.get(type(layer).__name__, "#f1f3f5"), ec="#495057"))
    for child, ps in parents.items():
        for parent in ps:
            (x1, y1), (x2, y2) = position[parent], position[child]
            jump = x1 == x2 == 0 and y1 - y2 > 1
            style = "arc3,rad=-0.6" if jump else "arc3"
            start, end = ((x1 + 0.55, y1), (x2 + 0.55, y2)) if jump else ((x1, y1 - 0.25), (x2, y2 + 0.25))
            ax.annotate("", xy=end, xytext=start,
                        arrowprops=dict(arrowstyle="-|>", color="#c92a2a" if jump or x1 != x2 else "#343a40",
                                        connectionstyle=style, lw=1.2))
    ax.set_xlim(-1.2, 3.0)
    ax.set_ylim(-len(chain) + 0.4, 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def _layer_label(layer) -> str:
    kind = type(layer).__name__
    config = layer.get_config()
    if kind == "Conv2D":
        k, s = config["kernel_size"], config["strides"]
        return f"conv {k[0]}×{k[1]}, {config['filters']}" + (f", stride {s[0]}" if s[0] > 1 else "")
    if kind == "Activation":
        return str(config["activation"]).replace("relu", "ReLU")
    if kind == "Rescaling":
        return f"× {config['scale']}"
    return {"BatchNormalization": "BN", "Add": "add (+)", "InputLayer": "input", "Dense": "dense",
            "ZeroPadShortcut": "subsample, zero-pad"}.get(kind, kind)
