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
    """``figures/`` beside the notebooks (created on demand)."""
    from .config import repository_root

    root = repository_root() or Path.cwd()
    path = root / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(figure, name: str) -> Path:
    """Save a figure as ``figures/NAME.png`` and return the path."""
    path = figures_dir() / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path
