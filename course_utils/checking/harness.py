"""Grading, in the student's (sandboxed) kernel: call the student's answer on the grader's cases.

The grader replaces each checker cell by one call to :func:`collect`. It reads the cases the grader
wrote, runs the student's answer on each (``runner.run_case``), and writes back plain data only: the
return values, the inputs it changed, what it raised, and whether it called the course's reference
implementation. The verdict is decided by the grader, never here: anything this kernel does to this
module only changes its own answers. The grader trusts nothing written here but the returned values,
and those only from the answer file it created for this cell, read after this cell completed (the
grader's side of this exchange is not shipped to students); the list of reference calls can only cost
points.
"""

from __future__ import annotations

import sys
from typing import Any

from course_utils.checking.plain import Raised, load_plain, save_plain
from course_utils.checking.registry import get
from course_utils.checking.runner import resolve, run_case

__all__ = ["collect"]


def _watching(codes: dict) -> tuple[set, Any]:
    """A profile hook that records which of ``codes`` (code object -> dotted name) get called."""
    seen: set = set()

    def hook(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            seen.add(codes[frame.f_code])

    return seen, hook


def collect(number: str, namespace: dict, cases_path: str, out_path: str) -> None:
    """Run the answer ``namespace[target]`` of exercise ``number`` on the cases in ``cases_path``."""
    exercise = get(number)
    if exercise.target not in namespace:
        save_plain(out_path, {"missing": True})
        return
    answer = namespace[exercise.target]
    codes = {getattr(resolve(name), "__code__", None): name for name in exercise.references}
    codes.pop(None, None)
    outcomes, seen = [], set()
    for case in load_plain(cases_path):
        calls, hook = _watching(codes)
        sys.setprofile(hook)
        try:
            outcomes.append(run_case(exercise, answer, case))
        except Exception as err:  # the student's error: reported as such for this case
            outcomes.append(Raised(type(err).__name__, str(err)[:300]))
        finally:
            sys.setprofile(None)
        seen |= calls
    save_plain(out_path, {"outcomes": outcomes, "reference_calls": sorted(seen)})
