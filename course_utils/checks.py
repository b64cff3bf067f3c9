"""Exercise checkers: run the student's function on cases with known answers.

Introduced in notebook 00 (welcome); every notebook's exercises end with a
call to one of these.

A checker accepts anything the student's function returns (None, a list, a
numpy array, a torch tensor, the wrong shape) and answers with an
``AssertionError`` whose message says what was expected, what came back and,
where it recognises it, the likely mistake. On success it prints one line.
Errors raised by the student's own code are left alone, so the traceback
points at the student's line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ExerciseFailure",
    "to_array",
    "check_cases",
    "check_flat_length",
    "check_forward_batch",
]


class ExerciseFailure(AssertionError):
    """A wrong answer to an exercise. An AssertionError, so ``assert``-style tooling treats it alike."""


def _fail(exercise: str, message: str) -> None:
    # `from None`: the student sees our message, not the checker's internals.
    raise ExerciseFailure(f"Exercise {exercise}: {message}") from None


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def to_array(value: Any, exercise: str, what: str = "your function") -> np.ndarray:
    """``value`` as a float64 numpy array, or an ExerciseFailure saying why it cannot be one."""
    if value is None:
        _fail(exercise, f"{what} returned None. Did you forget the `return` statement?")
    if isinstance(value, (str, bytes)):  # numpy would happily turn "784" into 784.0
        _fail(exercise, f"{what} returned the text {value!r}; return a number, not a string.")
    if hasattr(value, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(exercise, f"{what} returned {_describe(value)}, which is not a number or an array of numbers.")
    return array


def _show(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=4, threshold=12, edgeitems=2, suppress_small=True)


def check_cases(
    exercise: str,
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[tuple],
    mistakes: dict[str, Callable[..., Any]] | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    quiet: bool = False,
) -> None:
    """Compare ``student_fn(*case)`` with ``reference_fn(*case)`` for every case.

    Args:
        exercise: "N.M", used in every message.
        student_fn: the student's function.
        reference_fn: the correct function.
        cases: argument tuples, simplest first (the first failing one is reported).
        mistakes: likely mistake (a sentence) -> a function computing that wrong answer.
            When the student's output matches one of them, the message names it.
        rtol, atol: tolerances of ``np.allclose``.
        quiet: do not print the success line.
    """
    if not callable(student_fn):
        _fail(exercise, f"expected a function, got {_describe(student_fn)}.")
    for args in cases:
        expected = np.asarray(reference_fn(*args), dtype=np.float64)
        got = to_array(student_fn(*args), exercise)
        call = f"for inputs {_format_args(args)}"
        if got.shape != expected.shape:
            hint = _recognise(got, args, mistakes, rtol, atol)
            _fail(
                exercise,
                f"{call} the result has shape {got.shape}, expected {expected.shape}."
                + (f" Likely mistake: {hint}" if hint else ""),
            )
        if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
            hint = _recognise(got, args, mistakes, rtol, atol)
            if not np.all(np.isfinite(got)) and not hint:
                hint = (
                    "the result has inf or nan values: look for an overflow (exp of a large number) or 0/0."
                )
            _fail(
                exercise,
                f"{call} expected\n{_show(expected)}\nbut got\n{_show(got)}"
                + (f"\nLikely mistake: {hint}" if hint else ""),
            )
    if not quiet:
        print(f"Exercise {exercise}: all {len(cases)} checks passed.")


def _format_args(args: tuple) -> str:
    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray) or hasattr(arg, "shape"):
            parts.append(f"<array of shape {tuple(arg.shape)}>")
        else:
            parts.append(repr(arg))
    return "(" + ", ".join(parts) + ")"


def _recognise(got: np.ndarray, args: tuple, mistakes, rtol: float, atol: float) -> str | None:
    """The first known mistake whose output matches the student's, if any."""
    for sentence, wrong_fn in (mistakes or {}).items():
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(wrong_fn(*args), dtype=np.float64)
        except Exception:  # a mistake that cannot be computed on this case is simply not it
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True):
            return sentence
    return None


# --- notebook 00 -------------------------------------------------------------------------------


def check_flat_length(flat_length: Callable[[int, int, int], Any]) -> None:
    """Exercise 0.1: the length of an H x W image with C channels once flattened into a vector."""
    check_cases(
        "0.1",
        flat_length,
        lambda h, w, c: h * w * c,
        cases=[(28, 28, 1), (32, 32, 3), (5, 7, 2), (1, 1, 1)],
        mistakes={
            "the channels are left out: a colour image has C numbers per pixel.": lambda h, w, c: h * w,
            "the sizes are added; a flattened image has one entry per (row, column, channel), "
            "so they multiply.": lambda h, w, c: h + w + c,
            "only one side is used, as if images were square.": lambda h, w, c: h * h * c,
        },
    )


# --- notebook 01 -------------------------------------------------------------------------------


def _relu(a):
    return np.maximum(a, 0)


def _forward_cases(rng: np.random.Generator) -> list[tuple]:
    """(X, W, b, V, c) cases; the square one first, so that transposes give wrong values, not errors."""
    cases = []
    for n, d, h, k in ((3, 3, 3, 3), (1, 3, 2, 1), (5, 3, 2, 1), (4, 6, 5, 2)):
        cases.append(
            (
                rng.normal(size=(n, d)),
                rng.normal(size=(h, d)),
                rng.normal(size=h),
                rng.normal(size=(k, h)),
                rng.normal(size=k),
            )
        )
    return cases


def check_forward_batch(forward_batch: Callable) -> None:
    """Exercise 1.1: Y = relu(X W^T + b) V^T + c for a batch X (N, D); Y is (N, K)."""
    check_cases(
        "1.1",
        forward_batch,
        lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T + c,
        _forward_cases(np.random.default_rng(11)),
        mistakes={
            "W is used transposed: with inputs as rows of X, the hidden layer is X @ W.T (each row of W "
            "holds one hidden unit's weights).": lambda X, W, b, V, c: _relu(X @ W + b) @ V.T + c,
            "V is used transposed: the output is H @ V.T.": lambda X, W, b, V, c: _relu(X @ W.T + b) @ V + c,
            "the activation g is missing: apply relu to X @ W.T + b before multiplying by V.": (
                lambda X, W, b, V, c: (X @ W.T + b) @ V.T + c
            ),
            "relu is applied to the output as well; the output here is the identity.": (
                lambda X, W, b, V, c: _relu(_relu(X @ W.T + b) @ V.T + c)
            ),
            "the bias b is added along the wrong axis: b has one entry per hidden unit, so it is added to "
            "every row (X @ W.T + b broadcasts it that way).": (
                lambda X, W, b, V, c: _relu(X @ W.T + b[:, None]) @ V.T + c
            ),
            "the bias b is added after the activation: it belongs inside, relu(X @ W.T + b).": (
                lambda X, W, b, V, c: (_relu(X @ W.T) + b) @ V.T + c
            ),
            "the bias b is missing.": lambda X, W, b, V, c: _relu(X @ W.T) @ V.T + c,
            "the bias c is missing.": lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T,
        },
    )
