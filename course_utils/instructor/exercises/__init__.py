"""The course's exercises, each declared once, one module per notebook: the instructor's side.

Each ``nbNN.py`` holds its exercises' whole definitions: visible cases, fresh cases for grading, the
reference, the known mistakes with their messages, the judge. ``EXERCISES`` maps "N.M" to its
:class:`~course_utils.checking.runner.Exercise`. The notebooks' checkers (``course_utils.checks``) and
the grader (``course_utils.instructor.grade``) run them with the shared runner, ``course_utils.checking``.
"""

from __future__ import annotations

import importlib
import pkgutil

from course_utils.checking.runner import Exercise

# One module per notebook (nb05.py; nb05b.py when one file would grow past ~300 lines), in order.
_MODULES = [
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    if info.name.startswith("nb")
]

__all__ = ["EXERCISES"]

EXERCISES: dict[str, Exercise] = {}
for _module in _MODULES:
    for _exercise in _module.EXERCISES:
        if _exercise.number in EXERCISES:
            raise ValueError(f"exercise {_exercise.number} is declared twice (again in {_module.__name__})")
        EXERCISES[_exercise.number] = _exercise
