"""The course's exercises, each declared once (one module per notebook), and the checker that runs them.

    from course_utils.exercises import check
    check("5.1", to_vectors)      # in a notebook: raises ExerciseFailure naming the mistake, or prints a line

``EXERCISES`` maps "N.M" to its :class:`~course_utils.exercises.core.Exercise`. The grader
(``course_utils.grading``) uses the same declarations, but judges outside the student's kernel.
"""

from __future__ import annotations

from typing import Any

from course_utils.exercises import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb08b, nb09, nb10
from course_utils.exercises.core import Exercise, ExerciseFailure
from course_utils.exercises.core import check as _check

__all__ = ["EXERCISES", "Exercise", "ExerciseFailure", "check", "get"]

EXERCISES: dict[str, Exercise] = {
    exercise.number: exercise
    for module in (nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb08b, nb09, nb10)
    for exercise in module.EXERCISES
}


def get(number: str) -> Exercise:
    """The exercise numbered ``number`` ("N.M"); KeyError naming the known numbers if there is none."""
    try:
        return EXERCISES[number]
    except KeyError:
        raise KeyError(f"no exercise {number!r}; the course has {', '.join(EXERCISES)}") from None


def check(number: str, answer: Any) -> None:
    """Check the student's ``answer`` (a function, or a value) to exercise ``number`` on its visible cases."""
    __tracebackhide__ = True
    _check(get(number), answer)
