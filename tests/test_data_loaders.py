"""Loaders, stand-ins, ``source`` and sample images, offline (monkeypatched environment)."""
import hashlib
import re

import numpy as np
import pytest

from labs import data
from labs.data import registry, standins
from labs.__main__ import main
from test_data_readers import MNIST_TEST_COUNTS, cifar_archive, mnist_folder, needs_shared


@pytest.fixture
def empty_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.delenv("LABS_DATA_MIRROR", raising=False)
    return tmp_path


@pytest.mark.parametrize("loader, file, command", [
    (data.load_mnist, "mnist.npz", "mnist"),
    (data.load_cifar10, "cifar-10-python.tar.gz", "cifar10"),
    (data.load_cifar100, "cifar-100-python.tar.gz", "cifar100"),
])
def test_full_profile_offline_names_file_url_directory_and_command(empty_dir, monkeypatch, loader, file, command):
    monkeypatch.setenv("LABS_PROFILE", "full")
    remote = data.remote(file)
    with pytest.raises(FileNotFoundError) as caught:
        loader()
    message = str(caught.value)
    for part in (str(empty_dir / remote.path), remote.url, f"data directory {empty_dir}",
                 f"python -m labs fetch {command}`", "LABS_OFFLINE=1"):
        assert part in message
    assert data.source(command) == f"missing: run `python -m labs fetch {command}`"


def test_quick_profile_falls_back_when_the_download_fails(empty_dir, monkeypatch, capsys):
    monkeypatch.setenv("LABS_OFFLINE", "0")
    monkeypatch.setenv("LABS_DATA_MIRROR", (empty_dir / "no-mirror").as_uri())  # every download fails
    (x_train, _), _ = data.load_cifar10()
    assert x_train.shape == (5_000, 32, 32, 3)
    out = capsys.readouterr().out
    assert re.search(r"CIFAR-10: the real data is not available \(download failed: .*cifar-10-python\.tar\.gz", out)
    assert list(empty_dir.rglob("*.part")) == []


def test_quick_profile_uses_digits_without_mnist_files(empty_dir, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (1_438, 28, 28) and x_test.shape == (359, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8 and x_train.max() == 255
    assert np.bincount(y_train, minlength=10).min() > 120
    assert x_train[:, :4].max() == 0  # digits centred in a 20×20 box, like MNIST
    assert "using stand-in: scikit-learn digits" in capsys.readouterr().out
    assert data.source("mnist").startswith("stand-in: scikit-learn digits")
    again, _ = data.load_mnist()
    np.testing.assert_array_equal(again[0], x_train)  # deterministic


@needs_shared
def test_quick_profile_carves_the_real_mnist_test_split(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path, ["test"])))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (8_000, 28, 28) and x_test.shape == (2_000, 28, 28) and y_test.dtype == np.uint8
    assert "using real MNIST test split carved 8,000/2,000" in capsys.readouterr().out
    assert data.source("mnist") == "real MNIST test split carved 8,000/2,000 (stand-in for the training set)"
    together = np.concatenate([y_train, y_test])
    assert np.bincount(together).tolist() == MNIST_TEST_COUNTS
    x_alone, y_alone = data.load_mnist(split="test")  # the same carved test split, never overlapping train
    np.testing.assert_array_equal(x_alone, x_test)


@needs_shared
def test_full_profile_loads_a_split_alone(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path, ["test"])))
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.setenv("LABS_PROFILE", "full")
    x, y = data.load_mnist(split="test")
    assert x.shape == (10_000, 28, 28) and y[:5].tolist() == [7, 2, 1, 0, 4]
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz") as caught:
        data.load_mnist(split="train")
    assert "train-labels-idx1-ubyte.gz" in str(caught.value)
    assert "t10k-images-idx3-ubyte.gz" not in str(caught.value)  # present and verified, so not listed


@needs_shared
def test_quick_profile_caps_the_full_mnist_to_the_carve_sizes(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path / "test_only", ["test"])))
    _, (carved_x, carved_y) = data.load_mnist()
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path / "all", ["train", "test"])))
    capsys.readouterr()
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (8_000, 28, 28) and x_test.shape == (2_000, 28, 28)
    source = data.source("mnist")
    assert source.startswith("real (IDX files), quick-profile subset: 8,000 of the 60,000 training images")
    assert f"MNIST: {source}" in capsys.readouterr().out
    np.testing.assert_array_equal(x_test, carved_x)  # the same 2,000 test digits as on the carved path
    np.testing.assert_array_equal(y_test, carved_y)
    assert np.bincount(y_train, minlength=10).min() > 650  # a random eighth of 60,000: every class present
    np.testing.assert_array_equal(data.load_mnist(split="train")[0], x_train)  # deterministic
    monkeypatch.setenv("LABS_PROFILE", "full")
    (x_train, _), (x_test, _) = data.load_mnist()
    assert (len(x_train), len(x_test)) == (60_000, 10_000) and data.source("mnist") == "real (IDX files)"


@pytest.mark.parametrize("splits, sizes", [([], (1_438, 359)), (["test"], (8_000, 2_000)),
                                           (["train", "test"], (8_000, 2_000))], ids=["none", "test-only", "all"])
def test_quick_profile_sizes_on_every_data_path(monkeypatch, tmp_path, splits, sizes):
    monkeypatch.setenv("LABS_OFFLINE", "1")
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path, splits)))
    (x_train, _), (x_test, _) = data.load_mnist()
    assert (len(x_train), len(x_test)) == sizes


def test_cap_mnist_keeps_small_sets_and_caps_large_ones():
    rng = np.random.default_rng(1)
    small = [(rng.integers(0, 255, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)) for n in (50, 20)]
    train, test = standins.cap_mnist(*small)
    np.testing.assert_array_equal(train[0], small[0][0])
    np.testing.assert_array_equal(test[1], small[1][1])
    x = np.arange(12_000, dtype=np.int32)
    train, test = standins.cap_mnist((x, x), (x[:10_000], x[:10_000]))
    assert len(train[0]) == 8_000 and np.all(np.diff(train[0]) > 0)  # a subset, in the original order
    _, carved_test = standins.carve_mnist_test(x[:10_000], x[:10_000])
    np.testing.assert_array_equal(test[0], carved_test[0])
    _, test = standins.cap_mnist((x, x), (x[:5_000], x[:5_000]))
    assert len(test[0]) == 2_000 and len(set(test[0])) == 2_000


@pytest.mark.parametrize("splits, lines", [
    ([], ["mnist        missing - run `python -m labs fetch mnist`",
          "mnist-idx    missing - run `python -m labs fetch mnist-idx`",
          "cifar10      missing - run `python -m labs fetch cifar10`",
          "cifar100     missing - run `python -m labs fetch cifar100`"]),
    (["test"], ["test split only, verified (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz missing) - "
                "run `python -m labs fetch mnist-idx`"]),
    (["train", "test"], ["mnist        missing (not needed: mnist-idx is cached)", "mnist-idx    cached, verified\n"]),
], ids=["none", "test-only", "all"])
def test_doctor_names_the_command_that_fetches_each_missing_data_set(monkeypatch, tmp_path, capsys, splits, lines):
    monkeypatch.setenv("LABS_DATA_DIR", str(mnist_folder(tmp_path, splits)))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for line in lines:
        assert line in out


@pytest.mark.parametrize("classes, sizes", [(10, (5_000, 1_000)), (100, (10_000, 2_000))])
def test_generated_cifar_stand_in(classes, sizes):
    (x_train, y_train), (x_test, y_test) = standins.generated_cifar(classes)
    assert (len(x_train), len(x_test)) == sizes
    assert x_train.shape[1:] == (32, 32, 3) and x_train.dtype == np.uint8 and y_train.shape == (sizes[0], 1)
    assert np.bincount(y_train[:, 0]).tolist() == [sizes[0] // classes] * classes
    again = standins.generated_cifar(classes)
    np.testing.assert_array_equal(again[1][0], x_test)
    # Learnable: even the mean colour per image gives the class far above chance.
    features = [x.reshape(len(x), -1, 3).mean(axis=1) for x in (x_train, x_test)]
    centroids = np.stack([features[0][y_train[:, 0] == c].mean(axis=0) for c in range(classes)])
    guesses = np.argmin(((features[1][:, None] - centroids) ** 2).sum(-1), axis=1)
    assert np.mean(guesses == y_test[:, 0]) > 5 / classes


def test_cifar_loaders_announce_stand_ins(empty_dir, capsys):
    (x, y), _ = data.load_cifar100(label_mode="coarse")
    assert x.shape == (10_000, 32, 32, 3) and sorted(set(y[:, 0])) == list(range(20))
    x, y = data.load_cifar100(split="test")
    assert x.shape == (2_000, 32, 32, 3) and len(set(y[:, 0])) == 100
    out = capsys.readouterr().out
    assert out.count("CIFAR-100: the real data is not available (LABS_OFFLINE=1 is set); using stand-in: generated") == 2
    assert data.source("cifar10").startswith("stand-in: generated CIFAR-10")


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_real_cifar_archive_is_used_when_cached(empty_dir, monkeypatch, profile):
    monkeypatch.setenv("LABS_PROFILE", profile)
    real = data.remote("cifar-10-python.tar.gz")
    path = empty_dir / real.path
    path.parent.mkdir(parents=True)
    _, sha256, expected = cifar_archive(path, "cifar10")
    monkeypatch.setitem(registry.FILES, real.name, data.RemoteFile(real.name, real.url, sha256, path.stat().st_size, real.path))
    x, y = data.load_cifar10(split="test")
    np.testing.assert_array_equal(x, expected["test_batch"][0])
    assert y.shape == (4, 1) and data.source("cifar10") == "real (cifar-10-python.tar.gz)"
    assert data.status()["cifar10"] == "cached, verified"


def test_source_when_online_and_missing(empty_dir, monkeypatch):
    monkeypatch.setenv("LABS_OFFLINE", "0")
    assert data.source("cifar100") == "real, downloaded on first use (cifar-100-python.tar.gz)"


def test_loaders_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"split='validation' is not valid; use None \(both\), 'train' or 'test'"):
        data.load_mnist(split="validation")
    with pytest.raises(ValueError, match=r"split='val'"):
        data.load_cifar10(split="val")
    with pytest.raises(ValueError, match=r"label_mode='medium' is not valid; use 'fine' or 'coarse'"):
        data.load_cifar100(label_mode="medium")
    with pytest.raises(ValueError, match=r"name='imagenet' has no loader"):
        data.source("imagenet")
    with pytest.raises(ValueError, match=r"classes=7 is not supported"):
        standins.generated_cifar(7)


@pytest.mark.parametrize("name", data.sample_image_names())
def test_sample_images_are_uint8_rgb(name):
    image = data.sample_image(name)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8 and min(image.shape[:2]) >= 128
    assert image.std() > 10  # a photo, not a blank


def test_sample_image_names_and_errors():
    assert {"cat", "coffee", "camera", "astronaut", "rocket"} <= set(data.sample_image_names())
    camera = data.sample_image("camera")
    np.testing.assert_array_equal(camera[..., 0], camera[..., 2])  # grey repeated to RGB
    assert hashlib.sha256(data.sample_image("cat").tobytes()).hexdigest() != hashlib.sha256(camera.tobytes()).hexdigest()
    with pytest.raises(ValueError, match=r"name='dog' is not a sample image; use one of cat, coffee, camera"):
        data.sample_image("dog")
