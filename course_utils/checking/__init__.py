"""The student side of the exercises: the runner that calls a student's answer and judges it.

* :mod:`~course_utils.checking.plain`: what crosses from the kernel to the judge (plain data);
* :mod:`~course_utils.checking.judging`: helpers judges share (``compare`` names the likely mistake);
* :mod:`~course_utils.checking.runner`: :class:`Exercise`, ``run_case``, ``judge_case``, ``check``;
* :mod:`~course_utils.checking.registry`: an exercise by its number;
* :mod:`~course_utils.checking.harness`: the grader's call half, run in the student's sandboxed kernel.

The names below are re-exported for the exercise definitions. Notebooks call the checkers of
:mod:`course_utils.checks`. Introduced in notebook 00 (welcome).
"""

from course_utils.checking.judging import as_array, compare, describe, describe_case
from course_utils.checking.plain import Opaque, Raised, Tensor, decode, encode, load_plain, save_plain
from course_utils.checking.runner import (
    Exercise,
    ExerciseFailure,
    check,
    judge_case,
    not_attempted,
    resolve,
    run_case,
    use_fallback,
)

__all__ = [
    "Exercise",
    "ExerciseFailure",
    "Opaque",
    "Raised",
    "Tensor",
    "as_array",
    "check",
    "compare",
    "decode",
    "describe",
    "describe_case",
    "encode",
    "judge_case",
    "load_plain",
    "not_attempted",
    "resolve",
    "run_case",
    "save_plain",
    "use_fallback",
]
