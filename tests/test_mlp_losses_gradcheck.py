"""mlp, losses and gradcheck against PyTorch, with explicit tolerances."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.gradcheck import GradientCheckError, check_gradients, numerical_gradient, rel_error
from course_utils.losses import bernoulli_nll, categorical_nll, gaussian_nll, l1_penalty, l2_penalty
from course_utils.mlp import ACTIVATIONS, OUTPUTS, init_params, mlp_backward, mlp_forward, sigmoid, softmax

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}
TORCH_OUT = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, -1)}
TOL = {np.float64: 1e-10, np.float32: 1e-5}

shapes = st.tuples(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4))


def _torch_mlp(X, params, g, o):
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    Xt = torch.tensor(X, requires_grad=True)
    Z = TORCH_ACT[g](Xt @ t["W"].T + t["b"]) @ t["V"].T + t["c"]
    return Xt, t, Z, TORCH_OUT[o](Z)


@settings(max_examples=30, deadline=None)
@given(
    shape=shapes,
    g=st.sampled_from(sorted(ACTIVATIONS)),
    o=st.sampled_from(sorted(OUTPUTS)),
    seed=st.integers(0, 99),
)
def test_mlp_forward_and_backward_match_torch(shape, g, o, seed):
    n, d, h, k = shape
    rng = np.random.default_rng(seed)
    params = init_params(d, h, k, rng)
    params["b"] = rng.normal(size=h)
    params["c"] = rng.normal(size=k)
    X = rng.normal(size=(n, d))
    Y, cache = mlp_forward(X, params, g=g, o=o)
    Xt, t, Z, Yt = _torch_mlp(X, params, g, o)
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    dZ = rng.normal(size=Z.shape)
    Z.backward(torch.tensor(dZ))
    grads = mlp_backward(dZ, cache)
    for name in ("W", "b", "V", "c"):
        np.testing.assert_allclose(grads[name], t[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(grads["X"], Xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_lecture_network_without_biases():
    params = {"W": np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]), "V": np.array([[1.0, -2.0]])}
    Y, cache = mlp_forward(np.array([[1.0, 2.0, 3.0]]), params, g="relu", o="identity")
    # A = W x = (0.5, 1.0); relu keeps both; y = 0.5 - 2.0
    np.testing.assert_allclose(cache["A"], [[0.5, 1.0]])
    np.testing.assert_allclose(Y, [[-1.5]])
    assert set(mlp_backward(np.ones((1, 1)), cache)) == {"W", "V", "X"}


@pytest.mark.parametrize(
    ("X", "params", "message"),
    [
        (np.ones(3), {"W": np.ones((2, 3)), "V": np.ones((1, 2))}, r"X must be \(N, D\)"),
        (np.ones((4, 3)), {"W": np.ones((3, 2)), "V": np.ones((1, 2))}, r"W must be \(H, D\) with D = 3"),
        (np.ones((4, 3)), {"W": np.ones((2, 3)), "V": np.ones((2, 1))}, r"V must be \(K, H\) with H = 2"),
        (
            np.ones((4, 3)),
            {"W": np.ones((2, 3)), "V": np.ones((1, 2)), "b": np.ones(3)},
            r"b must have shape \(2,\)",
        ),
    ],
)
def test_mlp_shape_errors_name_the_shapes(X, params, message):
    with pytest.raises(ValueError, match=message):
        mlp_forward(X, params)


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="'swish'"):
        mlp_forward(np.ones((1, 3)), {"W": np.ones((2, 3)), "V": np.ones((1, 2))}, g="swish")


def test_sigmoid_and_softmax_are_stable():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    s = sigmoid(z)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    p = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


# --- losses -----------------------------------------------------------------------------------

scales = st.sampled_from([0.1, 1.0, 10.0, 100.0])
dtypes = st.sampled_from([np.float64, np.float32])


def _grad_of(loss_fn, x):
    xt = torch.tensor(x, requires_grad=True)
    loss = loss_fn(xt)
    loss.backward()
    return loss.item(), xt.grad.numpy()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 20),
    d=st.integers(1, 4),
    scale=scales,
    sigma=st.sampled_from([0.5, 1.0, 3.0]),
    dtype=dtypes,
    seed=st.integers(0, 99),
)
def test_gaussian_nll_matches_torch(n, d, scale, sigma, dtype, seed):
    rng = np.random.default_rng(seed)
    pred, y = (scale * rng.normal(size=(n, d))).astype(dtype), (scale * rng.normal(size=(n, d))).astype(dtype)
    loss, grad = gaussian_nll(pred, y, sigma)
    var = torch.full((n, d), sigma**2, dtype=torch.float64)
    expected, expected_grad = _grad_of(
        lambda p: F.gaussian_nll_loss(p, torch.tensor(y, dtype=torch.float64), var, full=True),
        pred.astype(np.float64),
    )
    tol = TOL[dtype]
    np.testing.assert_allclose(loss, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad, expected_grad, rtol=tol, atol=tol)
    # and with sigma = 1 it is half the MSE plus a constant
    mse = F.mse_loss(torch.tensor(pred, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()
    np.testing.assert_allclose(gaussian_nll(pred, y)[0], 0.5 * mse + 0.5 * np.log(2 * np.pi), rtol=tol, atol=tol)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), scale=scales, dtype=dtypes, seed=st.integers(0, 99))
def test_bernoulli_nll_matches_torch(n, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    z = (scale * rng.normal(size=n)).astype(dtype)
    y = rng.integers(0, 2, size=n).astype(dtype)
    loss, grad = bernoulli_nll(z, y)
    expected, expected_grad = _grad_of(
        lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(y, dtype=torch.float64)),
        z.astype(np.float64),
    )
    np.testing.assert_allclose(loss, expected, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(grad, expected_grad, rtol=TOL[dtype], atol=TOL[dtype])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(2, 12), scale=scales, dtype=dtypes, seed=st.integers(0, 99))
def test_categorical_nll_matches_torch(n, k, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    z = (scale * rng.normal(size=(n, k))).astype(dtype)
    y = rng.integers(0, k, size=n)
    loss, grad = categorical_nll(z, y)
    expected, expected_grad = _grad_of(lambda t: F.cross_entropy(t, torch.tensor(y)), z.astype(np.float64))
    np.testing.assert_allclose(loss, expected, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(grad, expected_grad, rtol=TOL[dtype], atol=TOL[dtype])


def test_losses_are_finite_for_huge_logits():
    z = np.array([-1000.0, 1000.0, -1000.0, 1000.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss, grad = bernoulli_nll(z, y)
    np.testing.assert_allclose(loss, 500.0)  # two perfect, two off by 1000 each: mean 2000 / 4
    assert np.all(np.isfinite(grad))
    loss, grad = categorical_nll(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), np.array([0, 0]))
    np.testing.assert_allclose(loss, 1000.0)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gaussian_nll(np.ones(3), np.ones(4)), "same shape"),
        (lambda: gaussian_nll(np.ones(3), np.ones(3), sigma=0), "sigma must be > 0"),
        (lambda: bernoulli_nll(np.ones(3), np.array([0, 1, 2])), r"\[0, 1\]"),
        (lambda: categorical_nll(np.ones(3), np.array([0, 1, 2])), r"\(N, K\)"),
        (lambda: categorical_nll(np.ones((3, 2)), np.array([0, 1, 2])), r"0\.\.1"),
        (lambda: categorical_nll(np.ones((3, 2)), np.array([0.0, 1.0, 1.0])), "integer"),
    ],
)
def test_loss_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_penalties_match_torch_and_keep_structure():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}
    value, grads = l2_penalty(params)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    torch_value = sum(0.5 * (t**2).sum() for t in tensors.values())
    torch_value.backward()
    np.testing.assert_allclose(value, torch_value.item(), rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], tensors[k].grad.numpy())
    value, grads = l1_penalty(list(params.values()))
    assert isinstance(grads, list)
    np.testing.assert_allclose(value, sum(np.abs(p).sum() for p in params.values()))
    np.testing.assert_array_equal(grads[0], np.sign(params["W"]))


# --- gradcheck --------------------------------------------------------------------------------


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-8
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))


def test_rel_error():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([0.0, 1.0], [1e-11, 1.0]) < 1e-10  # a true zero next to its estimate
    assert rel_error([1.0], [-1.0]) == 1.0
    assert rel_error([np.nan, 1.0], [1.0, 1.0]) == np.inf and rel_error([1.0], [np.inf]) == np.inf  # never "close"
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.ones(2), np.ones(3))


def _affine_forward(x, w):
    return x @ w, (x, w)


def _affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


def test_check_gradients_passes_a_right_pair_and_names_a_wrong_one():
    rng = np.random.default_rng(0)
    inputs = {"x": rng.normal(size=(4, 3)), "w": rng.normal(size=(3, 2))}
    errors = check_gradients(_affine_forward, _affine_backward, inputs, rng)
    assert set(errors) == {"x", "w"} and max(errors.values()) < 1e-8

    def wrong_backward(dout, cache):
        dx, dw = _affine_backward(dout, cache)
        return dx, 2 * dw

    with pytest.raises(GradientCheckError, match="respect to w"):
        check_gradients(_affine_forward, wrong_backward, inputs, rng)


def test_check_gradients_on_the_mlp():
    rng = np.random.default_rng(1)
    params = init_params(3, 4, 2, rng)

    def forward(X, W, b, V, c):
        return mlp_forward(X, {"W": W, "b": b, "V": V, "c": c}, g="tanh")

    inputs = {"X": rng.normal(size=(5, 3)), **params}
    check_gradients(forward, mlp_backward, inputs, rng)
