"""Exercise 3.1 (notebook 03, backpropagation): the gradients of the batched MLP, checked numerically.

The student derives the batched backward pass from the scalar chain rule; F = relu(X Wᵀ + b) Vᵀ + c is the
batch of outputs (row n is f(xⁿ)) and dF = ∂L/∂F the upstream gradient, for L = Σₙ ℓₙ.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, as_array, describe, describe_case
from course_utils.checking.oracle import oracle
from course_utils.gradcheck import numerical_gradient, rel_error
from course_utils.instructor.exercises.nb01b import forward_cases
from course_utils.mlp import mlp_forward

__all__ = ["EXERCISES", "reference_backward"]

_NAMES = ("dW", "db", "dV", "dc")


def reference_backward(X, W, b, V, c, dF):
    """The course's answer to 3.1 (its fallback): (dW, db, dV, dc) of sum(F * dF), F = relu(X Wᵀ + b) Vᵀ + c.

    X (N, D), W (H, D), b (H,), V (K, H), c (K,), dF (N, K); each gradient has the shape of its parameter.
    Computed by PyTorch's autograd (exercise 3.1 asks for the backward pass written out in numpy).
    """
    import torch

    params = [torch.tensor(np.ascontiguousarray(p, dtype=np.float64), requires_grad=True) for p in (W, b, V, c)]
    F = torch.relu(torch.as_tensor(np.ascontiguousarray(X, dtype=np.float64)) @ params[0].T + params[1]) @ params[2].T
    (F + params[3]).backward(torch.as_tensor(np.ascontiguousarray(dF, dtype=np.float64)))
    return tuple(p.grad.numpy() for p in params)


def _with_upstream(rng, cases):
    return [(*case, rng.normal(size=(case[0].shape[0], case[3].shape[0]))) for case in cases]


def _cases():
    rng = np.random.default_rng(31)
    return _with_upstream(rng, forward_cases(rng))


def _fresh(rng):
    return _with_upstream(rng, forward_cases(rng, ((4, 4, 4, 4), (6, 3, 5, 2), (2, 5, 3, 3))))


@oracle
def _mistakes(X, W, b, V, c, dF):
    """name of the wrong gradient -> {likely mistake: wrong value}."""
    A = X @ W.T + b
    H = np.maximum(A, 0)
    dH = dF @ V
    dA = dH * (A > 0)
    summed = "is averaged over the batch; L = Σₙ ℓₙ, so it is a sum over n (any mean is already inside dF)."
    axis = "sums over the wrong axis: the sum runs over the examples n, the rows (axis=0)."
    order = "the gradients are returned in another order: return (dW, db, dV, dc)."
    return {
        "dW": {
            "the ReLU derivative is missing: multiply dL/dh by 1[a > 0] before going through W.": dH.T @ X,
            "dW is transposed: dL/dW has the shape (H, D) of W, entry [j, i] for w_ij (input i → hidden unit j).": X.T
            @ dA,
            "ReLU's derivative is taken at W x without the bias: the unit is on where a = W x + b > 0.": (
                dH * (X @ W.T > 0)
            ).T
            @ X,
            "ReLU is applied to the gradient. Its derivative 1[a > 0] multiplies dL/dh; it depends on the forward "
            "pass's a, not on the sign of the gradient.": np.maximum(dH, 0).T @ X,
            "dL/dh is multiplied by h = relu(a); ReLU's derivative is 1[a > 0], not relu(a).": (dH * H).T @ X,
            "dL/dh = dF V, shape (N, H): row n is Σ_k (dF)_nk v_kj. dF Vᵀ has that shape only when K = H.": (
                (dF @ V.T) * (A > 0)
            ).T
            @ X
            if V.shape[0] == V.shape[1]
            else None,
            order: dF.T @ H,
        },
        "db": {
            "db uses dL/dh without the ReLU derivative.": dH.sum(axis=0),
            f"db {summed}": dA.mean(axis=0),
            f"db {axis}": dA.sum(axis=1),
        },
        "dV": {
            "dV uses the pre-activation a instead of h = relu(a).": dF.T @ A,
            f"dV {summed}": dF.T @ H / len(X),
            "dV is transposed: Hᵀ dF has shape (H, K); dV has V's shape (K, H), dFᵀ H.": H.T @ dF,
            order: dA.T @ X,
        },
        "dc": {f"dc {summed}": dF.mean(axis=0), f"dc {axis}": dF.sum(axis=1)},
    }


@oracle
def _numeric(X, params, name, dF):
    perturbed = {k: np.array(v, dtype=np.float64) for k, v in params.items()}

    def scalar(_):
        return np.sum(mlp_forward(X, perturbed, g="relu", o="identity")[0] * dF)

    return numerical_gradient(scalar, perturbed[name])


def _judge(case, got):
    X, W, b, V, c, dF = case
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return f"return four gradients (dW, db, dV, dc); your function returned {describe(got)}."
    params = {"W": W, "b": b, "V": V, "c": c}
    for name, value in zip(_NAMES, got, strict=True):
        array = as_array(value, f"your {name}")
        if isinstance(array, str):
            return array
        target = params[name[1:]]
        if array.shape != target.shape:
            return (
                f"{name} has shape {array.shape}, but {name[1:]} has shape {target.shape}: a gradient always has "
                "the shape of what it differentiates."
            )
        numeric = _numeric(X, params, name[1:], dF)  # the gradient check itself
        error = rel_error(array, numeric)
        if not error < 1e-6:
            hint = next(
                (
                    s
                    for s, wrong in _mistakes(*case)[name].items()
                    if wrong is not None and np.shape(wrong) == array.shape and np.allclose(array, wrong)
                ),
                None,
            )
            with np.errstate(invalid="ignore"):  # a nan counts as the largest difference
                gap = np.nan_to_num(np.abs(array - numeric), nan=np.inf)
                index = np.unravel_index(int(np.argmax(gap)), array.shape) if array.ndim else ()
            return (
                f"{name} fails the gradient check for inputs {describe_case(case)}: rel_error {error:.1e} against "
                f"central differences (should be < 1e-6); the largest difference is at index {tuple(map(int, index))}:"
                f" expected {numeric[index]:.6g}, got {array[index]:.6g}."
                + (f" Likely mistake: {hint}" if hint else "")
            )
    return None


EXERCISES = [
    Exercise(
        number="3.1",
        target="backward",
        cases=_cases,
        fresh=_fresh,
        judge=_judge,
        passed="Exercise 3.1: dW, db, dV and dc pass the gradient check on all {n} cases.",
        references=("course_utils.mlp.mlp_backward",),
        fallback="course_utils.instructor.exercises.nb03.reference_backward",
    )
]
