"""Exercise 3.2 (notebook 03, the gradient check): central differences, written by the student.

The student writes ``numerical_gradient(f, x, eps)``: the central difference (f(x + eps eᵢ) − f(x − eps eᵢ)) / (2 eps)
for every entry i of x, an array of x's shape, with x as it was when the function returns. A case is plain data
(the name of a test function, x, eps); the function itself is built in the kernel by ``call``.
"""

from __future__ import annotations

import numpy as np

from course_utils import gradcheck
from course_utils.checking import Exercise, as_array, compare, describe
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "numerical_gradient", "TEST_FUNCTIONS"]


def numerical_gradient(f, x, eps=1e-6):
    """The course's version of 3.2 (its fallback): the gradient of the scalar f at x, by the course's
    ``gradcheck.numerical_gradient`` (in the student edition the five-point stencil, not 3.2's answer).

    x: float64 array of any shape (changed one entry at a time, and restored). Returns an array of x's shape.
    """
    return gradcheck.numerical_gradient(f, np.asarray(x, dtype=np.float64), eps)


def _coupled_cubic(x):
    """Σ x³/3 + (Σ x)²/2: curved (so a one-sided difference is off by O(eps)) and coupled (so is a shifted x)."""
    return float(np.sum(x**3) / 3 + np.sum(x) ** 2 / 2)


_NET_X, _NET_V = np.array([0.5, -1.0, 2.0]), np.array([1.5, -2.0])


def _tanh_net_loss(W):
    """The lecture's network with g = tanh, as a function of W (2, 3): (V tanh(W x) − 1)²."""
    return float((_NET_V @ np.tanh(W @ _NET_X) - 1.0) ** 2)


TEST_FUNCTIONS = {"coupled cubic": _coupled_cubic, "tanh network loss of W": _tanh_net_loss}


def _call(answer, case):
    name, x, eps = case
    return answer(TEST_FUNCTIONS[name], x, eps)


@oracle
def _simulate(f, x, eps, *, scheme="central", step=None, restore=True):
    """What a (possibly wrong) loop computes, on a copy of x."""
    x = np.array(x, dtype=np.float64)
    step = eps if step is None else step
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + step
        plus = f(x)
        flat[i] = original - step if restore else flat[i] - 2 * step
        minus = f(x)
        if restore:
            flat[i] = original
        if scheme == "forward":
            flat[i] = original
            out[i] = (plus - f(x)) / step
        elif scheme == "over eps":
            out[i] = (plus - minus) / step
        else:
            out[i] = (plus - minus) / (2 * step)
    return grad


@oracle
def _by_rows(f, x, eps):
    """A loop over the first axis only: a whole row of a matrix x moves at once."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        original = x[i].copy()
        x[i] = original + eps
        plus = f(x)
        x[i] = original - eps
        minus = f(x)
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@oracle
def _all_at_once(f, x, eps):
    return np.full(np.shape(x), (f(x + eps) - f(x - eps)) / (2 * eps))


def _fixed_step(f, x, eps, got) -> dict:
    """{the fixed-step mistake: its result}, for the power of ten closest to what ``got`` is the result of:
    several steps can agree to the tolerance (central differences are O(step²)), so the closest one is named."""
    steps = [10.0**-k for k in range(1, 10) if not np.isclose(10.0**-k, eps, rtol=1e-9, atol=0)]
    results = {step: _simulate(f, x, eps, step=step) for step in steps}
    with np.errstate(invalid="ignore"):
        step = min(steps, key=lambda s: float(np.nan_to_num(np.max(np.abs(results[s] - got)), nan=np.inf)))
    return {
        f"the step eps given as the third argument is not used (the result matches a fixed step of {step:g}, "
        f"the case's eps is {eps:g}); step by eps.": results[step]
    }


def _judge(case, got):
    name, x, eps = case
    f = TEST_FUNCTIONS[name]
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    array = as_array(got, "your function")
    if isinstance(array, str):
        return array
    expected = _simulate(f, x, eps)
    if array.shape != x.shape:
        flat = " (flattened: return it in x's shape)" if array.size == x.size else ""
        return (
            f"for {name} at x of shape {x.shape} your function returned {describe(got)}{flat}: the gradient has one "
            "entry per entry of x, in x's shape (np.zeros_like(x), and loop over every index, e.g. np.ndindex)."
        )
    description = f"f = {name}, x of shape {x.shape}, eps = {eps:g}"
    return compare(
        array,
        expected,
        description,
        what="the gradient",
        mistakes={
            "a one-sided difference (f(x + eps eᵢ) − f(x)) / eps: its error is O(eps), the central difference's "
            "O(eps²). Step both ways, (f(x + eps eᵢ) − f(x − eps eᵢ)) / (2 eps).": _simulate(
                f, x, eps, scheme="forward"
            ),
            "the difference is divided by eps; the two points are 2 eps apart, so divide by 2 eps.": _simulate(
                f, x, eps, scheme="over eps"
            ),
            "x is not restored after each entry: entry i is left at x_i − eps, so every later entry is measured at "
            "a shifted point (and the caller's x is changed). Put the original value back before the next i.": (
                _simulate(f, x, eps, restore=False)
            ),
            "every entry is moved at once (x + eps): that measures the slope along (1, 1, …), not ∂f/∂x_i. "
            "Move one entry at a time.": _all_at_once(f, x, eps),
            "every entry of the gradient is 0: f is evaluated twice at the same point. Perturb the array you pass "
            "to f (changing a copy of x, or a Python float read from it, does not change what f sees).": (
                np.zeros_like(expected)
            ),
            "a whole row moves at once: `for i in range(len(x))` visits the rows of a matrix, not its entries. "
            "Visit every index, e.g. `for index in np.ndindex(x.shape)`.": _by_rows(f, x, eps) if x.ndim > 1 else None,
            **_fixed_step(f, x, eps, array),
        },
        rtol=1e-6,
        atol=1e-9,
    )


def _cases():
    rng = np.random.default_rng(32)
    return [
        ("coupled cubic", np.array([1.0, -2.0, 0.5]), 1e-3),
        ("tanh network loss of W", rng.normal(size=(2, 3)), 1e-3),
        ("coupled cubic", rng.normal(size=(2, 2)), 0.1),
        ("tanh network loss of W", rng.normal(size=(2, 3)), 1e-6),
    ]


def _fresh(rng):
    return [
        ("coupled cubic", rng.normal(size=int(rng.integers(2, 6))), 1e-2),
        ("tanh network loss of W", rng.normal(size=(2, 3)), 1e-4),
        ("coupled cubic", rng.normal(size=(3, 2)), 0.05),
    ]


EXERCISES = [
    Exercise(
        number="3.2",
        target="numerical_gradient",
        cases=_cases,
        fresh=_fresh,
        judge=_judge,
        call=_call,
        passed="Exercise {number}: your central differences agree on all {n} cases.",
        references=("course_utils.gradcheck.numerical_gradient", "course_utils.gradcheck.check_gradients"),
        fallback="course_utils.instructor.exercises.nb03b.numerical_gradient",
    )
]
