"""Likelihood → loss: the three pipelines of the lecture, and the regularisers of MAP.

Introduced in notebook 02 (probabilistic losses); used by notebooks 03–05 and 09.

Each loss is a negative log-likelihood averaged over the batch and returns
``(loss, grad)`` where ``grad`` is the gradient of that mean with respect to
the *first* argument (the network's output before any squashing):

=================  ===========================  ==================================
likelihood         loss                          first argument
=================  ===========================  ==================================
Gaussian(f, σ²)    squared error / (2σ²) + const  pred (N,) or (N, D), real numbers
Bernoulli(σ(z))    logistic loss                  logits z (N,), any real
Categorical(sm(z)) softmax cross-entropy          logits z (N, K), any real
=================  ===========================  ==================================

All are numerically stable: logits of ±1000 give finite losses and gradients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from course_utils.mlp import sigmoid, softmax

__all__ = [
    "gaussian_nll",
    "bernoulli_nll",
    "categorical_nll",
    "log_softmax",
    "l2_penalty",
    "l1_penalty",
]


def _float(a) -> np.ndarray:
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


# The checks of the inputs, one per loss: the student edition's versions of the losses (PyTorch's) use them too.


def _gaussian_inputs(pred, y, sigma) -> tuple[np.ndarray, np.ndarray]:
    pred, y = _float(pred), _float(y)
    if pred.shape != y.shape:
        raise ValueError(f"pred and y must have the same shape, got {pred.shape} and {y.shape}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    return pred, y


def _bernoulli_inputs(logits, y) -> tuple[np.ndarray, np.ndarray]:
    z, y = _float(logits), _float(y)
    if z.shape != y.shape:
        raise ValueError(f"logits and y must have the same shape, got {z.shape} and {y.shape}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"Bernoulli labels must lie in [0, 1], got values from {y.min()} to {y.max()}")
    return z, y


def _categorical_inputs(logits, y) -> tuple[np.ndarray, np.ndarray]:
    z = _float(logits)
    y = np.asarray(y)
    if z.ndim != 2:
        raise ValueError(f"logits must be (N, K), got shape {z.shape}")
    if y.shape != (z.shape[0],):
        raise ValueError(f"y must be ({z.shape[0]},) labels for logits {z.shape}, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= z.shape[1]):
        raise ValueError(f"labels must lie in 0..{z.shape[1] - 1}, got values from {y.min()} to {y.max()}")
    return z, y


def gaussian_nll(pred: np.ndarray, y: np.ndarray, sigma: float = 1.0) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of ``y`` under N(pred, sigma²), per element.

        ℓ = (y − pred)² / (2σ²) + ½ log(2πσ²)

    The constant does not depend on ``pred``: minimising this is minimising
    the squared error. With sigma = 1 it is ½·MSE + ½ log 2π.

    Args:
        pred: (N,) or (N, D) predictions. y: same shape. sigma: > 0.
    Returns:
        loss (float), dloss/dpred (same shape as pred).
    """
    pred, y = _gaussian_inputs(pred, y, sigma)
    diff = pred - y
    variance = sigma**2
    loss = np.mean(diff**2) / (2 * variance) + 0.5 * np.log(2 * np.pi * variance)
    return float(loss), (diff / (variance * diff.size)).astype(pred.dtype)


def bernoulli_nll(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of labels y ∈ {0, 1} under Bernoulli(sigmoid(logits)).

        ℓ = −y log σ(z) − (1 − y) log(1 − σ(z)) = log(1 + e^z) − y z
          = max(z, 0) − y z + log(1 + e^(−|z|))      (the stable form)

    Args:
        logits: (N,) real numbers z. y: (N,) labels 0 or 1 (floats in [0, 1] allowed).
    Returns:
        loss (float), dloss/dlogits = (σ(z) − y) / N, shape (N,).
    """
    z, y = _bernoulli_inputs(logits, y)
    per_example = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(per_example)), ((sigmoid(z) - y) / z.size).astype(z.dtype)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z − logsumexp(z), computed after subtracting the max (no overflow)."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def categorical_nll(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of class labels under Categorical(softmax(logits)).

        ℓ = −log softmax(z)_y = logsumexp(z) − z_y

    Args:
        logits: (N, K) real numbers. y: (N,) integer labels in 0..K−1.
    Returns:
        loss (float), dloss/dlogits = (softmax(z) − onehot(y)) / N, shape (N, K).
    """
    z, y = _categorical_inputs(logits, y)
    n = z.shape[0]
    loss = -np.mean(log_softmax(z)[np.arange(n), y])
    grad = softmax(z)
    grad[np.arange(n), y] -= 1
    return float(loss), grad / n


Params = Mapping[str, np.ndarray] | Sequence[np.ndarray]


def _penalty(params: Params, value_fn, grad_fn):
    if isinstance(params, Mapping):
        return float(sum(value_fn(p) for p in params.values())), {k: grad_fn(p) for k, p in params.items()}
    return float(sum(value_fn(p) for p in params)), [grad_fn(p) for p in params]


def l2_penalty(params: Params) -> tuple[float, Params]:
    """Ω(θ) = ½ Σ θ², the negative log of a Gaussian prior (up to a constant); ∇Ω = θ.

    ``params`` is a dict or a list of arrays; the gradients come back in the
    same structure. With this ½, λ∇Ω = λθ: exactly PyTorch's ``weight_decay=λ``.
    """
    return _penalty(params, lambda p: 0.5 * np.sum(np.square(p)), lambda p: np.array(p, copy=True))


def l1_penalty(params: Params) -> tuple[float, Params]:
    """Ω(θ) = Σ |θ|, the negative log of a Laplace prior (up to a constant); ∇Ω = sign(θ).

    (At θ = 0 the subgradient 0 is used.) Same structure rules as :func:`l2_penalty`.
    """
    return _penalty(params, lambda p: np.sum(np.abs(p)), np.sign)
