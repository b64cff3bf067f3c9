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

(The student edition's version: each loss is PyTorch's, its gradient PyTorch's autograd, in float64; the
numpy form is what exercises 2.1-2.3 ask you to write.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

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


def _with_gradient(first: np.ndarray, loss_of) -> tuple[float, np.ndarray]:
    """(loss, dloss/dfirst) with the loss written in PyTorch and its gradient from autograd, in float64.

    On one thread: these arrays are small and called in loops, where PyTorch's threads cost more than they
    save (ten times, on a busy two-core machine).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        leaf = torch.tensor(np.ascontiguousarray(first), dtype=torch.float64, requires_grad=True)
        loss = loss_of(leaf)
        loss.backward()
        return float(loss.detach()), leaf.grad.numpy().astype(first.dtype)
    finally:
        torch.set_num_threads(threads)


def gaussian_nll(pred: np.ndarray, y: np.ndarray, sigma: float = 1.0) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of ``y`` under N(pred, sigma²), per element:
    (y − pred)² / (2σ²) + ½ log(2πσ²). pred: (N,) or (N, D); y: the same shape; sigma > 0.
    Returns loss (float), dloss/dpred (same shape as pred)."""
    pred, y = _float(pred), _float(y)
    if pred.shape != y.shape:
        raise ValueError(f"pred and y must have the same shape, got {pred.shape} and {y.shape}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    target = torch.tensor(np.ascontiguousarray(y), dtype=torch.float64)
    variance = torch.full_like(target, float(sigma) ** 2)
    return _with_gradient(pred, lambda p: F.gaussian_nll_loss(p, target, variance, full=True, eps=0.0))


def bernoulli_nll(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of labels y ∈ {0, 1} under Bernoulli(sigmoid(logits)).
    logits: (N,) real numbers; y: (N,) labels 0 or 1 (floats in [0, 1] allowed).
    Returns loss (float), dloss/dlogits, shape (N,)."""
    z, y = _float(logits), _float(y)
    if z.shape != y.shape:
        raise ValueError(f"logits and y must have the same shape, got {z.shape} and {y.shape}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"Bernoulli labels must lie in [0, 1], got values from {y.min()} to {y.max()}")
    target = torch.tensor(np.ascontiguousarray(y), dtype=torch.float64)
    return _with_gradient(z, lambda t: F.binary_cross_entropy_with_logits(t, target))


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) along ``axis``, finite for any logits (PyTorch's)."""
    z = _float(z)
    return (
        torch.log_softmax(torch.tensor(np.ascontiguousarray(z), dtype=torch.float64), dim=axis).numpy().astype(z.dtype)
    )


def categorical_nll(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of class labels under Categorical(softmax(logits)).
    logits: (N, K) real numbers; y: (N,) integer labels in 0..K−1.
    Returns loss (float), dloss/dlogits, shape (N, K)."""
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
    labels = torch.tensor(np.ascontiguousarray(y), dtype=torch.long)
    return _with_gradient(z, lambda t: F.cross_entropy(t, labels))


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
