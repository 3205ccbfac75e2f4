"""Readers of IDX, mnist.npz and CIFAR python archives, on real MNIST files where available."""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from labs import data
from labs.data.registry import MNIST_IDX


def _real_mnist_folder() -> Path | None:
    """LABS_DATA_DIR when it holds the genuine MNIST test files (CI's second step), else None.

    A fresh clone has no such folder: the README's `pytest` skips the tests that need it, and
    `.ci/run` runs them again with LABS_DATA_DIR=../shared/datasets.
    """
    configured = os.environ.get("LABS_DATA_DIR", "").strip()
    if configured and (Path(configured) / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        return Path(configured).resolve()
    return None


SHARED = _real_mnist_folder()
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # LeCun et al.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
OFFICIAL_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432"}
needs_shared = pytest.mark.skipif(SHARED is None, reason="set LABS_DATA_DIR to a folder with the genuine MNIST "
                                                         "test files (mnist/t10k-*), e.g. ../shared/datasets")


def mnist_folder(root: Path, splits) -> Path:
    """A data directory whose mnist/ holds the genuine IDX files of ``splits`` only, linked from SHARED.

    Simulates the data paths a user can be on: no files, the test split only, all four files.
    """
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for split in splits:
        for name in MNIST_IDX[split]:
            original = None if SHARED is None else SHARED / "mnist" / name
            if original is None or not original.is_file():
                pytest.skip(f"the genuine {name} is not in LABS_DATA_DIR/mnist")
            (folder / name).symlink_to(original)
    return root


@needs_shared
def test_real_mnist_idx_files(monkeypatch):
    monkeypatch.setenv("LABS_DATA_DIR", str(SHARED))
    for name, md5 in OFFICIAL_MD5.items():
        path = SHARED / "mnist" / name
        if not path.is_file() and name.startswith("train"):
            continue
        assert hashlib.md5(path.read_bytes()).hexdigest() == md5
        assert data.verified_path(data.remote(name)) == path  # registry sha256 and size agree
    images = data.read_idx(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = data.read_idx(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8 and images.max() == 255
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == MNIST_TEST_COUNTS
    if (SHARED / "mnist" / "train-labels-idx1-ubyte.gz").is_file():
        train_labels = data.read_idx(SHARED / "mnist" / "train-labels-idx1-ubyte.gz")
        assert np.bincount(train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert data.status()["mnist-idx"].startswith(("test split only, verified", "cached, verified"))


def write_idx(path, magic, shape, payload, compress=True):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)
    raw = header + bytes(payload)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_gzip_and_plain(tmp_path, compress):
    images = write_idx(tmp_path / "i", 2051, (2, 3, 4), range(24), compress)
    labels = write_idx(tmp_path / "l", 2049, (3,), [7, 8, 9], compress)
    np.testing.assert_array_equal(data.read_idx(images), np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    np.testing.assert_array_equal(data.read_idx(labels), [7, 8, 9])


def test_read_idx_rejects_bad_magic(tmp_path):
    path = write_idx(tmp_path / "bad", 2050, (3,), [1, 2, 3])
    with pytest.raises(ValueError, match=r"bad has magic number 2050, expected 2049 .* or 2051"):
        data.read_idx(path)


def test_read_idx_rejects_truncated_files(tmp_path):
    short_payload = write_idx(tmp_path / "short", 2051, (2, 3, 4), range(20))
    with pytest.raises(ValueError, match=r"short has 36 bytes, expected 40 for shape \(2, 3, 4\)"):
        data.read_idx(short_payload)
    short_header = tmp_path / "header"
    short_header.write_bytes(gzip.compress((2051).to_bytes(4, "big") + b"\0\0"))
    with pytest.raises(ValueError, match=r"header is truncated"):
        data.read_idx(short_header)
    cut_gzip = tmp_path / "cut.gz"
    cut_gzip.write_bytes(write_idx(tmp_path / "whole", 2049, (100,), range(100)).read_bytes()[:30])
    with pytest.raises(ValueError, match=r"cut\.gz is not a readable IDX file"):
        data.read_idx(cut_gzip)


def test_read_mnist_npz(tmp_path):
    arrays = {k: np.full((2, 28, 28) if k[0] == "x" else (2,), i, np.uint8)
              for i, k in enumerate(["x_train", "y_train", "x_test", "y_test"])}
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x_train, y_train), (x_test, y_test) = data.read_mnist_npz(tmp_path / "mnist.npz")
    assert x_train.shape == (2, 28, 28) and int(y_train[0]) == 1 and int(x_test[0, 0, 0]) == 2 and int(y_test[0]) == 3


def cifar_archive(path, dataset, per_batch=4):
    """A small .tar.gz in the real CIFAR python layout (pickled dicts of bytes keys)."""
    rng = np.random.default_rng(1)
    if dataset == "cifar10":
        folder, names = "cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    else:
        folder, names = "cifar-100-python", ["train", "test"]
    expected = {}
    with tarfile.open(path, "w:gz") as archive:
        for name in names + ["readme.html"]:
            if name == "readme.html":
                blob = b"<html></html>"
            else:
                images = rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=np.uint8)
                fine = rng.integers(0, 100 if dataset == "cifar100" else 10, per_batch).tolist()
                batch = {b"batch_label": name.encode(), b"data": images.transpose(0, 3, 1, 2).reshape(per_batch, -1)}
                if dataset == "cifar10":
                    batch[b"labels"] = fine
                else:
                    batch[b"fine_labels"], batch[b"coarse_labels"] = fine, [f // 5 for f in fine]
                blob = pickle.dumps(batch, protocol=2)
                expected[name] = (images, fine)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return path, hashlib.sha256(path.read_bytes()).hexdigest(), expected


def test_read_cifar10_archive(tmp_path):
    path, sha256, expected = cifar_archive(tmp_path / "c10.tar.gz", "cifar10")
    splits = data.read_cifar_archive(path, sha256, "cifar10")
    x, y = splits["train"]
    assert x.shape == (20, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (20, 1) and y.dtype == np.uint8
    np.testing.assert_array_equal(x[:4], expected["data_batch_1"][0])  # channels last, as Keras
    np.testing.assert_array_equal(y[16:, 0], expected["data_batch_5"][1])
    np.testing.assert_array_equal(splits["test"][0], expected["test_batch"][0])
    assert not (tmp_path / "cifar-10-batches-py").exists()  # nothing extracted to disk


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_read_cifar100_archive(tmp_path, label_mode):
    path, sha256, expected = cifar_archive(tmp_path / "c100.tar.gz", "cifar100")
    x, y = data.read_cifar_archive(path, sha256, "cifar100", label_mode)["test"]
    fine = np.array(expected["test"][1])
    np.testing.assert_array_equal(y[:, 0], fine if label_mode == "fine" else fine // 5)
    np.testing.assert_array_equal(x, expected["test"][0])


def test_cifar_archive_is_not_unpickled_when_its_hash_differs(tmp_path, monkeypatch):
    path, _, _ = cifar_archive(tmp_path / "c10.tar.gz", "cifar10")
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled an unverified archive"))
    with pytest.raises(data.CorruptFileError, match=r"c10\.tar\.gz: sha256 .* is not the expected 0{64}; not unpickling"):
        data.read_cifar_archive(path, "0" * 64, "cifar10")


def test_cifar_reader_rejects_bad_arguments_and_layouts(tmp_path):
    path, sha256, _ = cifar_archive(tmp_path / "c100.tar.gz", "cifar100")
    with pytest.raises(ValueError, match=r"dataset='cifar1000' is not a CIFAR archive"):
        data.read_cifar_archive(path, sha256, "cifar1000")
    with pytest.raises(ValueError, match=r"label_mode='medium' is not valid"):
        data.read_cifar_archive(path, sha256, "cifar100", "medium")
    with pytest.raises(ValueError, match=r"has no member cifar-10-batches-py/data_batch_1"):
        data.read_cifar_archive(path, sha256, "cifar10")
