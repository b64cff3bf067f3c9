"""Where the student side finds an exercise's definition by its number ("N.M").

The in-notebook checkers and the grading harness look an exercise up here. The definitions are found, not
imported by name: the first package of ``course_utils`` called ``exercises`` (the student edition's generated
checkers, ``course_utils/exercises/``), else the first subpackage that has an ``exercises`` package (in the
instructor's tree, where each exercise's whole definition lives). So nothing on the student side imports
the instructor side (``tests/test_boundary.py``). Introduced in notebook 00 (welcome).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

from course_utils.checking.runner import Exercise
from course_utils.checking.runner import check as run_check

__all__ = ["get", "check", "numbers"]


_PACKAGE = Path(__file__).resolve().parent.parent
_ROOT = _PACKAGE.name  # "course_utils"


@cache
def _definitions() -> dict[str, Exercise]:
    if (_PACKAGE / "exercises" / "__init__.py").is_file():
        return importlib.import_module(f"{_ROOT}.exercises").EXERCISES
    for info in sorted(pkgutil.iter_modules([str(_PACKAGE)]), key=lambda info: info.name):
        if info.ispkg and (_PACKAGE / info.name / "exercises" / "__init__.py").is_file():
            return importlib.import_module(f"{_ROOT}.{info.name}.exercises").EXERCISES
    raise ModuleNotFoundError(f"no exercise definitions under {_PACKAGE}: neither exercises/ nor */exercises/")


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
