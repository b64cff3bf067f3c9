"""course_utils.layers against torch.nn.functional (forward and autograd gradients), with hypothesis.

Tolerances: float64 agrees to 1e-10 (relative to the largest value), float32 to 1e-4.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.gradcheck import check_gradients
from course_utils.layers import (
    avgpool2d_backward,
    avgpool2d_forward,
    conv2d_backward,
    conv2d_forward,
    conv2d_forward_naive,
    conv_output_size,
    maxpool2d_backward,
    maxpool2d_forward,
    maxpool2x2_forward,
    pool_output_size,
)

TOL = {np.float64: 1e-10, np.float32: 1e-4}


def assert_close(ours, theirs, dtype):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert ours.shape == theirs.shape
    assert ours.dtype == dtype
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    assert np.abs(ours - theirs).max(initial=0.0) <= TOL[dtype] * scale


@st.composite
def conv_cases(draw):
    """Shapes that fit exactly: H = (H_out - 1)·S + F - 2P ≥ 1, odd and non-square sizes included."""
    n, c, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    fh, fw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 3))
    out_h, out_w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    h, w = (out_h - 1) * stride + fh - 2 * pad, (out_w - 1) * stride + fw - 2 * pad
    if h < 1 or w < 1:
        h, w, pad = (out_h - 1) * stride + fh, (out_w - 1) * stride + fw, 0
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return (n, c, h, w), (k, c, fh, fw), stride, pad, dtype, draw(st.integers(0, 10**6))


def _conv_arrays(case):
    """Random x, w, b for a drawn case, and the generator for dout."""
    x_shape, w_shape, stride, pad, dtype, seed = case
    rng = np.random.default_rng(seed)
    x, w, b = (rng.normal(size=shape).astype(dtype) for shape in (x_shape, w_shape, w_shape[:1]))
    return rng, x, w, b, stride, pad, dtype


@settings(max_examples=60, deadline=None)
@given(case=conv_cases())
def test_conv2d_matches_torch_forward_and_gradients(case):
    rng, x, w, b, stride, pad, dtype = _conv_arrays(case)
    out, cache = conv2d_forward(x, w, b, stride=stride, pad=pad)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    assert_close(out, ref, dtype)
    dout = rng.normal(size=out.shape).astype(dtype)
    ref.backward(torch.tensor(dout))
    dx, dw, db = conv2d_backward(dout, cache)
    assert_close(dx, xt.grad, dtype)
    assert_close(dw, wt.grad, dtype)
    assert_close(db, bt.grad, dtype)


@settings(max_examples=25, deadline=None)
@given(case=conv_cases())
def test_naive_conv_equals_im2col_and_shares_the_backward(case):
    rng, x, w, b, stride, pad, dtype = _conv_arrays(case)
    fast, fast_cache = conv2d_forward(x, w, b, stride, pad)
    slow, slow_cache = conv2d_forward_naive(x, w, b, stride, pad)
    assert_close(slow, fast, dtype)
    dout = rng.normal(size=fast.shape).astype(dtype)
    for ours, theirs in zip(conv2d_backward(dout, slow_cache), conv2d_backward(dout, fast_cache), strict=True):
        assert_close(ours, theirs, dtype)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (1, 1), (1, 2), (3, 0)])
def test_conv2d_gradient_check(stride, pad):
    rng = np.random.default_rng(stride * 10 + pad)
    inputs = {"x": rng.normal(size=(2, 3, 9, 9)), "w": rng.normal(size=(4, 3, 3, 3)), "b": rng.normal(size=4)}
    errors = check_gradients(
        lambda x, w, b: conv2d_forward(x, w, b, stride, pad), conv2d_backward, inputs, rng, tol=1e-8
    )
    assert set(errors) == {"x", "w", "b"}


@st.composite
def pool_cases(draw):
    """Window sizes 1-3 and strides 1-3 (overlapping when stride < size), inputs that fit exactly."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    size, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    out_h, out_w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    h, w = (out_h - 1) * stride + size, (out_w - 1) * stride + size
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    ties = draw(st.booleans())  # small integers: many windows hold their maximum twice
    return (n, c, h, w), size, stride, dtype, ties, draw(st.integers(0, 10**6))


def _pool_input(shape, dtype, ties, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=shape) if ties else rng.normal(size=shape)
    return rng, x.astype(dtype)


POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, F.max_pool2d),
    "mean": (avgpool2d_forward, avgpool2d_backward, F.avg_pool2d),
}


@pytest.mark.parametrize("kind", sorted(POOLS))
@settings(max_examples=60, deadline=None)
@given(case=pool_cases())
def test_pooling_matches_torch_including_overlaps_and_ties(kind, case):
    forward, backward, torch_pool = POOLS[kind]
    shape, size, stride, dtype, ties, seed = case
    rng, x = _pool_input(shape, dtype, ties, seed)
    out, cache = forward(x, size, stride)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch_pool(xt, size, stride)
    assert_close(out, ref, dtype)
    dout = rng.normal(size=out.shape).astype(dtype)
    ref.backward(torch.tensor(dout))
    assert_close(backward(dout, cache), xt.grad, dtype)


def test_max_pool_tie_goes_to_the_first_in_row_major_order():
    x = np.array([[[[1.0, 5.0], [5.0, 5.0]]]])
    out, cache = maxpool2d_forward(x)
    assert out[0, 0, 0, 0] == 5.0
    assert maxpool2d_backward(np.ones((1, 1, 1, 1)), cache)[0, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_overlapping_max_pool_adds_gradients_of_shared_maxima():
    x = np.zeros((1, 1, 3, 5))
    x[0, 0, 1, 2] = 9.0  # the maximum of both 3×3 windows (stride 2 overlap in column 2)
    out, cache = maxpool2d_forward(x, size=3, stride=2)
    assert out.shape == (1, 1, 1, 2)
    dx = maxpool2d_backward(np.array([[[[1.0, 2.0]]]]), cache)
    assert dx[0, 0, 1, 2] == 3.0 and dx.sum() == 3.0


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    half_h=st.integers(1, 6),
    half_w=st.integers(1, 6),
    dtype=st.sampled_from([np.float64, np.float32]),
    ties=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_maxpool2x2_shortcut_equals_the_general_loop_and_torch(n, c, half_h, half_w, dtype, ties, seed):
    """NumpyLeNet's 2×2 pooling: the same out and cache (so the same backward) as maxpool2d_forward(x, 2, 2)."""
    rng, x = _pool_input((n, c, 2 * half_h, 2 * half_w), dtype, ties, seed)
    out, cache = maxpool2x2_forward(x)
    general_out, general_cache = maxpool2d_forward(x, 2, 2)
    assert out.dtype == dtype and np.array_equal(out, general_out)  # a maximum is exact: no tolerance
    assert cache.keys() == general_cache.keys()
    assert np.array_equal(cache["arg"], general_cache["arg"])  # ties go to the same pixel
    dout = rng.normal(size=out.shape).astype(dtype)
    assert np.array_equal(maxpool2d_backward(dout, cache), maxpool2d_backward(dout, general_cache))
    xt = torch.tensor(x, requires_grad=True)
    ref = F.max_pool2d(xt, 2, 2)
    ref.backward(torch.tensor(dout))
    assert_close(out, ref, dtype)
    assert_close(maxpool2d_backward(dout, cache), xt.grad, dtype)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((1, 1, 5, 4), r"along the height, \(H - size\) = \(5 - 2\) = 3 is not divisible by stride = 2"),
        ((2, 3, 4, 7), r"along the width, \(W - size\) = \(7 - 2\) = 5 is not divisible by stride = 2"),
        ((1, 1, 1, 4), r"along the height, the pooling window \(size = 2\) is larger than the input \(H = 1\)"),
        ((4, 4), r"x must be \(N, C, H, W\), got shape \(4, 4\)"),
    ],
)
def test_maxpool2x2_shortcut_refuses_what_it_cannot_pool(shape, message):
    with pytest.raises(ValueError, match=message):
        maxpool2x2_forward(np.zeros(shape))


def test_conv_without_input_grad_skips_dx_only():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 1, 8, 8)), rng.normal(size=(4, 1, 5, 5)), rng.normal(size=4)
    out, cache = conv2d_forward(x, w, b, pad=2)
    out_no_dx, cache_no_dx = conv2d_forward(x, w, b, pad=2, input_grad=False)
    assert np.array_equal(out, out_no_dx)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    none, dw_no_dx, db_no_dx = conv2d_backward(dout, cache_no_dx)
    assert none is None and dx.shape == x.shape
    assert np.array_equal(dw, dw_no_dx) and np.array_equal(db, db_no_dx)
    with pytest.raises(ValueError, match="input_grad must be True or False, got 0"):
        conv2d_forward(x, w, b, input_grad=0)


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 2), (2, 1)])
def test_pool_gradient_check(kind, size, stride):
    forward, backward, _ = POOLS[kind]
    rng = np.random.default_rng(size * 10 + stride)
    side = 8 if (size, stride) == (2, 2) else 7  # (side - size) divisible by stride
    check_gradients(
        lambda x: forward(x, size, stride), backward, {"x": rng.normal(size=(2, 2, side, side))}, rng, tol=1e-8
    )


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ((32, 5, 0, 1), 28),
        ((7, 3, 0, 1), 5),
        ((7, 3, 1, 2), 4),
        ((7, 3, 1, 1), 7),
        ((7, 5, 2, 1), 7),
        ((28, 5, 2, 1), 28),
    ],
)
def test_conv_output_size_lecture_cases(args, answer):
    assert conv_output_size(*args) == answer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((32, 5, 0, 2), r"\(W - F \+ 2P\) = \(32 - 5 \+ 2·0\) = 27 is not divisible by S = 2"),
        ((3, 5, 0, 1), "larger than the padded input"),
        ((0, 3, 0, 1), "W must be a positive integer, got 0"),
        ((7, 3, -1, 1), "P must be an integer ≥ 0, got -1"),
        ((7, 3, 0, 0), "S must be a positive integer, got 0"),
        ((7.0, 3, 0, 1), "W must be a positive integer, got 7.0"),
        ((7, True, 0, 1), "F must be a positive integer, got True"),
    ],
)
def test_conv_output_size_errors_name_values_and_rule(args, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(*args)


def test_pool_output_size():
    assert pool_output_size(28, 2, 2) == 14 and pool_output_size(7, 3, 2) == 3
    with pytest.raises(ValueError, match=r"\(W - F\) = \(7 - 2\) = 5 is not divisible by S = 2"):
        pool_output_size(7, 2, 2)
    with pytest.raises(ValueError, match="larger than the input"):
        pool_output_size(2, 3, 1)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "b_shape", "message"),
    [
        ((1, 3, 8, 8), (4, 2, 3, 3), (4,), r"x has 3 channels \(shape \(1, 3, 8, 8\)\) but w expects 2"),
        ((3, 8, 8), (4, 3, 3, 3), (4,), r"x must be \(N, C, H, W\), got shape \(3, 8, 8\)"),
        ((1, 3, 8, 8), (3, 3, 3), (4,), r"w must be \(K, C, FH, FW\), got shape \(3, 3, 3\)"),
        ((1, 3, 8, 8), (4, 3, 3, 3), (3,), r"b must be \(K,\) = \(4,\)"),
        ((1, 3, 8, 8), (4, 3, 3, 3), (4,), r"27|divisible"),
    ],
)
def test_conv_shape_errors(x_shape, w_shape, b_shape, message):
    stride = 2 if message.startswith("27") else 1
    with pytest.raises(ValueError, match=message):
        conv2d_forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape), stride=stride, pad=0)


def test_backward_rejects_a_dout_of_the_wrong_shape():
    _, cache = conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"\(1, 2, 3, 3\), got \(1, 2, 2, 2\)"):
        conv2d_backward(np.zeros((1, 2, 2, 2)), cache)
    _, cache = maxpool2d_forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"\(1, 1, 2, 2\), got \(1, 1, 4, 4\)"):
        maxpool2d_backward(np.zeros((1, 1, 4, 4)), cache)


def test_dtypes_are_kept_and_integers_promoted():
    x32 = np.ones((1, 1, 4, 4), dtype=np.float32)
    assert conv2d_forward(x32, np.ones((1, 1, 3, 3), np.float32), np.zeros(1, np.float32))[0].dtype == np.float32
    assert conv2d_forward(np.ones((1, 1, 4, 4), dtype=int), np.ones((1, 1, 3, 3)), np.zeros(1))[0].dtype == np.float64
    assert maxpool2d_forward(x32)[0].dtype == np.float32 and avgpool2d_forward(x32)[0].dtype == np.float32


# --- issue 28: nan and inf, the axis in errors, empty filters, a wrong cache -------------------------


def test_nan_and_inf_propagate_as_in_pytorch():
    rng = np.random.default_rng(28)
    x, w, b = rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(2, 1, 3, 3)), rng.normal(size=2)
    x[0, 0, 0, 0], x[0, 0, 5, 5] = np.nan, np.inf
    ours = conv2d_forward(x, w, b)[0]
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))  # nan where a window holds nan (inf·0 too)
    assert np.isnan(ours[0, :, 0, 0]).all() and np.isfinite(ours[0, :, 1:3, 1:3]).all()
    for pool in (maxpool2d_forward, avgpool2d_forward):
        out = pool(x)[0]
        assert np.isnan(out[0, 0, 0, 0]) and np.isinf(out[0, 0, 2, 2]) and np.isfinite(out[0, 0, 1, 1])


NAN = np.nan


@pytest.mark.parametrize(
    "window",
    [[1.0, NAN, NAN, 5.0], [NAN, 1.0, 2.0, NAN], [NAN, NAN, 2.0, 3.0], [1.0, 2.0, 3.0, NAN], [NAN, 1.0, 2.0, 3.0]],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_routes_a_nan_windows_gradient_like_pytorch_in_both_versions(window, dtype):
    x = np.zeros((2, 3, 4, 6), dtype=dtype)
    x[1, 2, 2:4, 0:2] = np.array(window, dtype=dtype).reshape(2, 2)
    x[0, 1, :2, 2:4] = np.array([[NAN, 1.0], [NAN, 4.0]], dtype=dtype)
    x[0, 0] = np.arange(24, dtype=dtype).reshape(4, 6)
    dout = np.random.default_rng(3).normal(size=(2, 3, 2, 3)).astype(dtype)
    general, shortcut = maxpool2d_forward(x, 2, 2), maxpool2x2_forward(x)
    np.testing.assert_array_equal(general[0], shortcut[0])
    np.testing.assert_array_equal(general[1]["arg"], shortcut[1]["arg"])
    ours = maxpool2d_backward(dout, general[1])
    np.testing.assert_array_equal(ours, maxpool2d_backward(dout, shortcut[1]))
    xt = torch.from_numpy(x).requires_grad_(True)
    torch.nn.functional.max_pool2d(xt, 2, 2).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(ours, xt.grad.numpy())


def test_overlapping_max_pool_with_nan_matches_pytorch():
    x = np.random.default_rng(4).normal(size=(1, 2, 7, 7))
    x[0, 0, 2, 3], x[0, 1, 4, 4], x[0, 1, 5, 4] = NAN, NAN, NAN
    out, cache = maxpool2d_forward(x, 3, 2)
    dout = np.ones_like(out)
    xt = torch.from_numpy(x).requires_grad_(True)
    theirs = torch.nn.functional.max_pool2d(xt, 3, 2)
    theirs.backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(out, theirs.detach().numpy())
    np.testing.assert_array_equal(maxpool2d_backward(dout, cache), xt.grad.numpy())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: conv2d_forward(np.zeros((1, 1, 7, 8)), np.zeros((1, 1, 3, 3)), np.zeros(1), stride=2),
            r"along the width, \(W - FW\) = \(8 - 3\) = 5 is not divisible by stride = 2",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 8, 7)), np.zeros((1, 1, 3, 3)), np.zeros(1), stride=2),
            r"along the height, \(H - FH\) = \(8 - 3\) = 5 is not divisible by stride = 2",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 9, 8)), np.zeros((1, 1, 4, 3)), np.zeros(1), stride=2, pad=1),
            r"along the height, \(H - FH \+ 2·pad\) = \(9 - 4 \+ 2·1\) = 7 is not divisible by stride = 2",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 2, 9)), np.zeros((1, 1, 5, 3)), np.zeros(1), pad=1),
            r"along the height, the filter \(FH = 5\) is larger than the input \(H \+ 2·pad = 2 \+ 2·1 = 4\)",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 3, 3)), np.zeros(1), stride=0),
            r"stride must be a positive integer, got 0",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 3, 3)), np.zeros(1), pad=-1),
            r"pad must be an integer ≥ 0, got -1",
        ),
        (lambda: maxpool2d_forward(np.zeros((1, 1, 7, 8)), 2, 2), r"along the height, \(H - size\) = \(7 - 2\) = 5"),
        (lambda: maxpool2d_forward(np.zeros((1, 1, 8, 8)), 0, 2), r"size must be a positive integer, got 0"),
        (lambda: avgpool2d_forward(np.zeros((1, 1, 8, 8)), 2, 1.5), r"stride must be a positive integer, got 1.5"),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 8, 8)), np.zeros((0, 1, 3, 3)), np.zeros(0)),
            r"w must hold at least one filter \(K ≥ 1\).*got shape \(0, 1, 3, 3\)",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 0, 8, 8)), np.zeros((2, 0, 3, 3)), np.zeros(2)),
            r"at least one channel \(C ≥ 1\)",
        ),
        (
            lambda: conv2d_forward(np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 0, 3)), np.zeros(1)),
            r"the filter's height FH must be at least 1, got 0",
        ),
    ],
)
def test_layer_errors_name_the_axis_and_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_wrong_cache_is_a_clear_error():
    x = np.zeros((1, 1, 4, 4))
    _, conv_cache = conv2d_forward(x, np.zeros((1, 1, 3, 3)), np.zeros(1))
    _, max_cache = maxpool2d_forward(x)
    _, mean_cache = avgpool2d_forward(x)
    with pytest.raises(ValueError, match=r"cache has no 'w', 'pad': pass the cache that conv2d_forward"):
        conv2d_backward(np.zeros((1, 1, 2, 2)), max_cache)
    with pytest.raises(ValueError, match=r"cache has no 'arg': pass the cache that maxpool2d_forward"):
        maxpool2d_backward(np.zeros((1, 1, 2, 2)), mean_cache)
    with pytest.raises(ValueError, match=r"cache has no .*'dtype'.*avgpool2d_forward"):
        avgpool2d_backward(np.zeros((1, 1, 2, 2)), conv_cache)
    with pytest.raises(ValueError, match=r"cache must be the dict that conv2d_forward .* returned, got tuple"):
        conv2d_backward(np.zeros((1, 1, 2, 2)), (np.zeros(1), conv_cache))
