"""Where the student side finds an exercise's definition by its number ("N.M").

This is the one place where the student side reads the instructor's exercise definitions
(``course_utils/instructor/exercises/``): the in-notebook checkers and the grading harness look an
exercise up here. ``tests/test_boundary.py`` lists it as the boundary's one exception, until the
student edition's checkers read data baked at release instead. Introduced in notebook 00 (welcome).
"""

from __future__ import annotations

from typing import Any

from course_utils.checking.runner import Exercise
from course_utils.checking.runner import check as run_check

__all__ = ["get", "check", "numbers"]


def _definitions() -> dict[str, Exercise]:
    from course_utils.instructor.exercises import EXERCISES  # the listed exception (see the docstring)

    return EXERCISES


def numbers() -> list[str]:
    """Every exercise number the course has, in order."""
    return list(_definitions())


def get(number: str) -> Exercise:
    """The exercise numbered ``number`` ("N.M"); KeyError naming the known numbers if there is none."""
    exercises = _definitions()
    try:
        return exercises[number]
    except KeyError:
        raise KeyError(f"no exercise {number!r}; the course has {', '.join(exercises)}") from None


def check(number: str, answer: Any) -> None:
    """Check the student's ``answer`` (a function, or a value) to exercise ``number`` on its visible cases."""
    __tracebackhide__ = True
    run_check(get(number), answer)
