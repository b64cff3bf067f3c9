"""The course's exercises, each declared once (one module per notebook), and the checker that runs them.

    from course_utils.exercises import check
    check("5.1", to_vectors)      # in a notebook: raises ExerciseFailure naming the mistake, or prints a line

``EXERCISES`` maps "N.M" to its :class:`~course_utils.exercises.core.Exercise`. The grader
(``course_utils.grading``) uses the same declarations, but judges outside the student's kernel.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from course_utils.exercises.core import Exercise, ExerciseFailure
from course_utils.exercises.core import check as _check

# One module per notebook (nb05.py; nb05b.py when one file would grow past ~300 lines), in order.
_MODULES = [
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    if info.name.startswith("nb")
]

__all__ = ["EXERCISES", "Exercise", "ExerciseFailure", "check", "get"]

EXERCISES: dict[str, Exercise] = {}
for _module in _MODULES:
    for _exercise in _module.EXERCISES:
        if _exercise.number in EXERCISES:
            raise ValueError(f"exercise {_exercise.number} is declared twice (again in {_module.__name__})")
        EXERCISES[_exercise.number] = _exercise


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
