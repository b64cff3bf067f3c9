"""The lecture's one-hidden-layer MLP in numpy: y = o(V g(W x + b) + c).

Introduced in notebook 01 (forward pass); notebook 03 adds the backward pass
and notebook 04 trains it with SGD.

Shapes (a batch of N inputs as rows, as in PyTorch):

    X  (N, D)     inputs                 W  (H, D)  first-layer weights
    A  (N, H)     A = X W^T + b          b  (H,)    first-layer bias (optional)
    Hd (N, H)     Hd = g(A)              V  (K, H)  second-layer weights
    Z  (N, K)     Z = Hd V^T + c         c  (K,)    second-layer bias (optional)
    Y  (N, K)     Y = o(Z)

The lecture's network has D = 3, H = 2, K = 1 and no biases: leave ``b`` and
``c`` out of ``params`` and they count as zero.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "sigmoid",
    "softmax",
    "init_params",
    "mlp_forward",
    "mlp_backward",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=np.result_type(z, np.float32))
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])  # z < 0 here, so exp(z) < 1 cannot overflow
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum exp(z) along ``axis``; shifting by the max keeps exp from overflowing."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    exp_z = np.exp(shifted)
    return exp_z / np.sum(exp_z, axis=axis, keepdims=True)


def _relu(a):
    return np.maximum(a, 0)


# name -> (g, g') with g' expressed through the input a.
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda a: sigmoid(a) * (1 - sigmoid(a))),
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (_relu, lambda a: (a > 0).astype(a.dtype)),
    "identity": (lambda a: a, np.ones_like),
}
# Output functions o: what the network's output means.
OUTPUTS = {
    "identity": lambda z: z,  # a real number: regression (Gaussian)
    "sigmoid": sigmoid,  # a probability: binary classification (Bernoulli)
    "softmax": softmax,  # K probabilities summing to 1: multiclass (Categorical)
}


def init_params(n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator, bias: bool = True) -> dict:
    """Random weights scaled by 1/sqrt(fan-in) (so activations neither vanish nor explode), zero biases.

    Returns a dict with W (n_hidden, n_in), V (n_out, n_hidden) and, if ``bias``,
    b (n_hidden,), c (n_out,); all float64.
    """
    params = {
        "W": rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_hidden, n_in)),
        "V": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_out, n_hidden)),
    }
    if bias:
        params["b"] = np.zeros(n_hidden)
        params["c"] = np.zeros(n_out)
    return params


def _check_shapes(X: np.ndarray, params: dict) -> None:
    W, V = params["W"], params["V"]
    if X.ndim != 2:
        raise ValueError(f"X must be (N, D), got shape {X.shape}; for one input x use x[None, :]")
    if W.ndim != 2 or W.shape[1] != X.shape[1]:
        raise ValueError(f"W must be (H, D) with D = {X.shape[1]} (columns of X), got W {W.shape}")
    if V.ndim != 2 or V.shape[1] != W.shape[0]:
        raise ValueError(f"V must be (K, H) with H = {W.shape[0]} (rows of W), got V {V.shape}")
    for name, size in (("b", W.shape[0]), ("c", V.shape[0])):
        if name in params and np.shape(params[name]) != (size,):
            raise ValueError(f"{name} must have shape ({size},), got {np.shape(params[name])}")


def mlp_forward(X: np.ndarray, params: dict, g: str = "sigmoid", o: str = "identity"):
    """Forward pass Y = o(g(X W^T + b) V^T + c) for a batch.

    Args:
        X: (N, D) inputs.
        params: dict with W (H, D), V (K, H) and optionally b (H,), c (K,).
        g: hidden activation, a key of ``ACTIVATIONS``.
        o: output function, a key of ``OUTPUTS``.

    Returns:
        Y: (N, K) outputs.
        cache: everything the backward pass needs (and every intermediate value,
            for showing): dict with X, A, H, Z, Y, params, g, o.
    """
    if g not in ACTIVATIONS:
        raise ValueError(f"g must be one of {sorted(ACTIVATIONS)}, got {g!r}")
    if o not in OUTPUTS:
        raise ValueError(f"o must be one of {sorted(OUTPUTS)}, got {o!r}")
    X = np.asarray(X)
    _check_shapes(X, params)
    A = X @ params["W"].T + params.get("b", 0.0)
    H = ACTIVATIONS[g][0](A)
    Z = H @ params["V"].T + params.get("c", 0.0)
    Y = OUTPUTS[o](Z)
    cache = {"X": X, "A": A, "H": H, "Z": Z, "Y": Y, "params": params, "g": g, "o": o}
    return Y, cache


def mlp_backward(dZ: np.ndarray, cache: dict) -> dict:
    """Backward pass from dL/dZ, the gradient at the output *before* o.

    The losses of ``course_utils.losses`` take Z (logits, or the prediction
    for regression) and return dL/dZ directly, which is why the pass starts
    there: it avoids the softmax Jacobian and is numerically stable.

    Args:
        dZ: (N, K) gradient of the loss with respect to Z.
        cache: from :func:`mlp_forward`.

    Returns:
        dict of gradients with the shapes of what they differentiate:
        W (H, D), V (K, H), X (N, D), and b (H,), c (K,) when the params have them.
    """
    X, A, H, params = cache["X"], cache["A"], cache["H"], cache["params"]
    if np.shape(dZ) != cache["Z"].shape:
        raise ValueError(f"dZ must have the shape of Z, {cache['Z'].shape}; got {np.shape(dZ)}")
    grads = {"V": dZ.T @ H}  # (K, N) @ (N, H)
    dH = dZ @ params["V"]  # (N, K) @ (K, H)
    dA = dH * ACTIVATIONS[cache["g"]][1](A)  # elementwise: g acts on each unit alone
    grads["W"] = dA.T @ X  # (H, N) @ (N, D)
    grads["X"] = dA @ params["W"]  # (N, H) @ (H, D)
    if "b" in params:
        grads["b"] = dA.sum(axis=0)
    if "c" in params:
        grads["c"] = dZ.sum(axis=0)
    return grads
