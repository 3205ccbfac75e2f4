"""Tests of the backward passes (labs.backprop, served by labs.conv): numerical gradients, TensorFlow, errors."""
import numpy as np
import pytest
import tensorflow as tf

from labs import backprop, conv

CASES = [  # (x shape, w shape, stride, pad, dilation)
    ((2, 5, 6, 2), (3, 3, 2, 3), 1, 0, 1),
    ((1, 7, 6, 3), (3, 2, 3, 2), 2, 1, 1),
    ((2, 6, 7, 1), (2, 3, 1, 2), (2, 1), "same", 1),
    ((1, 7, 7, 2), (4, 4, 2, 2), 3, "same", 1),       # even kernel: asymmetric SAME padding
    ((1, 8, 7, 2), (2, 3, 2, 2), 1, (1, 2), 2),
    ((2, 9, 8, 1), (3, 2, 1, 3), 2, "valid", (2, 1)),
]


def tf_gradients(forward, dout, *inputs):
    """∂ Σ forward(*inputs)·dout / ∂ each input, by tf.GradientTape."""
    variables = [tf.Variable(v) for v in inputs]
    with tf.GradientTape() as tape:
        y = forward(*variables)
        loss = tf.reduce_sum(y * dout)
    return [g.numpy() for g in tape.gradient(loss, variables)]


def tf_padding(pad):
    if isinstance(pad, str):
        return pad.upper()
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    return [[0, 0], [ph, ph], [pw, pw], [0, 0]]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_conv2d_backward_matches_numerical_gradient(case):
    x_shape, w_shape, stride, pad, dilation = CASES[case]
    rng = np.random.default_rng(case)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[-1])

    def forward(x=x, w=w, b=b):
        return conv.conv2d(x, w, b, stride=stride, pad=pad, dilation=dilation, method="im2col")

    dout = rng.standard_normal(forward().shape)
    # conv2d is linear in x and in w: a large step has no truncation error and less round-off
    expected = [conv.numerical_gradient(lambda v: forward(x=v), x, dout, h=1e-3),
                conv.numerical_gradient(lambda v: forward(w=v), w, dout, h=1e-3),
                conv.numerical_gradient(lambda v: forward(b=v), b, dout, h=1e-3)]
    for method in ("naive", "im2col"):
        got = conv.conv2d_backward(dout, x, w, stride, pad, method=method, dilation=dilation)
        for name, g, e in zip(("dx", "dw", "db"), got, expected):
            assert g.shape == e.shape and conv.relative_error(g, e) < 1e-8, (method, name)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_conv2d_backward_matches_tensorflow_and_methods_agree(case):
    x_shape, w_shape, stride, pad, dilation = CASES[case]
    rng = np.random.default_rng(10 + case)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y = conv.conv2d(x, w, stride=stride, pad=pad, dilation=dilation)
    dout = rng.standard_normal(y.shape)
    naive = conv.conv2d_backward(dout, x, w, stride, pad, "naive", dilation)
    fast = conv.conv2d_backward(dout, x, w, stride, pad, "im2col", dilation)
    for a, b in zip(naive, fast):
        assert conv.relative_error(a, b) < 1e-10
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    taps = conv.dilate_kernel(w, dilation)  # TensorFlow's CPU kernel takes no stride with dilations:
    padding = tf_padding(pad)               # compare on the kernel dilated by hand, read at the taps

    def forward(a, k):
        return tf.nn.conv2d(a, k, stride, padding)

    y_tf = forward(x, taps).numpy()
    dx_tf, dtaps_tf = tf_gradients(forward, dout, x, taps)
    dw_tf = dtaps_tf[::dh, ::dw]
    assert conv.relative_error(y, y_tf) < 1e-10
    assert conv.relative_error(naive[0], dx_tf) < 1e-9
    assert conv.relative_error(naive[1], dw_tf) < 1e-9
    np.testing.assert_allclose(naive[2], dout.sum(axis=(0, 1, 2)))


def test_conv2d_backward_keeps_float32():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 6, 6, 2), dtype=np.float32), rng.standard_normal((3, 3, 2, 4), dtype=np.float32)
    dout = rng.standard_normal((2, 4, 4, 4), dtype=np.float32)
    for method in ("naive", "im2col"):
        assert all(g.dtype == np.float32 for g in conv.conv2d_backward(dout, x, w, method=method))


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 5, 3))
    for stride, pad in [(1, 0), (2, 1), ((1, 2), "same")]:
        columns = conv.im2col(x, 3, 2, stride, pad)
        c = rng.standard_normal(columns.shape)
        back = conv.col2im(c, x.shape, 3, 2, stride, pad)
        assert back.shape == x.shape
        assert abs(np.sum(columns * c) - np.sum(x * back)) < 1e-10 * np.sum(np.abs(columns * c))
    with pytest.raises(ValueError, match="im2col's shape"):
        conv.col2im(np.zeros((5, 5)), x.shape, 3, 2)


POOLS = [(2, None, "valid"), (3, 2, "valid"), (3, 1, "same"), (2, (1, 2), "same"), ((3, 2), 2, "same")]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", range(len(POOLS)))
def test_pool_backward_matches_numerical_gradient_and_tensorflow(kind, case):
    k, s, pad = POOLS[case]
    forward, backward = {"max": (conv.max_pool2d, conv.max_pool2d_backward),
                         "avg": (conv.avg_pool2d, conv.avg_pool2d_backward)}[kind]
    rng = np.random.default_rng(case)
    x = rng.standard_normal((2, 7, 6, 2))
    dout = rng.standard_normal(forward(x, k, s, pad).shape)
    dx = backward(dout, x, k, s, pad)
    assert conv.relative_error(dx, conv.numerical_gradient(lambda v: forward(v, k, s, pad), x, dout)) < 1e-7
    tf_forward = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind]
    (dx_tf,) = tf_gradients(lambda a: tf_forward(a, k, s if s is not None else k, pad.upper()), dout, x)
    assert conv.relative_error(dx, dx_tf) < 1e-10


def test_max_pool_routes_one_gradient_per_window_first_on_ties_like_tensorflow():
    x = np.array([[1, 3, 3, 0], [2, 3, 1, 1], [5, 5, 2, 2], [5, 5, 2, 2]], dtype=np.float64).reshape(1, 4, 4, 1)
    dx = conv.max_pool2d_backward(np.ones((1, 2, 2, 1)), x, 2)[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    (dx_tf,) = tf_gradients(lambda a: tf.nn.max_pool2d(a, 2, 2, "VALID"), np.ones((1, 2, 2, 1)), x)
    np.testing.assert_array_equal(dx, dx_tf[0, :, :, 0])
    # overlapping windows (k=3, s=1) that share their maximum send it one gradient each
    y = np.zeros((1, 4, 4, 1))
    y[0, 1, 1, 0] = 1.0
    np.testing.assert_array_equal(conv.max_pool2d_backward(np.ones((1, 2, 2, 1)), y, 3, 1)[0, 1, 1, 0], 4)


def test_avg_pool_backward_is_the_slides_kronecker_upsampling():
    delta = np.random.default_rng(2).standard_normal((3, 4))
    x = np.zeros((1, 6, 8, 1))
    up = conv.avg_pool2d_backward(delta.reshape(1, 3, 4, 1), x, 2)[0, :, :, 0]
    np.testing.assert_allclose(up, np.kron(delta, np.ones((2, 2))) / 4)


def test_dilated_conv2d_matches_tensorflow():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 9, 8, 2)), rng.standard_normal((3, 2, 2, 3))
    for pad in ("valid", "same"):
        expected = tf.nn.conv2d(x, w, 1, pad.upper(), dilations=[2, 3]).numpy()
        for method in ("naive", "im2col"):
            assert conv.relative_error(conv.conv2d(x, w, pad=pad, dilation=(2, 3), method=method), expected) < 1e-10
    assert conv.dilate_kernel(w, 2).shape == (5, 3, 2, 3)


def test_dense_relu_sigmoid_and_softmax_cross_entropy_backward():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    dx, dw, db = backprop.dense_backward(dout, x, w)
    assert conv.relative_error(dx, conv.numerical_gradient(lambda v: backprop.dense(v, w, b), x, dout)) < 1e-8
    assert conv.relative_error(dw, conv.numerical_gradient(lambda v: backprop.dense(x, v, b), w, dout)) < 1e-8
    assert conv.relative_error(db, conv.numerical_gradient(lambda v: backprop.dense(x, w, v), b, dout)) < 1e-8
    z = rng.standard_normal((4, 6))
    dz = rng.standard_normal(z.shape)
    assert conv.relative_error(backprop.relu_backward(dz, z), conv.numerical_gradient(backprop.relu, z, dz)) < 1e-8
    s = backprop.sigmoid(z)
    assert conv.relative_error(backprop.sigmoid_backward(dz, s), conv.numerical_gradient(backprop.sigmoid, z, dz)) < 1e-7
    labels = rng.integers(0, 6, 4)
    loss, dlogits = backprop.softmax_cross_entropy(z, labels)
    expected = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, z)).numpy()
    assert abs(loss - expected) < 1e-12
    numerical = conv.numerical_gradient(lambda v: backprop.softmax_cross_entropy(v, labels)[0], z)
    assert conv.relative_error(dlogits, numerical) < 1e-7
    np.testing.assert_allclose(backprop.softmax(z).sum(axis=1), 1)


def test_numerical_gradient_of_a_known_function_leaves_x_alone():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    np.testing.assert_allclose(conv.numerical_gradient(lambda v: np.sum(v ** 3), x), 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(conv.numerical_gradient(lambda v: v ** 2, np.arange(3), np.ones(3)), [0, 2, 4], atol=1e-8)
    with pytest.raises(ValueError, match="h must be"):
        conv.numerical_gradient(np.sum, x, h=0)


@pytest.mark.parametrize("call, match", [
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 2)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 2)), 2), "dout must have"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 2)), np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 1, 2))), "channel mismatch"),
    (lambda: conv.conv2d_backward(np.zeros((1, 1, 1, 1)), np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1))), "larger than the padded"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 0), "stride"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 1, -1), "pad"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), 1, "half"), "pad"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), method="fft"), "method"),
    (lambda: conv.conv2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), dilation=0), "dilation"),
    (lambda: conv.conv2d_backward(np.zeros((1, 1, 1, 1)), np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), dilation=3), "larger than the padded"),
    (lambda: conv.conv2d_backward(np.zeros((3, 3)), np.zeros((5, 5)), np.zeros((3, 3, 1, 1))), "x must have 4 dimensions"),
    (lambda: conv.max_pool2d_backward(np.zeros((1, 3, 3, 1)), np.zeros((1, 4, 4, 1)), 2), "dout must have"),
    (lambda: conv.avg_pool2d_backward(np.zeros((1, 1, 1, 1)), np.zeros((1, 2, 2, 1)), 3), "larger than the padded"),
    (lambda: conv.avg_pool2d_backward(np.zeros((1, 2, 2, 1)), np.zeros((1, 4, 4, 1)), 2, 0), "s must be"),
    (lambda: backprop.dense_backward(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 2))), "dout must have"),
    (lambda: backprop.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), "labels must be"),
])
def test_bad_shapes_and_impossible_stride_or_padding_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()
