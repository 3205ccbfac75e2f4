"""VGG16/VGG19 from ``keras.applications`` with ImageNet weights, and the ImageNet class names.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(2014): configurations D (VGG16, 138,357,544 parameters) and E (VGG19, 143,667,240).

Where the weights live: ``keras.applications`` downloads them once (checking their md5)
into Keras's cache, ``$KERAS_HOME/models`` (default ``~/.keras/models``). A copy placed by
hand in ``<data directory>/models`` (``labs.data_dir()``, i.e. ``LABS_DATA_DIR``) is used
too, after the same md5 check by Keras. With ``LABS_OFFLINE=1`` nothing is downloaded: a
missing file raises :class:`MissingWeightsError`, which says what to fetch and where to put it.
"""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import NamedTuple

from ..config import data_dir

__all__ = [
    "vgg", "imagenet_labels", "decode_predictions", "weights_file", "cached_weights_path",
    "weights_cached", "keras_cache_dir", "MissingWeightsError", "WeightsFile", "Prediction",
    "DEPTHS", "NUM_CLASSES",
]

DEPTHS = (16, 19)
NUM_CLASSES = 1000
_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications"
CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"  # Keras's copy, 35,363 bytes


class WeightsFile(NamedTuple):
    """One ImageNet weights file of ``keras.applications``: name, URL, md5 (Keras's), size."""

    name: str
    url: str
    md5: str
    size_bytes: int | None  # None: not published; about 4 bytes per weight


# The names, URLs and md5 sums are those of keras/src/applications/vgg16.py and vgg19.py.
_WEIGHTS = {
    (16, True): WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                            f"{_BASE_URL}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                            "64373286793e3c8b2b4e3219cbf3544b", 553_467_096),
    (16, False): WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             f"{_BASE_URL}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             "6d6bbae143d832006294945121d1f1fc", None),
    (19, True): WeightsFile("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                            f"{_BASE_URL}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                            "cbe5617147190e668d6c5d5026f83318", 574_710_816),
    (19, False): WeightsFile("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             f"{_BASE_URL}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             "253f8cb515780f3b799900260a226db6", None),
}
_CONV_PARAMETERS = {16: 14_714_688, 19: 20_024_384}


class MissingWeightsError(FileNotFoundError):
    """The ImageNet weights are neither cached nor downloadable (offline)."""


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or depth not in DEPTHS:
        raise ValueError(f"depth must be 16 or 19 (VGG16 = configuration D, VGG19 = E), got {depth!r}")
    return int(depth)


def _check_include_top(include_top) -> bool:
    if not isinstance(include_top, bool):
        raise TypeError(f"include_top must be True or False, got {include_top!r}")
    return include_top


def offline() -> bool:
    """True when ``LABS_OFFLINE`` forbids downloads (the same rule as ``labs.data``)."""
    from ..data.download import offline as data_offline

    return data_offline()


def keras_cache_dir() -> Path:
    """Keras's cache, as ``keras.utils.get_file`` computes it: ``$KERAS_HOME``, else ``~/.keras``.

    Keras falls back to ``/tmp/.keras`` when the home directory is not writable.
    """
    configured = os.environ.get("KERAS_HOME", "").strip()
    if configured:
        return Path(configured).expanduser()
    home = Path("~").expanduser()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def _search_dirs() -> list[Path]:
    """Folders searched for weight files, in order: Keras's cache (and its /tmp fallback), the data directory."""
    keras_dir = keras_cache_dir()
    folders = [keras_dir / "models"]
    if not os.access(keras_dir if keras_dir.exists() else keras_dir.parent, os.W_OK):
        folders.append(Path("/tmp/.keras/models"))
    folders.append(data_dir() / "models")
    return folders


def weights_file(depth: int, include_top: bool = True) -> WeightsFile:
    """The ``keras.applications`` weights file for VGG``depth`` (with or without the 3 FC layers)."""
    return _WEIGHTS[(_check_depth(depth), _check_include_top(include_top))]


def cached_weights_path(depth: int, include_top: bool = True) -> Path | None:
    """Where the weights file already is (Keras's cache first, then the data directory), else None.

    Only looks at the disk: never downloads. Keras checks the md5 when the model is built.
    """
    name = weights_file(depth, include_top).name
    for folder in _search_dirs():
        if (folder / name).is_file():
            return folder / name
    return None


def weights_cached(depth: int, include_top: bool = True) -> bool:
    """True when the ImageNet weights of VGG``depth`` are on disk (no download attempted)."""
    return cached_weights_path(depth, include_top) is not None


def _size_text(depth: int, spec: WeightsFile, include_top: bool) -> str:
    if spec.size_bytes is not None:
        return f"{spec.size_bytes:,} bytes"
    return f"about {4 * _CONV_PARAMETERS[depth] / 1e6:.0f} MB, {_CONV_PARAMETERS[depth]:,} float32 weights"


def missing_weights_message(depth: int, include_top: bool = True) -> str:
    """What is missing, where Keras looks for it, and how to get it."""
    spec = weights_file(depth, include_top)
    folders = _search_dirs()
    return (
        f"The ImageNet weights of VGG{depth} ({'with' if include_top else 'without'} the top) are not "
        f"cached: missing file {spec.name} ({_size_text(depth, spec, include_top)}, md5 {spec.md5}). "
        f"Looked in: {', '.join(str(f) for f in folders)}. "
        f"Keras downloads it from {spec.url} on first use when online "
        f"({'LABS_OFFLINE=1 forbids downloads here' if offline() else 'the download failed'}). "
        f"To get it: on a machine with internet run "
        f"`python -c \"import keras; keras.applications.VGG{depth}(include_top={include_top})\"` "
        f"(or download the URL), then copy the file into {folders[0]} "
        f"(Keras's cache, set by KERAS_HOME) or {folders[-1]}. "
        f"To run without the weights use weights=None (random weights: predictions are not meaningful)."
    )


def _keras_constructor(depth: int):
    import keras

    return keras.applications.VGG16 if depth == 16 else keras.applications.VGG19


def vgg(depth: int, weights="imagenet", include_top: bool = True):
    """VGG``depth`` (16 or 19) from ``keras.applications``, 224×224×3 input with the top.

    ``weights``: ``"imagenet"`` (Keras downloads and md5-checks the file into its cache on
    first use; offline a missing file raises :class:`MissingWeightsError`), ``None``
    (random initialisation) or the path of a weights file. ``include_top=False`` drops the
    three fully connected layers: a feature extractor whose output is H/32 × W/32 × 512.
    """
    depth = _check_depth(depth)
    include_top = _check_include_top(include_top)
    constructor = _keras_constructor(depth)
    if weights is None or (isinstance(weights, (str, os.PathLike)) and weights != "imagenet"):
        if weights is not None and not Path(weights).is_file():
            raise FileNotFoundError(f"weights={str(weights)!r} is not a file; use 'imagenet', None or a weights path")
        return constructor(include_top=include_top, weights=weights)
    if weights != "imagenet":
        raise ValueError(f"weights must be 'imagenet', None or the path of a weights file, got {weights!r}")
    spec = weights_file(depth, include_top)
    location = cached_weights_path(depth, include_top)
    if location is None and offline():
        raise MissingWeightsError(missing_weights_message(depth, include_top))
    if location is not None and location.parent != keras_cache_dir() / "models":
        # A copy outside Keras's cache: Keras's get_file checks its md5 in place.
        import keras

        path = keras.utils.get_file(spec.name, spec.url, cache_dir=str(location.parent.parent),
                                    cache_subdir=location.parent.name, file_hash=spec.md5)
        return constructor(include_top=include_top, weights=path)
    try:
        return constructor(include_top=include_top, weights="imagenet")
    except Exception as error:  # Keras raises a bare Exception when the URL cannot be fetched
        if cached_weights_path(depth, include_top) is not None:
            raise
        raise MissingWeightsError(missing_weights_message(depth, include_top)) from error


def _class_index_candidates(path) -> list[Path]:
    if path is not None:
        return [Path(path).expanduser()]
    return [data_dir() / CLASS_INDEX_FILE, keras_cache_dir() / "models" / CLASS_INDEX_FILE]


def class_index_path(path=None) -> Path:
    """The ImageNet class index JSON to use: ``path``, else the data directory, else Keras's cache.

    When none exists and downloads are allowed, ``keras.utils.get_file`` fetches Keras's copy
    (md5 checked) into its cache; with ``LABS_OFFLINE=1`` a FileNotFoundError says what to do.
    """
    candidates = _class_index_candidates(path)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if path is not None:
        raise FileNotFoundError(f"path={str(path)!r}: no such ImageNet class index file")
    message = (
        f"The ImageNet class index {CLASS_INDEX_FILE} was not found in "
        f"{', '.join(str(c) for c in candidates)}. Get it from {CLASS_INDEX_URL} "
        f"(md5 {CLASS_INDEX_MD5}) and put it in one of those folders, or pass path=."
    )
    if offline():
        raise FileNotFoundError(message + " (LABS_OFFLINE=1: no download attempted)")
    import keras

    try:
        return Path(keras.utils.get_file(CLASS_INDEX_FILE, CLASS_INDEX_URL, cache_subdir="models",
                                         file_hash=CLASS_INDEX_MD5))
    except Exception as error:
        raise FileNotFoundError(message) from error


@functools.lru_cache(maxsize=8)
def _read_class_index(path: Path) -> tuple[tuple[str, str], ...]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable JSON class index: {error}") from error
    expected = {str(i) for i in range(NUM_CLASSES)}
    if not isinstance(raw, dict) or set(raw) != expected:
        raise ValueError(f"{path} must map the keys '0'..'999' to [wnid, name], got {len(raw)} entries")
    return tuple((str(raw[str(i)][0]), str(raw[str(i)][1])) for i in range(NUM_CLASSES))


def imagenet_labels(path=None) -> list[str]:
    """The 1,000 ImageNet class names, index i → name (281 'tabby', 282 'tiger_cat', 285 'Egyptian_cat').

    ``path``: a local class index JSON (``{"281": ["n02123045", "tabby"], ...}``); by default
    ``<data directory>/imagenet_class_index.json``, else Keras's cache, else downloaded by Keras.
    """
    return [name for _, name in _read_class_index(class_index_path(path).resolve())]


class Prediction(NamedTuple):
    """One of the top-k guesses: ImageNet class index, WordNet id, name, probability."""

    index: int
    wnid: str
    label: str
    probability: float


def decode_predictions(preds, top: int = 5, path=None) -> list[list[Prediction]]:
    """The ``top`` most probable classes of each row of ``preds`` (shape N × 1000), best first.

    Like ``keras.applications.vgg16.decode_predictions`` but with the class index in each
    tuple and a local class index file accepted through ``path``.
    """
    import numpy as np

    try:
        scores = np.asarray(preds, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"preds must be a numeric array of shape (N, 1000): {error}") from error
    if scores.ndim != 2 or scores.shape[1] != NUM_CLASSES:
        hint = " (one image? use preds[None])" if scores.shape == (NUM_CLASSES,) else ""
        raise ValueError(f"preds must have shape (N, {NUM_CLASSES}), got {scores.shape}{hint}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= NUM_CLASSES:
        raise ValueError(f"top must be an int from 1 to {NUM_CLASSES}, got {top!r}")
    index = _read_class_index(class_index_path(path).resolve())
    results = []
    for row in scores:
        best = np.argsort(-row, kind="stable")[: int(top)]
        results.append([Prediction(int(i), index[i][0], index[i][1], float(row[i])) for i in best])
    return results
