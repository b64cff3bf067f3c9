"""MLE and MAP fits of the lecture's three pipelines on a small MNIST task (notebook 02).

The objective is the lecture's, a sum over the training examples plus the prior:

    L(θ) = Σᵢ ℓ(xⁱ, yⁱ, θ) + λ Ω(θ),    Ω = ½‖w‖² (L2, Gaussian prior) or ‖w‖₁ (L1, Laplace prior)

(biases are not penalised). ``fit_map`` minimises it by full-batch gradient descent with the
step size taken from the problem: 1 / (a bound on the largest curvature of L), so every step
lowers L (the "descent lemma"); for L1 the step on the data term is followed by soft-thresholding.
``fit_mlp_map`` fits the pipeline with a hidden layer, f = V g(Wx + b) + c, using a backtracking
line search (no closed-form curvature there). ``map_summary`` is the function behind the
notebook's explorer; ``EXPLORER_LAMBDAS`` lists every λ its slider offers.
"""

from __future__ import annotations

import numpy as np

from course_utils.env import blas_threads
from course_utils.losses import bernoulli_nll, categorical_nll, gaussian_nll
from course_utils.mlp import init_params, mlp_backward, mlp_forward

__all__ = [
    "HEADS",
    "PENALTIES",
    "EXPLORER_LAMBDAS",
    "head_data",
    "step_size",
    "objective",
    "fit_map",
    "fit_mlp_map",
    "summed_loss",
    "map_summary",
]

# head -> (mean loss with its gradient, number of outputs, curvature bound of ℓ in the score)
# Gaussian (σ = 1): ℓ'' = 1. Bernoulli: σ(z)(1 − σ(z)) ≤ ¼. Categorical: diag(p) − ppᵀ has eigenvalues ≤ ½.
HEADS = {
    "regression": (gaussian_nll, 1, 1.0),
    "binary": (bernoulli_nll, 1, 0.25),
    "multiclass": (categorical_nll, 10, 0.5),
}
PENALTIES = ("L2", "L1")
# Every λ the explorer's slider offers: 0 (MLE), then 10^-1 ... 10^2.5 in steps of 10^0.25.
EXPLORER_LAMBDAS = (0.0, *(float(10**e) for e in np.round(np.arange(-1.0, 2.51, 0.25), 2)))


def head_data(images: np.ndarray, labels: np.ndarray) -> dict:
    """The three tasks on the top half of MNIST digits.

    images: uint8 (N, 28, 28); labels: int (N,). Returns head -> (X (N, 392) in [0, 1], targets (N,)):
    regression: the bottom half's ink (mean brightness × 10); binary: digit ≥ 5; multiclass: the digit.
    """
    images = np.asarray(images)
    X = images[:, :14, :].reshape(len(images), -1) / 255.0
    ink = images[:, 14:, :].mean(axis=(1, 2)) / 255.0 * 10
    labels = np.asarray(labels)
    return {"regression": (X, ink), "binary": (X, (labels >= 5).astype(float)), "multiclass": (X, labels)}


def _check(head: str, penalty: str, lam: float) -> None:
    if head not in HEADS:
        raise ValueError(f"head must be one of {sorted(HEADS)}, got {head!r}")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be 'L2' or 'L1', got {penalty!r}")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam!r}")


def step_size(X: np.ndarray, head: str, penalty: str, lam: float) -> float:
    """1 / L, with L = c_head · λ_max(X̃ᵀX̃) (+ λ for L2) bounding the curvature of Σᵢ ℓᵢ + λΩ; X̃ = [X, 1]."""
    _check(head, penalty, lam)
    X1 = np.hstack([X, np.ones((len(X), 1))])
    largest = np.linalg.eigvalsh(X1.T @ X1)[-1]
    return 1.0 / (HEADS[head][2] * largest + (lam if penalty == "L2" else 0.0))


def summed_loss(head: str, X: np.ndarray, t: np.ndarray, weights: np.ndarray, bias: np.ndarray):
    """Σᵢ ℓ(xⁱ, yⁱ) of the linear head and its gradient with respect to the scores (N, k)."""
    loss_fn, k, _ = HEADS[head]
    scores = X @ weights + bias
    mean, d_mean = loss_fn(scores if k > 1 else scores[:, 0], t)
    return len(X) * mean, len(X) * d_mean.reshape(len(X), k)


def objective(head, X, t, weights, bias, penalty: str, lam: float) -> float:
    """L = Σᵢ ℓᵢ + λ Ω(weights)."""
    omega = 0.5 * np.sum(weights**2) if penalty == "L2" else np.sum(np.abs(weights))
    return summed_loss(head, X, t, weights, bias)[0] + lam * omega


@blas_threads(1)  # its products are small: one thread is many times faster than two
def fit_map(X, t, head: str, penalty: str = "L2", lam: float = 0.0, steps: int = 1000):
    """Minimise Σᵢ ℓᵢ + λΩ(w) for the linear head by gradient descent with step 1/L.

    X (N, D), t (N,). Returns (weights (D, k), bias (k,), objective before each step and at the end (steps + 1,)).
    """
    _check(head, penalty, lam)
    eta = step_size(X, head, penalty, lam)
    k = HEADS[head][1]
    weights, bias = np.zeros((X.shape[1], k)), np.zeros(k)
    history = []
    for _ in range(steps):
        data_term, d_scores = summed_loss(head, X, t, weights, bias)
        omega = 0.5 * np.sum(weights**2) if penalty == "L2" else np.sum(np.abs(weights))
        history.append(data_term + lam * omega)
        grad_w, grad_b = X.T @ d_scores, d_scores.sum(axis=0)
        if penalty == "L2":
            weights = weights - eta * (grad_w + lam * weights)
        else:  # the exact step for λ|w|, which has no gradient at 0: shrink towards 0 by ηλ, stop at 0
            weights = weights - eta * grad_w
            weights = np.sign(weights) * np.maximum(np.abs(weights) - eta * lam, 0.0)
        bias = bias - eta * grad_b
    history.append(objective(head, X, t, weights, bias, penalty, lam))
    return weights, bias, np.array(history)


def _mlp_objective(params, X, t, lam):
    scores, cache = mlp_forward(X, params, g="relu")
    mean, d_scores = categorical_nll(scores, t)
    value = len(X) * mean + lam * 0.5 * (np.sum(params["W"] ** 2) + np.sum(params["V"] ** 2))
    return value, len(X) * d_scores, cache


@blas_threads(1)
def fit_mlp_map(X, t, lam: float = 0.0, hidden: int = 32, steps: int = 300, seed: int = 0):
    """The multiclass pipeline with a hidden layer, f = V relu(Wx + b) + c, minimising Σᵢ ℓᵢ + λ·½(‖W‖² + ‖V‖²).

    Gradient descent with a backtracking line search: start from the last step size ×2 and halve
    it until L goes down. Returns (params, objective after each step (steps + 1,)).
    """
    params = init_params(X.shape[1], hidden, 10, np.random.default_rng(seed))
    value, d_scores, cache = _mlp_objective(params, X, t, lam)
    history, eta = [value], 1e-2
    for _ in range(steps):
        grads = mlp_backward(d_scores, cache)
        for name in ("W", "V"):
            grads[name] = grads[name] + lam * params[name]
        eta *= 2
        while True:
            trial = {name: params[name] - eta * grads[name] for name in params}
            new_value, new_d, new_cache = _mlp_objective(trial, X, t, lam)
            if new_value < value or eta < 1e-12:
                break
            eta /= 2
        params, value, d_scores, cache = trial, new_value, new_d, new_cache
        history.append(value)
    return params, np.array(history)


def map_summary(data: dict, head: str, penalty: str, lam: float):
    """The explorer's readout: fit on data["train"], report per-example losses on train and validation.

    data: {"train": head_data(...), "val": head_data(...)}. Returns (text, weights (392, k), numbers dict).
    """
    X, t = data["train"][head]
    weights, bias, history = fit_map(X, t, head, penalty, lam)
    X_val, t_val = data["val"][head]
    numbers = {
        "train_loss": summed_loss(head, X, t, weights, bias)[0] / len(X),
        "val_loss": summed_loss(head, X_val, t_val, weights, bias)[0] / len(X_val),
        "zero_weights": float(np.mean(weights == 0)),
        "objective": history,
    }
    parts = [f"{head}, {penalty}, λ = {lam:.3g}:", f"train loss {numbers['train_loss']:.3f}",
             f"validation loss {numbers['val_loss']:.3f}"]  # fmt: skip
    if head != "regression":
        scores = X_val @ weights + bias
        predicted = scores.argmax(axis=1) if head == "multiclass" else (scores[:, 0] > 0)
        numbers["val_accuracy"] = float(np.mean(predicted == t_val))
        parts.append(f"validation accuracy {numbers['val_accuracy']:.1%}")
    parts.append(f"zero weights {numbers['zero_weights']:.0%}")
    return "  ".join(parts), weights, numbers
