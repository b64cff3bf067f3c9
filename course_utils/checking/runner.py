"""The runner every exercise shares, in the notebook and in the grader.

An exercise is declared once, as data (:class:`Exercise`, built in the instructor's
``course_utils/instructor/exercises/nbNN.py``): its visible cases, a generator of fresh ones, how to
call the student's answer on a case, and a ``judge`` that compares what came back with the reference
and names known mistakes. Running it has two halves:

* **call** (:func:`run_case`, in the student's kernel): the student's function on one case; what it
  returns is turned into *plain data* by :func:`~course_utils.checking.plain.encode`;
* **judge** (:func:`judge_case`, anywhere): decode the plain data, then the exercise's judge.

In a notebook, :func:`check` runs both halves in the kernel and raises :class:`ExerciseFailure`
(shown as its message alone, with no traceback). In grading only the call half runs in the student's
sandboxed kernel (``course_utils.checking.harness``); the grader decodes and judges.
Introduced in notebook 00 (welcome), through the checkers.
"""

from __future__ import annotations

import copy
import importlib
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.checking.judging import describe
from course_utils.checking.oracle import OracleMiss
from course_utils.checking.plain import Raised, decode, encode

__all__ = ["ExerciseFailure", "Exercise", "run_case", "judge_case", "check", "not_attempted", "use_fallback", "resolve"]


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
    keep_inputs: the student's function must leave its inputs unchanged (float arrays up to rounding: an entry
    changed and put back by arithmetic may end an ulp off). all_or_nothing: no partial credit.
    fallback: dotted name of the course's version of ``target``, which the notebook's later cells use
    until the student's passes (see :func:`check`); it counts as a reference too.
    examples(): a value exercise's answer and its known mistakes' values, for tests only (the student
    edition has none: ``lambda: []``).
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
    examples: Callable[[], list] | None = None

    def __post_init__(self) -> None:
        if self.fallback and self.fallback not in self.references:
            object.__setattr__(self, "references", (*self.references, self.fallback))
        if self.fallback and self.kind == "value":
            raise ValueError(f"exercise {self.number}: a fallback needs a function exercise, not kind={self.kind!r}")


# --- the two halves -------------------------------------------------------------------------------


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal, or for floats equal up to rounding: an entry changed and put back by arithmetic
    (``x[i] += eps``, later ``x[i] -= eps``) may end a few units in the last place off, and the caller
    cannot tell. The allowance, 64 ulps of the largest entry (at least of 1), is far below any real change."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if np.array_equal(a, b, equal_nan=True):
        return True
    if a.dtype.kind not in "fc" or a.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        scale = max(1.0, float(np.nanmax(np.abs(b))) if np.isfinite(b).any() else 1.0)
        allowance = 64 * np.finfo(a.dtype).eps * scale
        return bool(np.allclose(a, b, rtol=0, atol=allowance, equal_nan=True))


def _same(a: Any, b: Any) -> bool:
    """Whether an input is unchanged: compares arrays (and containers of them) by value, floats up to rounding."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and _same_array(a, b)
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
    try:
        message = exercise.judge(case, value)
    except OracleMiss as err:  # the student edition: the judge asked for an answer no visible case gave
        return (
            f"this answer cannot be judged here: the checker needs a value the student edition does not hold "
            f"({err}). Check the shape and the type of what your function returns."
        )
    if message is None and exercise.keep_inputs and changed:
        where = ", ".join(f"argument {i + 1}" for i in changed)
        return (
            f"the result is right, but your function changed its input in place ({where}) and did not put it "
            "back. Work on a copy and return a new object, or save each value you change and write it back: "
            "leave the inputs as they were, the caller still needs them."
        )
    return message


def resolve(dotted: str) -> Any:
    """The object a dotted name like "course_utils.layers.conv2d_forward" names, or None."""
    module, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


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


def not_attempted(exercise: Exercise, obj: Any, err: BaseException | None = None) -> bool:
    """Whether ``obj`` is the released placeholder, untouched: a value exercise still ``...``, or a function
    whose call raised the release's ``NotImplementedError("Exercise N.M: ...")``."""
    if exercise.kind == "value":
        return obj is Ellipsis
    return isinstance(err, NotImplementedError) and str(err).startswith(f"Exercise {exercise.number}:")


def check(exercise: Exercise, obj: Any, namespace: dict | None = None) -> None:
    """In the notebook: run every visible case, raise ExerciseFailure at the first wrong one, else print.

    An exercise not attempted yet (the released placeholder, see :func:`not_attempted`) prints one line,
    puts the course's version in place when the exercise has a fallback, and does not raise, so that
    *Run All* reaches the end of the notebook. On a wrong answer, or an error raised by the student's
    function (re-raised as it is, so its traceback points at their line), the course's version replaces
    the target in ``namespace`` (by default the notebook's globals) and one line says so.
    """
    __tracebackhide__ = True  # IPython and pytest hide this frame in tracebacks
    namespace = _notebook_namespace() if namespace is None else namespace
    if not_attempted(exercise, obj):
        print(f"Exercise {exercise.number}: not attempted yet (write your answer in place of the `...` above).")
        return
    cases = exercise.cases()
    for case in cases:
        try:
            tree, arrays = encode(run_case(exercise, obj, case))
            message = judge_case(exercise, case, decode(tree, arrays))
        except Exception as err:
            notice = use_fallback(exercise, namespace)
            if not_attempted(exercise, obj, err):
                print(f"Exercise {exercise.number}: not attempted yet. {notice or 'The notebook goes on without it.'}")
                return
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
