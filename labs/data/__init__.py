"""Verified data: a registry of remote files, downloads checked by size and sha256, readers of
the original formats, Keras-style loaders, announced stand-ins, and sample photos.

``fetch("mnist")`` downloads; ``status()`` says what is cached; ``load_mnist()``,
``load_cifar10()`` and ``load_cifar100()`` load; ``source(name)`` says what they use.
"""
from .cache import fetch, status, verified_path
from .download import download, offline
from .errors import CorruptFileError, DownloadError
from .images import sample_image, sample_image_names
from .loaders import load_cifar10, load_cifar100, load_mnist, source
from .readers import read_cifar_archive, read_idx, read_mnist_npz
from .registry import DATASETS, FILES, RemoteFile, remote

__all__ = [
    "DATASETS", "FILES", "CorruptFileError", "DownloadError", "RemoteFile", "download", "fetch",
    "load_cifar10", "load_cifar100", "load_mnist", "offline", "read_cifar_archive", "read_idx",
    "read_mnist_npz", "remote", "sample_image", "sample_image_names", "source", "status", "verified_path",
]
