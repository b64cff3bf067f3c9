"""The student edition's losses.gaussian_nll, bernoulli_nll, log_softmax and categorical_nll (swapped in for the
student side's own by course_utils.instructor.edition.build): the same checks of the inputs (the module's own
``_*_inputs``) and the same results, each loss PyTorch's and its gradient PyTorch's autograd, in float64.
Exercises 2.1-2.3 ask for the numpy form. ``_with_gradient`` is a helper the student side's module lacks: the
swap puts it in with them, and torch's imports.
"""

import numpy as np
import torch
import torch.nn.functional as F

from course_utils.losses import _bernoulli_inputs, _categorical_inputs, _float, _gaussian_inputs

__all__ = ["gaussian_nll", "bernoulli_nll", "log_softmax", "categorical_nll"]


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
    pred, y = _gaussian_inputs(pred, y, sigma)
    target = torch.tensor(np.ascontiguousarray(y), dtype=torch.float64)
    variance = torch.full_like(target, float(sigma) ** 2)
    return _with_gradient(pred, lambda p: F.gaussian_nll_loss(p, target, variance, full=True, eps=0.0))


def bernoulli_nll(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of labels y ∈ {0, 1} under Bernoulli(sigmoid(logits)).
    logits: (N,) real numbers; y: (N,) labels 0 or 1 (floats in [0, 1] allowed).
    Returns loss (float), dloss/dlogits, shape (N,)."""
    z, y = _bernoulli_inputs(logits, y)
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
    z, y = _categorical_inputs(logits, y)
    labels = torch.tensor(np.ascontiguousarray(y), dtype=torch.long)
    return _with_gradient(z, lambda t: F.cross_entropy(t, labels))
