"""Stand-ins used in the quick profile when the real data can be neither found nor fetched.

Each is deterministic and announced by the loaders: the MNIST test split carved 8,000/2,000,
scikit-learn's handwritten digits resized to 28×28, and generated CIFAR look-alikes.
"""
from __future__ import annotations

import numpy as np

MNIST_CARVE = (8_000, 2_000)
CIFAR_SIZES = {10: (5_000, 1_000), 100: (10_000, 2_000)}  # classes -> (train, test)
COARSE_PER_FINE = 5  # generated CIFAR-100: coarse label = fine label // 5 (20 coarse classes)
# classes -> (colour jitter σ, pixel noise ±): CIFAR-100's 100 classes share one colour space, so
# its stand-in is less noisy; with CIFAR-10's noise the 1/8-wide nets of lab 06's one-epoch quick
# grid stay within a point or two of chance in the Dropout cells.
CIFAR_NOISE = {10: (45.0, 50), 100: (20.0, 25)}


def carve_mnist_test(x: np.ndarray, y: np.ndarray, seed: int = 0):
    """Split the 10,000 real MNIST test digits into 8,000 train / 2,000 test by a fixed permutation."""
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[: MNIST_CARVE[0]], order[MNIST_CARVE[0]: sum(MNIST_CARVE)]
    return (x[train], y[train]), (x[test], y[test])


def cap_mnist(train, test, seed: int = 0):
    """The quick profile's share of the real MNIST: 8,000 training and 2,000 test images (``MNIST_CARVE``).

    Training: the first 8,000 of a fixed permutation of the 60,000. Test: the same 2,000 test
    digits that ``carve_mnist_test`` holds out, so a quick run is tested on the same images
    whether the training images are present or not.
    """
    (x_train, y_train), (x_test, y_test) = train, test
    if len(x_train) > MNIST_CARVE[0]:
        keep = np.sort(np.random.default_rng(seed).permutation(len(x_train))[: MNIST_CARVE[0]])
        x_train, y_train = x_train[keep], y_train[keep]
    if len(x_test) >= sum(MNIST_CARVE):  # the carve's held-out digits
        held_out = np.random.default_rng(seed).permutation(len(x_test))[MNIST_CARVE[0]: sum(MNIST_CARVE)]
        x_test, y_test = x_test[held_out], y_test[held_out]
    elif len(x_test) > MNIST_CARVE[1]:
        held_out = np.sort(np.random.default_rng(seed).permutation(len(x_test))[: MNIST_CARVE[1]])
        x_test, y_test = x_test[held_out], y_test[held_out]
    return (x_train, y_train), (x_test, y_test)


def digits_as_mnist(test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's 1,797 real 8×8 digits (0..16) resized to 20×20 and centred in 28×28 uint8 (0..255)."""
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float32) / 16.0
    big = resize(small, (len(small), 20, 20), order=1, anti_aliasing=False)
    x = np.zeros((len(small), 28, 28), np.uint8)
    x[:, 4:24, 4:24] = np.clip(np.rint(big * 255), 0, 255).astype(np.uint8)
    y = digits.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(round(len(x) * (1 - test_fraction)))
    return (x[order[:cut]], y[order[:cut]]), (x[order[cut:]], y[order[cut:]])


def generated_cifar(classes: int = 10, seed: int = 0):
    """A learnable CIFAR look-alike: uint8 (N, 32, 32, 3) images, uint8 (N, 1) labels.

    Class c has its own stripe orientation and frequency and two colours; each image draws a
    random phase, jittered colours and uniform pixel noise (``CIFAR_NOISE``), so colour alone gives
    the class only in part.
    """
    if classes not in CIFAR_SIZES:
        raise ValueError(f"classes={classes!r} is not supported; use one of {sorted(CIFAR_SIZES)}")
    n_train, n_test = CIFAR_SIZES[classes]
    n = n_train + n_test
    jitter, pixel_noise = CIFAR_NOISE[classes]
    style = np.random.default_rng(classes)  # the classes' looks, the same for every seed
    colours = style.uniform(0, 255, (2, classes, 3)).astype(np.float32)
    angle = style.uniform(0, np.pi, classes).astype(np.float32)
    frequency = (2 * np.pi / 32 * style.uniform(1.5, 5.0, classes)).astype(np.float32)
    rng = np.random.default_rng(seed)
    labels = np.concatenate([rng.permutation(np.arange(k) % classes) for k in (n_train, n_test)])  # balanced
    rows, columns = np.mgrid[0:32, 0:32].astype(np.float32)
    kx = (frequency * np.cos(angle))[labels, None, None]
    ky = (frequency * np.sin(angle))[labels, None, None]
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    wave = np.sin(kx * columns + ky * rows + phase) * 0.5 + 0.5
    background = colours[0, labels] + rng.normal(0, jitter, (n, 3)).astype(np.float32)
    contrast = colours[1, labels] + rng.normal(0, jitter, (n, 3)).astype(np.float32) - background
    images = np.multiply(wave[..., None], contrast[:, None, None, :])
    images += background[:, None, None, :]
    images += rng.integers(-pixel_noise, pixel_noise + 1, images.shape, dtype=np.int16)
    x = np.clip(images, 0, 255).astype(np.uint8)
    y = labels.astype(np.uint8).reshape(-1, 1)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
