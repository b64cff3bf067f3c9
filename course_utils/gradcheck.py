"""Numerical gradients and the gradient check that *asserts*.

Introduced in notebook 03 (backprop); notebooks 06–08 check every layer with it.

The idea: for a scalar function f and a small h, the central difference

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h)

has error O(h²). In float64 with h = 1e-6 it agrees with a correct analytic
gradient to about 1e-9 relative error, so ``rel_error < 1e-7`` separates
right from wrong.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "check_gradients", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def _float64_input(x) -> None:
    """Refuse what a gradient check cannot use: a numerical gradient needs float64 (also the edition's swap)."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(
            f"x must be a float64 numpy array (float32 is too coarse for a gradient check), "
            f"got {type(x).__name__} {getattr(x, 'dtype', '')}"
        )


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    Args:
        f: called as ``f(x)``; must read ``x`` (which is changed in place, one
            entry at a time, and restored) and return a scalar.
        x: float64 array of any shape.
        h: step size.
    Returns:
        array of x's shape: the estimate of ∂f/∂x.
    """
    _float64_input(x)
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views: writing them writes x and grad
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        f_plus = float(f(x))
        flat_x[i] = original - h
        f_minus = float(f(x))
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    """max |a − b| / (max |a| + max |b|): 0 when equal, about 1 when unrelated.

    Scaled by the largest entries rather than entry by entry, so that an entry
    that is truly 0 (a ReLU that is off) next to its numerical estimate of
    1e-11 does not count as a 100 % error. 0 when both are all zeros. inf when either holds a nan
    or an inf: such a gradient agrees with nothing (and ``error < tolerance`` must then be False).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    scale = np.max(np.abs(a)) + np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else 0.0


def check_gradients(
    forward: Callable,
    backward: Callable,
    inputs: dict[str, np.ndarray],
    rng: np.random.Generator,
    *,
    tol: float = 1e-7,
    h: float = 1e-6,
) -> dict[str, float]:
    """Check a ``forward``/``backward`` pair against numerical gradients; raise if any disagrees.

    The pair follows the course's layer convention:
    ``out, cache = forward(**inputs)`` and ``grads = backward(dout, cache)``,
    where ``grads`` is a tuple in the order of ``inputs`` (or a dict keyed by
    the same names, or one array when there is one input).

    The scalar checked is ``sum(out * dout)`` for a fixed random ``dout``, whose
    gradient with respect to each input is exactly what backward computes.

    Args:
        inputs: name -> float64 array; each is perturbed in turn.
        rng: generator for ``dout``.
        tol: largest rel_error accepted.
    Returns:
        name -> rel_error, when all are below ``tol``.
    Raises:
        GradientCheckError naming the worst input and its error.
    """
    inputs = {name: np.array(value, dtype=np.float64) for name, value in inputs.items()}
    out, cache = forward(**inputs)
    dout = rng.standard_normal(np.shape(out))
    analytic = backward(dout, cache)
    names = list(inputs)
    if isinstance(analytic, dict):
        missing = [name for name in names if name not in analytic]
        if missing:
            raise GradientCheckError(f"backward returned no gradient for {missing}")
        analytic = [analytic[name] for name in names]
    elif len(names) == 1 and not isinstance(analytic, (tuple, list)):
        analytic = [analytic]
    if len(analytic) != len(names):
        raise GradientCheckError(f"backward returned {len(analytic)} gradients for the {len(names)} inputs {names}")

    errors = {}
    for name, grad in zip(names, analytic, strict=True):
        if np.shape(grad) != inputs[name].shape:
            raise GradientCheckError(f"d{name} has shape {np.shape(grad)}, but {name} has shape {inputs[name].shape}")

        def scalar(_, name=name):
            return np.sum(forward(**inputs)[0] * dout)

        numeric = numerical_gradient(scalar, inputs[name], h=h)
        errors[name] = rel_error(grad, numeric)
    bad = {name: err for name, err in errors.items() if not err < tol}
    if bad:
        worst = max(bad, key=bad.get)
        raise GradientCheckError(
            f"the gradient with respect to {worst} is wrong: rel_error {bad[worst]:.2e} > {tol:.0e} "
            f"(all errors: {', '.join(f'{k} {v:.1e}' for k, v in errors.items())})"
        )
    return errors
