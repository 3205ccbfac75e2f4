"""Readers of the original file formats: MNIST IDX, Keras ``mnist.npz``, CIFAR python archives."""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from .errors import CorruptFileError

IDX_MAGIC = {2049: 1, 2051: 3}  # labels: 1 dimension, images: 3 (count, rows, columns)
CIFAR_LAYOUT = {
    "cifar10": ("cifar-10-batches-py", {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}),
    "cifar100": ("cifar-100-python", {"train": ["train"], "test": ["test"]}),
}
LABEL_KEYS = {"cifar10": b"labels", "fine": b"fine_labels", "coarse": b"coarse_labels"}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain): big-endian magic 2049 (labels) or 2051 (images).

    Returns uint8 ``(N,)`` labels or ``(N, rows, columns)`` images.
    """
    path = Path(path)
    with open(path, "rb") as stream:
        gzipped = stream.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable IDX file: {error}") from error
    if len(data) < 8:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, shorter than an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic not in IDX_MAGIC:
        raise ValueError(f"{path} has magic number {magic}, expected 2049 (labels) or 2051 (images) in an IDX file")
    ndim = IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, shorter than its {header}-byte header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path} has {len(data):,} bytes, expected {expected:,} for shape {shape} (truncated or padded)")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_mnist_npz(path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Read the Keras ``mnist.npz``: ((x_train, y_train), (x_test, y_test)), no pickles allowed."""
    with np.load(path, allow_pickle=False) as archive:
        return (archive["x_train"], archive["y_train"]), (archive["x_test"], archive["y_test"])


def read_cifar_archive(path, sha256: str, dataset: str = "cifar10", label_mode: str = "fine") -> dict:
    """Read a CIFAR python ``.tar.gz`` in memory: {"train": (x, y), "test": (x, y)}.

    The archive is hashed first and unpickled only when its sha256 equals ``sha256``; nothing is
    extracted to disk. x is uint8 (N, 32, 32, 3), y uint8 (N, 1) (fine or coarse for CIFAR-100).
    """
    if dataset not in CIFAR_LAYOUT:
        raise ValueError(f"dataset={dataset!r} is not a CIFAR archive; use 'cifar10' or 'cifar100'")
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode={label_mode!r} is not valid; use 'fine' or 'coarse'")
    data = Path(path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise CorruptFileError(f"{path}: sha256 {actual} is not the expected {sha256}; not unpickling it")
    folder, batches = CIFAR_LAYOUT[dataset]
    key = LABEL_KEYS["cifar10" if dataset == "cifar10" else label_mode]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {split: _read_batches(archive, folder, names, key, path) for split, names in batches.items()}


def _read_batches(archive: tarfile.TarFile, folder: str, names: list[str], key: bytes, path) -> tuple:
    images, labels = [], []
    for name in names:
        try:
            stream = archive.extractfile(f"{folder}/{name}")
        except KeyError:
            stream = None
        if stream is None:
            raise ValueError(f"{path} has no member {folder}/{name}: not a CIFAR python archive")
        batch = pickle.load(stream, encoding="bytes")  # safe: the archive's sha256 was verified
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(np.asarray(batch[key], dtype=np.uint8).reshape(-1, 1))
    return np.concatenate(images), np.concatenate(labels)
