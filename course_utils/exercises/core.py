"""The runner every exercise shares, in the notebook and in the grader.

An exercise is declared once, as data (:class:`Exercise`): its visible cases, a generator of fresh
ones, how to call the student's answer on a case, and a ``judge`` that compares what came back with
the reference and names known mistakes. Running it has two halves:

* **call** (:func:`run_case`, in the student's kernel): the student's function on one case; what it
  returns is turned into *plain data* (numbers, strings, numpy arrays, tuples/lists/dicts of them; a
  torch tensor becomes an array plus its ``requires_grad`` flag) by :func:`encode`;
* **judge** (:func:`judge_case`, anywhere): :func:`decode` the plain data, then the exercise's judge.

In a notebook, :func:`check` runs both halves in the kernel and raises :class:`ExerciseFailure`
(shown as its message alone, with no traceback). In grading only the call half runs in the student's
sandboxed kernel (``course_utils.exercises.harness``); the grader decodes and judges.
"""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ExerciseFailure",
    "Exercise",
    "Tensor",
    "Raised",
    "Opaque",
    "encode",
    "decode",
    "save_plain",
    "load_plain",
    "run_case",
    "judge_case",
    "check",
    "use_fallback",
    "as_array",
    "compare",
    "describe",
    "describe_case",
]


class ExerciseFailure(AssertionError):
    """A wrong answer. IPython shows only the message (no checker internals), via ``_render_traceback_``."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mExerciseFailure\x1b[0m: {self}"]


@dataclass(frozen=True)
class Exercise:
    """One exercise, declared once.

    number: "N.M". target: the name the student's cell defines (a function, or a value if ``kind`` is
    "value"). cases(): the visible cases (tuples of plain data), the ones the notebook's checker runs.
    fresh(rng): cases drawn anew for grading (other shapes, values). judge(case, result): None when
    ``result`` (plain data, see :func:`decode`) is right for ``case``, else the message for the student.
    passed: the success line, ``{n}`` standing for the number of cases. references: dotted names of the
    course's own implementations of this answer, which a graded solution may not call. call(obj, case):
    how to apply the student's object to a case in the kernel (default ``obj(*case)``).
    keep_inputs: the student's function must leave its inputs unchanged. all_or_nothing: no partial credit.
    fallback: dotted name of the course's version of ``target``, which the notebook's later cells use
    until the student's passes (see :func:`check`); it counts as a reference too.
    """

    number: str
    target: str
    cases: Callable[[], list[tuple]]
    fresh: Callable[[np.random.Generator], list[tuple]]
    judge: Callable[[tuple, Any], str | None]
    passed: str = "Exercise {number}: all {n} checks passed."
    references: tuple[str, ...] = ()
    kind: str = "function"
    call: Callable[[Any, tuple], Any] | None = None
    keep_inputs: bool = True
    all_or_nothing: bool = False
    fallback: str = ""

    def __post_init__(self) -> None:
        if self.fallback and self.fallback not in self.references:
            object.__setattr__(self, "references", (*self.references, self.fallback))
        if self.fallback and self.kind == "value":
            raise ValueError(f"exercise {self.number}: a fallback needs a function exercise, not kind={self.kind!r}")


# --- plain data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    """A torch tensor that came back, as plain data."""

    array: np.ndarray
    requires_grad: bool


@dataclass(frozen=True)
class Raised:
    """The student's function raised instead of returning."""

    type: str
    message: str


@dataclass(frozen=True)
class Opaque:
    """Something that is not plain data (a function, a module, ...): only its type and repr come back."""

    type: str
    repr: str


_MAX_DEPTH = 6


def encode(value: Any, arrays: list[np.ndarray] | None = None, depth: int = 0) -> tuple[Any, list[np.ndarray]]:
    """(tree, arrays): ``value`` as a JSON-able tree whose arrays are stored by index in ``arrays``."""
    arrays = [] if arrays is None else arrays

    def array(a: np.ndarray, **extra) -> dict:
        a = np.asarray(a)
        if a.dtype == object or a.dtype.kind not in "biufc":
            return {"t": "opaque", "type": f"array of {a.dtype}", "repr": repr(a)[:200]}
        arrays.append(a)
        return {"t": "array", "i": len(arrays) - 1, **extra}

    if value is None:
        return {"t": "none"}, arrays
    if isinstance(value, Raised):
        return {"t": "raised", "type": value.type, "message": value.message}, arrays
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}, arrays
    if isinstance(value, (int, float, np.integer, np.floating)):
        return array(np.asarray(value), scalar=True), arrays
    if isinstance(value, str):
        return {"t": "str", "v": value[:2000]}, arrays
    if isinstance(value, np.ndarray):
        return array(value), arrays
    if hasattr(value, "detach") and hasattr(value, "requires_grad"):  # a torch tensor
        return array(value.detach().cpu().numpy(), tensor=bool(value.requires_grad)), arrays
    if depth < _MAX_DEPTH and isinstance(value, (tuple, list)):
        items = [encode(item, arrays, depth + 1)[0] for item in value[:1000]]
        return {"t": "tuple" if isinstance(value, tuple) else "list", "items": items}, arrays
    if depth < _MAX_DEPTH and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {
            "t": "dict",
            "items": {k: encode(v, arrays, depth + 1)[0] for k, v in list(value.items())[:1000]},
        }, arrays
    try:
        text = repr(value)[:200]
    except Exception:  # a broken __repr__ is the student's, not ours
        text = "?"
    return {"t": "opaque", "type": type(value).__name__, "repr": text}, arrays


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """The plain value behind ``encode``'s tree (Tensor, Raised and Opaque for what is not a plain value)."""
    kind = tree.get("t")
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        return tree["v"]
    if kind == "array":
        a = np.asarray(arrays[tree["i"]])
        if tree.get("scalar"):
            return a.item()
        return Tensor(a, bool(tree["tensor"])) if "tensor" in tree else a
    if kind in ("tuple", "list"):
        items = [decode(item, arrays) for item in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in tree["items"].items()}
    if kind == "raised":
        return Raised(tree["type"], tree["message"])
    return Opaque(tree.get("type", "?"), tree.get("repr", "?"))


def save_plain(path, value: Any) -> None:
    """Write ``value`` (plain data) to ``path`` as one .npz file; nothing is pickled."""
    tree, arrays = encode(value)
    with open(path, "wb") as handle:
        np.savez(handle, __tree__=np.array(json.dumps(tree)), **{f"a{i}": a for i, a in enumerate(arrays)})


def load_plain(path) -> Any:
    """Read what :func:`save_plain` wrote, refusing pickles (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as data:
        tree = json.loads(str(data["__tree__"]))
        arrays = [data[f"a{i}"] for i in range(sum(k.startswith("a") for k in data.files))]
    return decode(tree, arrays)


# --- the two halves -------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Whether an input is unchanged: compares arrays (and containers of them) by value."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if hasattr(a, "detach"):
        return hasattr(b, "detach") and bool((a.detach() == b.detach()).all())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def run_case(exercise: Exercise, obj: Any, case: tuple) -> dict:
    """The call half: apply the student's ``obj`` to ``case``; return {"value", "changed"} as plain data.

    Errors raised by the student's code propagate (so the notebook's traceback points at their line).
    ``changed`` lists the positions of the arguments the call modified in place.
    """
    if exercise.kind == "value":
        return {"value": obj, "changed": []}
    if not callable(obj):
        raise ExerciseFailure(f"Exercise {exercise.number}: expected a function, got {describe(obj)}.")
    args = copy.deepcopy(case)
    with np.errstate(all="ignore"):  # overflow shows in the result, which the judge explains
        value = exercise.call(obj, args) if exercise.call else obj(*args)
    changed = [i for i, (a, b) in enumerate(zip(args, case, strict=True)) if not _same(a, b)]
    return {"value": value, "changed": changed}


def judge_case(exercise: Exercise, case: tuple, outcome: Any) -> str | None:
    """The judge half: None if ``outcome`` (decoded plain data from :func:`run_case`) is right, else why not."""
    if isinstance(outcome, Raised):
        return f"your function raised {outcome.type}: {outcome.message}"[:500]
    if not isinstance(outcome, dict) or "value" not in outcome:
        return f"the answer could not be read ({describe(outcome)})."
    value, changed = outcome["value"], outcome.get("changed") or []
    message = exercise.judge(case, value)
    if message is None and exercise.keep_inputs and changed:
        where = ", ".join(f"argument {i + 1}" for i in changed)
        return (
            f"the result is right, but your function changed its input in place ({where}). Work on a copy "
            "and return a new object; leave the inputs as they were: the caller still needs them."
        )
    return message


def _notebook_namespace() -> dict | None:
    """The running notebook's global names, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def use_fallback(exercise: Exercise, namespace: dict | None) -> str | None:
    """Bind the course's version of the exercise's target in ``namespace``; the one-line notice, or None.

    A student who has not (yet) solved an exercise is never stuck: the cells after it run with the
    course's version, and the notice says so. Running their own (fixed) cell binds their name again.
    """
    if not exercise.fallback or namespace is None:
        return None
    from course_utils.exercises.harness import resolve  # harness imports this module

    reference = resolve(exercise.fallback)
    if reference is None:
        raise RuntimeError(f"exercise {exercise.number}: its fallback {exercise.fallback!r} does not exist")
    namespace[exercise.target] = reference
    return f"Using the course's `{exercise.target}` in the cells below until yours passes {exercise.number}."


_COURSE_CODE = str(Path(__file__).resolve().parent.parent)


def _from_student_code(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without its leading frames in the course's code (the checker calling the student's
    function): the student's traceback starts at their own line and keeps everything below it."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_COURSE_CODE):
        tb = tb.tb_next
    return tb


def check(exercise: Exercise, obj: Any, namespace: dict | None = None) -> None:
    """In the notebook: run every visible case, raise ExerciseFailure at the first wrong one, else print.

    On a wrong answer, or an error raised by the student's function (re-raised as it is, so its
    traceback points at their line), the course's version replaces the target in ``namespace`` (by
    default the notebook's globals) when the exercise has a fallback, and one line says so.
    """
    __tracebackhide__ = True  # IPython and pytest hide this frame in tracebacks
    cases = exercise.cases()
    namespace = _notebook_namespace() if namespace is None else namespace
    for case in cases:
        try:
            tree, arrays = encode(run_case(exercise, obj, case))
            message = judge_case(exercise, case, decode(tree, arrays))
        except Exception as err:
            notice = use_fallback(exercise, namespace)
            if notice:
                print(notice)
            student = _from_student_code(err.__traceback__)
            if student is None:  # raised by the course's code itself: keep the whole traceback
                raise
            raise err.with_traceback(student)  # noqa: B904 (the same error again, its cause unchanged)
        if message:
            notice = use_fallback(exercise, namespace)
            tail = f"\n{notice}" if notice else ""
            raise ExerciseFailure(f"Exercise {exercise.number}: {message}{tail}") from None
    print(exercise.passed.format(number=exercise.number, n=len(cases)))


# --- helpers for judges ---------------------------------------------------------------------------


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
