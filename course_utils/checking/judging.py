"""Helpers for judges: describe what came back, read it as an array, compare with the expected value and name
the likely mistake. Introduced in notebook 00 (welcome), through the checkers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checking.plain import Opaque, Tensor

__all__ = ["describe", "as_array", "describe_case", "compare"]


def describe(value: Any) -> str:
    """A short description of what came back, for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Tensor):
        return f"a torch tensor of shape {value.array.shape}"
    if isinstance(value, Opaque):
        return f"{value.type} {value.repr}"[:200]
    return f"{type(value).__name__} {value!r}"[:200]


def as_array(value: Any, what: str = "your function") -> np.ndarray | str:
    """``value`` as a float64 array, or the message saying why it cannot be one."""
    if value is None:
        return f"{what} returned None. Did you forget the `return` statement?"
    if isinstance(value, str):  # numpy would happily turn "784" into 784.0
        return f"{what} returned the text {value!r}; return a number, not a string."
    if isinstance(value, Tensor):
        value = value.array
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{what} returned {describe(value)}, which is not a number or an array of numbers."


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, precision=4, separator=", ").replace("\n", "")
        return f"<array {tuple(value.shape)}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_case(case: tuple) -> str:
    """The inputs of a case on one line: small arrays written out, large ones by their shape."""
    return "(" + ", ".join(_short(arg) for arg in case) + ")"


def compare(
    got: Any,
    expected: Any,
    case: tuple | str,
    *,
    what: str = "the result",
    mistakes: dict[str, Any] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> str | None:
    """None if ``got`` equals ``expected`` (within rtol/atol), else a short message.

    The message names the case (inputs on one line, or ``case`` itself if it is a str), the first
    differing index with the expected and the returned value there, the largest difference, and the
    likely mistake: the first entry of ``mistakes`` (sentence -> the wrong answer that mistake gives,
    or a function computing it) that ``got`` matches.
    """
    array = as_array(got, "your function" if what == "the result" else what)
    if isinstance(array, str):
        return array
    expected = np.asarray(expected, dtype=np.float64)
    call = f"for {case}" if isinstance(case, str) else f"for inputs {describe_case(case)}"
    if array.shape == expected.shape and np.allclose(array, expected, rtol=rtol, atol=atol):
        return None
    hint = _recognise(array, mistakes, rtol, atol)
    tail = f" Likely mistake: {hint}" if hint else ""
    if array.shape != expected.shape:
        return f"{call} {what} has shape {array.shape}, expected {expected.shape}.{tail}"
    if not hint and not np.isfinite(array).all():
        tail = f" Likely mistake: {what} has inf or nan values: look for an overflow (exp of a large number) or 0/0."
    if array.shape == ():
        return f"{call} {what} is {array.item():.6g}, expected {expected.item():.6g}.{tail}"
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(array)
        largest = float(np.max(np.abs(array - expected)[finite])) if finite.all() else float("inf")
    return (
        f"{call} {what} differs first at index {index}: expected {expected[index]:.6g}, got {array[index]:.6g} "
        f"({int((~close).sum())} of {close.size} entries differ; the largest difference is {largest:.3g}).{tail}"
    )


def _recognise(got: np.ndarray, mistakes: dict[str, Any] | None, rtol: float, atol: float) -> str | None:
    for sentence, wrong in (mistakes or {}).items():
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(wrong() if callable(wrong) else wrong, dtype=np.float64)
        except Exception:  # a mistake that cannot be computed on this case is simply not it
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True):
            return sentence
    return None
