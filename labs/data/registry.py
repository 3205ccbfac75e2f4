"""The remote files the labs use: where each comes from, its sha256 and size, where it is cached.

``LABS_DATA_MIRROR`` (a base URL, ``http(s)://`` or ``file://``) replaces every origin with
``MIRROR/<relative path>``: for a local mirror, and for the tests' local server.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..config import data_dir

MIRROR_VARIABLE = "LABS_DATA_MIRROR"
_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # the mirror torchvision uses
_TORONTO = "https://www.cs.toronto.edu/~kriz/"


@dataclass(frozen=True)
class RemoteFile:
    """One file: its name, origin URL, sha256, size in bytes and path inside the data directory."""

    name: str
    url: str
    sha256: str
    size: int
    path: str


def _idx(name: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(name, _MNIST + name, sha256, size, f"mnist/{name}")


FILES = {
    remote.name: remote
    for remote in (
        RemoteFile("mnist.npz", _KERAS + "mnist.npz",
                   "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", 11_490_434, "mnist/mnist.npz"),
        _idx("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422),
        _idx("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881),
        _idx("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877),
        _idx("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
        RemoteFile("cifar-10-python.tar.gz", _TORONTO + "cifar-10-python.tar.gz",
                   "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", 170_498_071,
                   "cifar10/cifar-10-python.tar.gz"),
        RemoteFile("cifar-100-python.tar.gz", _TORONTO + "cifar-100-python.tar.gz",
                   "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7", 169_001_437,
                   "cifar100/cifar-100-python.tar.gz"),
    )
}

# MNIST's IDX files by split: (images, labels).
MNIST_IDX = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Data set name -> the files that make it up (what ``fetch(name)`` downloads).
DATASETS = {
    "mnist": ("mnist.npz",),
    "mnist-idx": MNIST_IDX["train"] + MNIST_IDX["test"],
    "cifar10": ("cifar-10-python.tar.gz",),
    "cifar100": ("cifar-100-python.tar.gz",),
}


def remote(name: str) -> RemoteFile:
    """The registry entry for a file name, e.g. ``remote("mnist.npz")``."""
    if name not in FILES:
        raise ValueError(f"file={name!r} is not in the registry; known files: {', '.join(FILES)}")
    return FILES[name]


def dataset_files(name: str) -> tuple[RemoteFile, ...]:
    """The files of a data set in ``DATASETS``."""
    if name not in DATASETS:
        raise ValueError(f"name={name!r} is not a data set; use one of {', '.join(DATASETS)} or 'all'")
    return tuple(remote(file) for file in DATASETS[name])


def url_of(file: RemoteFile) -> str:
    """Where ``file`` is downloaded from: its origin, or ``LABS_DATA_MIRROR/<path>``."""
    mirror = os.environ.get(MIRROR_VARIABLE, "").strip()
    return f"{mirror.rstrip('/')}/{file.path}" if mirror else file.url


def local_path(file: RemoteFile) -> Path:
    """Where ``file`` is cached: ``data_dir() / file.path``."""
    return data_dir() / file.path


def fetch_command(dataset: str, force: bool = False) -> str:
    """The shell command that downloads a data set."""
    return f"python -m labs fetch {dataset}" + (" --force" if force else "")


def dataset_of(file: RemoteFile) -> str:
    """The data set a file belongs to (for messages)."""
    return next(name for name, files in DATASETS.items() if file.name in files)
