"""Keras-style loaders: real, verified data when it is cached or can be fetched; else a stand-in.

Full profile: missing data that cannot be downloaded raises ``FileNotFoundError`` with the
command that fetches it. Quick profile: an announced stand-in (see ``standins``) is used
instead, for both splits, so a quick run never mixes real and stand-in data; and real MNIST is
capped to the carve's sizes (``QUICK_MNIST``), so a quick run costs the same whatever data is there.
"""
from __future__ import annotations

from ..config import notice, profile
from . import standins
from .cache import describe_missing, verified_path
from .download import OFFLINE_VARIABLE, download, offline
from .errors import CorruptFileError, DownloadError
from .readers import read_cifar_archive, read_idx, read_mnist_npz
from .registry import MNIST_IDX, remote

SPLITS = (None, "train", "test")
OFFLINE_REASON = f"{OFFLINE_VARIABLE}=1 is set"
CIFAR_FILES = {"cifar10": "cifar-10-python.tar.gz", "cifar100": "cifar-100-python.tar.gz"}
CARVED = "real MNIST test split carved 8,000/2,000 (stand-in for the training set)"
QUICK_MNIST = standins.MNIST_CARVE  # quick profile, real MNIST: (training, test) images kept
CAPPED = ("real ({file}), quick-profile subset: 8,000 of the 60,000 training images, "
          "2,000 of the 10,000 test images (the carve's)")
DIGITS = "stand-in: scikit-learn digits (real handwriting, 8×8 resized to 28×28), 1,438/359"
GENERATED = {
    "cifar10": "stand-in: generated CIFAR-10 look-alike (stripes + noise, not photos), 5,000/1,000, 10 classes",
    "cifar100": "stand-in: generated CIFAR-100 look-alike (stripes + noise, not photos), 10,000/2,000, "
                "100 fine / 20 coarse classes",
}


def load_mnist(split=None):
    """MNIST like ``keras.datasets.mnist.load_data()``: uint8 x (N, 28, 28), uint8 y (N,).

    Returns ((x_train, y_train), (x_test, y_test)), or (x, y) for ``split="train"``/``"test"``.
    Sources in order: ``mnist.npz``, then the IDX files (a split whose two files are present
    loads alone in the full profile), then a download, then (quick profile) a stand-in.
    The quick profile caps real MNIST to ``QUICK_MNIST`` (see ``standins.cap_mnist``).
    """
    _check_split(split)
    wanted = ("train", "test") if split is None or profile() == "quick" else (split,)
    kind, found = _mnist_local()
    reason = OFFLINE_REASON
    if kind == "idx" and not set(wanted) <= set(found) and not offline():
        reason = _fetch_mnist(wanted)
        kind, found = _mnist_local()
    if kind == "npz":
        data = dict(zip(("train", "test"), read_mnist_npz(found)))
    elif set(wanted) <= set(found):
        data = {s: (read_idx(found[s][0]), read_idx(found[s][1])) for s in wanted}
    elif profile() == "full":
        idx = [remote(n) for s in wanted for n in MNIST_IDX[s]]
        missing = [remote("mnist.npz")] + [file for file in idx if verified_path(file) is None]
        raise FileNotFoundError(describe_missing("MNIST", missing, reason))
    else:
        return _select(_mnist_standin(found, reason), split)
    if profile() == "quick":  # real data, capped: a quick run costs the same whatever is cached
        data["train"], data["test"] = standins.cap_mnist(data["train"], data["test"])
        notice(f"MNIST: {_capped_source(kind)}")
    return _select(data, split)


def load_cifar10(split=None):
    """CIFAR-10 like Keras: uint8 x (N, 32, 32, 3), uint8 y (N, 1); 50,000/10,000 when real."""
    _check_split(split)
    return _select(_cifar("cifar10", "fine"), split)


def load_cifar100(label_mode="fine", split=None):
    """CIFAR-100 like Keras: uint8 x (N, 32, 32, 3), uint8 y (N, 1), 100 fine or 20 coarse labels."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode={label_mode!r} is not valid; use 'fine' or 'coarse'")
    _check_split(split)
    return _select(_cifar("cifar100", label_mode), split)


def source(name: str) -> str:
    """What the loader of ``name`` ("mnist", "cifar10", "cifar100") uses now; never downloads."""
    if name not in ("mnist", *CIFAR_FILES):
        raise ValueError(f"name={name!r} has no loader; use 'mnist', 'cifar10' or 'cifar100'")
    try:
        if name == "mnist":
            kind, found = _mnist_local()
            if kind == "npz":
                return _capped_source(kind) if profile() == "quick" else "real (mnist.npz)"
            if len(found) == 2:
                return _capped_source(kind) if profile() == "quick" else "real (IDX files)"
        elif verified_path(remote(CIFAR_FILES[name])) is not None:
            return f"real ({CIFAR_FILES[name]})"
    except CorruptFileError:
        return f"corrupt cached file: run `python -m labs fetch {name} --force`"
    if not offline():
        return f"real, downloaded on first use ({'mnist.npz' if name == 'mnist' else CIFAR_FILES[name]})"
    if profile() == "full":
        if name == "mnist" and found:
            return f"real {next(iter(found))} split only (IDX files); the other split is missing"
        return f"missing: run `python -m labs fetch {name}`"
    if name == "mnist":
        return CARVED if "test" in found else DIGITS
    return GENERATED[name]


def _check_split(split) -> None:
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not valid; use None (both), 'train' or 'test'")


def _select(data: dict, split):
    return (data["train"], data["test"]) if split is None else data[split]


def _capped_source(kind: str) -> str:
    return CAPPED.format(file="mnist.npz" if kind == "npz" else "IDX files")


def _mnist_local():
    """("npz", path) when mnist.npz is cached and verified, else ("idx", {split: (images, labels)})."""
    npz = verified_path(remote("mnist.npz"))
    if npz is not None:
        return "npz", npz
    found = {}
    for split, pair in MNIST_IDX.items():
        paths = [verified_path(remote(name)) for name in pair]
        if all(paths):
            found[split] = tuple(paths)
    return "idx", found


def _fetch_mnist(wanted) -> str:
    """Download mnist.npz, or failing that the IDX files of ``wanted``; return why it failed."""
    try:
        download(remote("mnist.npz"))
        return ""
    except DownloadError as error:
        errors = [str(error)]
    for split in wanted:
        for name in MNIST_IDX[split]:
            try:
                if verified_path(remote(name)) is None:
                    download(remote(name))
            except DownloadError as error:
                errors.append(str(error))
    return "download failed: " + "; ".join(errors)


def _mnist_standin(found: dict, reason: str) -> dict:
    if "test" in found:
        x, y = read_idx(found["test"][0]), read_idx(found["test"][1])
        train, test = standins.carve_mnist_test(x, y)
        what = CARVED
    else:
        train, test = standins.digits_as_mnist()
        what = DIGITS
    notice(f"MNIST: the real training data is not available ({reason}); using {what}")
    return {"train": train, "test": test}


def _cifar(name: str, label_mode: str) -> dict:
    file = remote(CIFAR_FILES[name])
    path = verified_path(file)
    reason = OFFLINE_REASON
    if path is None and not offline():
        try:
            path = download(file)
        except DownloadError as error:
            reason = f"download failed: {error}"
    if path is not None:
        return read_cifar_archive(path, file.sha256, name, label_mode)
    if profile() == "full":
        raise FileNotFoundError(describe_missing(name.upper().replace("CIFAR", "CIFAR-"), [file], reason))
    notice(f"{name.upper().replace('CIFAR', 'CIFAR-')}: the real data is not available ({reason}); using {GENERATED[name]}")
    train, test = standins.generated_cifar(10 if name == "cifar10" else 100)
    if label_mode == "coarse":
        train, test = [(x, y // standins.COARSE_PER_FINE) for x, y in (train, test)]
    return {"train": train, "test": test}
