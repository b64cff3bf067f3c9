"""Exercise 3.3 (notebook 03, auto-differentiation packages): the batched backward pass of 3.1, by PyTorch's autograd.

The student builds F = relu(X Wᵀ + b) Vᵀ + c from torch tensors and lets ``.backward()`` compute
(dW, db, dV, dc) for the upstream gradient dF = ∂L/∂F: the scalar to differentiate is Σ F ⊙ dF
(or ``F.backward(dF)``). Cases are those of 3.1.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.checking import Exercise, Tensor, as_array, compare, describe
from course_utils.instructor.exercises.nb03 import _cases, _fresh, reference_backward

__all__ = ["EXERCISES", "autograd_backward"]

_NAMES = ("dW", "db", "dV", "dc")


def autograd_backward(X, W, b, V, c, dF):
    """The course's answer to 3.3 (its fallback): (dW, db, dV, dc) of Σ F ⊙ dF by torch autograd, as numpy arrays.

    X (N, D), W (H, D), b (H,), V (K, H), c (K,), dF (N, K), numpy float64; F = relu(X Wᵀ + b) Vᵀ + c.
    """
    params = [torch.tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in (W, b, V, c)]
    W_t, b_t, V_t, c_t = params
    F = torch.relu(torch.as_tensor(np.asarray(X, dtype=np.float64)) @ W_t.T + b_t) @ V_t.T + c_t
    F.backward(torch.as_tensor(np.asarray(dF, dtype=np.float64)))
    return tuple(p.grad.numpy() for p in params)


def _mistakes(X, W, b, V, c, dF):
    """name -> {likely mistake: the wrong gradient it gives}."""
    ones = reference_backward(X, W, b, V, c, np.ones_like(dF))
    scaled = [g / dF.size for g in reference_backward(X, W, b, V, c, dF)]
    linear = _linear_network_gradients(X, W, V, dF)
    return {
        name: {
            "the scalar is F.sum(): its gradient with respect to F is all ones, not dF. Differentiate Σ F ⊙ dF, "
            "(F * dF).sum(), or pass dF to F.backward(dF).": ones[i],
            "the scalar is the mean of F ⊙ dF: every gradient is N·K times too small. Use the sum, "
            "(F * dF).sum().": scaled[i],
            "the ReLU is missing from the forward pass: F = relu(X Wᵀ + b) Vᵀ + c.": linear[i],
        }
        for i, name in enumerate(_NAMES)
    }


def _linear_network_gradients(X, W, V, dF):
    dA = dF @ V
    return dA.T @ X, dA.sum(axis=0), dF.T @ (X @ W.T), dF.sum(axis=0)


def _judge(case, got):
    X, W, b, V, c, dF = case
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return f"return four gradients (dW, db, dV, dc); your function returned {describe(got)}."
    expected = reference_backward(X, W, b, V, c, dF)
    mistakes = _mistakes(*case)
    for i, name in enumerate(_NAMES):
        if got[i] is None:
            return (
                f"{name} is None: only a tensor created with requires_grad=True gets a .grad after .backward() "
                "(a tensor computed from it, e.g. W_t.T or a .double() copy, does not)."
            )
        array = as_array(got[i], f"your {name}")
        if isinstance(array, str):
            return array
        message = compare(array, expected[i], case, what=name, mistakes=mistakes[name], rtol=1e-9, atol=1e-10)
        if message:
            return _single_precision(got[i], array, expected[i], name, message)
    return None


def _single_precision(value, array, expected, name, message):
    """float32 is torch's default: a float32 answer is judged at float32's precision, and one that misses
    even that says its dtype (the values printed to 6 digits can look equal)."""
    raw = value.array if isinstance(value, Tensor) else value
    dtype = getattr(raw, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 8:
        return message
    scale = float(np.max(np.abs(expected), initial=0.0))
    tolerance = 64 * np.finfo(np.float32).eps  # float32's rounding, a few ulps per sum; float16 is not enough
    accepted = dtype == np.float32 and array.shape == expected.shape
    if accepted and np.allclose(array, expected, rtol=tolerance, atol=tolerance * scale):
        return None
    return (
        f"{message} Your {name} has dtype {dtype} (about {np.finfo(dtype).precision} digits); the inputs are "
        "float64: torch.tensor of a float64 array keeps float64, while .float() or dtype=torch.float32 rounds."
    )


EXERCISES = [
    Exercise(
        number="3.3",
        target="autograd_backward",
        cases=_cases,
        fresh=_fresh,
        judge=_judge,
        passed="Exercise 3.3: autograd's dW, db, dV and dc are right on all {n} cases.",
        references=("course_utils.instructor.exercises.nb03.reference_backward", "course_utils.mlp.mlp_backward"),
        fallback="course_utils.instructor.exercises.nb03c.autograd_backward",
    )
]
