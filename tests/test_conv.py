"""Tests of labs.conv against TensorFlow (tf.nn.conv2d, tf.nn.max_pool2d) and SciPy."""
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from labs import conv

MAGIC5 = np.array([[17, 24, 1, 8, 15], [23, 5, 7, 14, 16], [4, 6, 13, 20, 22],
                   [10, 12, 19, 21, 3], [11, 18, 25, 2, 9]])
MAGIC3 = np.array([[8, 1, 6], [3, 5, 7], [4, 9, 2]])


def random_case(rng):
    """A random conv problem: shapes, stride (int or pair) and padding (incl. even kernels with SAME)."""
    n, c_in, c_out = rng.integers(1, 3), rng.integers(1, 4), rng.integers(1, 5)
    kh, kw = rng.integers(1, 5, size=2)
    height, width = rng.integers(max(kh, kw) + 1, 11, size=2)
    stride = int(rng.integers(1, 4)) if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(1, 4, size=2))
    pad = str(rng.choice(["valid", "same"]))
    return (n, height, width, c_in), (kh, kw, c_in, c_out), stride, pad


def tf_strides(stride):
    return [1, stride, stride, 1] if isinstance(stride, int) else [1, *stride, 1]


@pytest.mark.parametrize("method", ["naive", "im2col"])
@pytest.mark.parametrize("seed", range(8))
def test_conv2d_matches_tensorflow(method, seed):
    rng = np.random.default_rng(seed)
    x_shape, w_shape, stride, pad = random_case(rng)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[-1])
    expected = tf.nn.conv2d(x, w, tf_strides(stride), pad.upper()).numpy() + b
    got = conv.conv2d(x, w, b, stride=stride, pad=pad, method=method)
    assert got.shape == expected.shape and got.dtype == np.float64
    assert conv.relative_error(got, expected) < 1e-10
    x32, w32, b32 = x.astype(np.float32), w.astype(np.float32), b.astype(np.float32)
    expected32 = tf.nn.conv2d(x32, w32, tf_strides(stride), pad.upper()).numpy() + b32
    got32 = conv.conv2d(x32, w32, b32, stride=stride, pad=pad, method=method)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected32, rtol=1e-5, atol=1e-5)


def test_even_kernel_same_padding_is_asymmetric_like_tensorflow():
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    w = np.ones((2, 2, 1, 1))
    got = conv.conv2d(x, w, pad="same")
    assert got.shape == (1, 4, 4, 1)
    assert got[0, 0, 0, 0] == 0 + 1 + 4 + 5          # no zeros before: the extra zero row/column goes after
    assert got[0, 3, 3, 0] == 15
    np.testing.assert_array_equal(got, tf.nn.conv2d(x, w, 1, "SAME").numpy())


def test_explicit_integer_padding_matches_tensorflow():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 6, 7, 3)), rng.standard_normal((3, 3, 3, 2))
    expected = tf.nn.conv2d(x, w, 2, [[0, 0], [1, 1], [2, 2], [0, 0]]).numpy()
    for method in ("naive", "im2col"):
        assert conv.relative_error(conv.conv2d(x, w, stride=2, pad=(1, 2), method=method), expected) < 1e-10


def test_im2col_layout_and_cs231n_shape():
    x = np.random.default_rng(0).standard_normal((227, 227, 3))
    columns = conv.im2col(x, 11, 11, 4)
    assert columns.shape == (363, 3025)
    np.testing.assert_array_equal(columns[:, 0], x[:11, :11, :].reshape(-1))           # rows: (u, v, c)
    np.testing.assert_array_equal(columns[:, 56], x[4:15, 4:15, :].reshape(-1))       # column 56 = (i=1, j=1)
    batch = np.stack([x[:20, :20], x[5:25, 5:25]])
    columns = conv.im2col(batch, 3, 3, 1, 1)
    assert columns.shape == (27, 2 * 20 * 20)
    np.testing.assert_array_equal(columns[:, 400:], conv.im2col(batch[1], 3, 3, 1, 1))  # image by image


def test_correlate_and_convolve_match_scipy():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 10, (6, 7))
    for kernel in (rng.integers(-3, 4, (3, 3)), rng.integers(-3, 4, (1, 5)), MAGIC3):
        for mode in ("valid", "same", "full"):
            np.testing.assert_array_equal(conv.correlate2d(image, kernel, mode), scipy.signal.correlate2d(image, kernel, mode))
            np.testing.assert_array_equal(conv.convolve2d(image, kernel, mode), scipy.signal.convolve2d(image, kernel, mode))


def test_magic_squares_correlation_differs_from_convolution():
    corr = conv.correlate2d(MAGIC5, MAGIC3, "valid")
    convolution = conv.convolve2d(MAGIC5, MAGIC3, "valid")
    assert corr.shape == convolution.shape == (3, 3)
    assert corr[0, 0] == np.sum(MAGIC5[:3, :3] * MAGIC3)
    assert convolution[0, 0] == np.sum(MAGIC5[:3, :3] * MAGIC3[::-1, ::-1])
    assert not np.array_equal(corr, convolution)
    assert corr.dtype == np.int64


def test_uint8_images_do_not_wrap_around():
    image = np.full((3, 3), 200, dtype=np.uint8)
    assert conv.correlate2d(image, np.full((3, 3), 2, dtype=np.uint8))[0, 0] == 3600


def test_slides_sharpen_example_is_320():
    corner = np.array([[105, 102], [103, 99]])
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    assert conv.correlate2d(corner, sharpen, "same")[0, 0] == 320


@pytest.mark.parametrize("seed", range(6))
def test_pooling_matches_tensorflow(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4)) if seed % 2 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    s = None if seed < 2 else int(rng.integers(1, 4))
    pad = ["valid", "same"][seed % 3 == 0]
    x = rng.standard_normal((2, 7, 8, 3)).astype(np.float32)
    tf_s = k if s is None else s
    np.testing.assert_array_equal(conv.max_pool2d(x, k, s, pad), tf.nn.max_pool2d(x, k, tf_s, pad.upper()).numpy())
    np.testing.assert_allclose(conv.avg_pool2d(x, k, s, pad), tf.nn.avg_pool2d(x, k, tf_s, pad.upper()).numpy(), rtol=1e-6)
    x64 = x.astype(np.float64)
    # TensorFlow's float64 max pooling on CPU can round through float32, so compare to float32 accuracy.
    assert conv.relative_error(conv.max_pool2d(x64, k, s, pad), tf.nn.max_pool2d(x64, k, tf_s, pad.upper()).numpy()) < 1e-7
    assert conv.relative_error(conv.avg_pool2d(x64, k, s, pad), tf.nn.avg_pool2d(x64, k, tf_s, pad.upper()).numpy()) < 1e-12


def test_max_pool_of_integers_and_default_stride():
    x = np.arange(16).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(conv.max_pool2d(x, 2)[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(conv.avg_pool2d(x, 2)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    assert conv.max_pool2d(x, 3).shape == (1, 1, 1, 1)


def test_relative_error():
    assert conv.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert conv.relative_error([1.0], [3.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"same shape"):
        conv.relative_error([1.0], [1.0, 2.0])


@pytest.mark.parametrize("call,pattern", [
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4))), r"channel mismatch: x has 3 channels .* w expects 2"),
    (lambda: conv.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 4))), r"x must have 4 dimensions, got shape \(5, 5, 3\)"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3))), r"w must have 4 dimensions"),
    (lambda: conv.conv2d(np.zeros((1, 2, 5, 1)), np.zeros((3, 3, 1, 1))), r"kernel 3×3 is larger than the padded input 2×5"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)), b=np.zeros(3)), r"b must have shape \(2,\)"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), method="fft"), r"method must be one of"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), pad="half"), r"pad must be an int, a \(ph, pw\) pair"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), pad=-1), r"pad must be at least 0, got -1"),
    (lambda: conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), stride=0), r"stride must be at least 1, got 0"),
    (lambda: conv.correlate2d(np.zeros((2, 2)), np.zeros((3, 3))), r"kernel 3×3 is larger than the padded input 2×2"),
    (lambda: conv.correlate2d(np.zeros((4, 4)), np.zeros((3, 3)), mode="circular"), r"mode must be one of"),
    (lambda: conv.convolve2d(np.zeros((4, 4, 1)), np.zeros((3, 3))), r"x must have 2 dimensions"),
    (lambda: conv.im2col(np.zeros((4, 4)), 3, 3), r"x must have 4 dimensions"),
    (lambda: conv.max_pool2d(np.zeros((1, 3, 3, 1)), 4), r"kernel 4×4 is larger than the padded input 3×3"),
    (lambda: conv.avg_pool2d(np.zeros((1, 4, 4, 1)), 2, 0), r"s must be at least 1, got 0"),
    (lambda: conv.correlate2d(np.array([["a"]]), np.ones((1, 1))), r"x must hold real numbers"),
])
def test_bad_inputs_raise_value_errors(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
