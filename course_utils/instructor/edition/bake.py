"""Bake the student edition's checker data: every oracle call the judges make on the visible cases.

Run as ``python -m course_utils.instructor.edition.bake ANSWERS OUTCOMES`` (a fresh process, so that the
oracles called while the exercise modules are imported are recorded too). For every exercise and every
visible case the judge sees the reference's answer (a value exercise's ``examples()``: its answer and its
known mistakes' values), each known mistake's answer (what the oracles returned
for exactly that case), and garbage (each part of the reference's answer wrong in turn, all of it wrong,
nothing). ANSWERS gets every oracle call → its result (shipped in the edition); OUTCOMES gets each outcome
with the full checker's message (kept by the instructor: tests/test_edition.py judges them again with
the edition alone and requires the same messages).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.checking import oracle, sealed
from course_utils.checking.plain import decode, dumps, encode, plain_key
from course_utils.checking.runner import Exercise, judge_case, resolve, run_case

__all__ = ["garbage", "judged", "bake"]

_LARGEST = 200_000  # bytes: larger answers (4.2's MNIST-sized layers, 8.3's scores) are judged but not kept


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to the numbers and arrays inside ``value``."""
    if isinstance(value, (tuple, list)):
        return [p for i, item in enumerate(value) for p in _leaves(item, (*path, i))]
    if isinstance(value, dict):
        return [p for k, item in value.items() for p in _leaves(item, (*path, k))]
    if isinstance(value, (int, float, np.ndarray)) and not isinstance(value, bool):
        return [path]
    return []


def _spoil(value: Any, path: tuple) -> Any:
    """``value`` with the number or array at ``path`` made wrong (shifted by 0.37 and scaled by 1.9)."""
    if not path:
        return np.asarray(value, dtype=np.float64) * 1.9 + 0.37 if isinstance(value, np.ndarray) else value * 1.9 + 0.37
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _spoil(v, rest) if k == head else v for k, v in value.items()}
    items = [_spoil(v, rest) if i == head else v for i, v in enumerate(value)]
    return tuple(items) if isinstance(value, tuple) else items


def garbage(value: Any) -> list[Any]:
    """Wrong answers shaped like ``value``: each part wrong in turn, every part wrong, and None."""
    paths = _leaves(value)
    wrong = [_spoil(value, p) for p in paths]
    everything = value
    for p in paths:
        everything = _spoil(everything, p)
    return [*wrong, everything, None] if paths else [None, 0.5]


def judged(exercise: Exercise, case: tuple, value: Any) -> str | None:
    """The checker's message for ``value`` returned on ``case``, as the notebook's check gets it (through
    plain data); "<ErrorType>" if the checker itself raised."""
    outcome = decode(*encode({"value": value, "changed": []}))
    try:
        return judge_case(exercise, case, outcome)
    except Exception as err:  # the full checker's own failure is an outcome too: the edition must match it
        return f"<{type(err).__name__}>"


def bake(exercises: dict[str, Exercise]) -> list:
    """[(number, case index, answer, message)]; call it inside ``oracle.recording()``, which gets the calls."""
    outcomes, seen = [], set()
    for number, exercise in exercises.items():
        for index, case in enumerate(exercise.cases()):
            reference = resolve(exercise.fallback) if exercise.fallback else None
            answers = list(exercise.examples()) if exercise.examples else []  # a value exercise's, and mistakes
            if reference is not None:
                with np.errstate(all="ignore"):
                    answers.append(run_case(exercise, reference, case)["value"])
            answers += garbage(answers[0]) if answers else [None, 0.5]
            for _ in range(2):  # the known mistakes' answers, found while judging the answers before
                for value in answers:
                    key = plain_key((number, index, value))
                    if key not in seen:
                        seen.add(key)
                        message = judged(exercise, case, value)
                        if len(encode(value)[1]) == 0 or sum(a.nbytes for a in encode(value)[1]) <= _LARGEST:
                            outcomes.append((number, index, value, message))
                answers = oracle.answers_to(case)
    return outcomes


def main(answers_path: str, outcomes_path: str) -> None:
    sealed.use_salt(os.environ.get("COURSE_SEAL_SALT", "unreleased"))  # the release's salt (build.bake_into)
    with oracle.recording() as record:  # from the start: the definitions call oracles when imported
        from course_utils.checking.registry import get as get_exercise
        from course_utils.checking.registry import numbers

        outcomes = bake({n: get_exercise(n) for n in numbers()})
        Path(answers_path).write_text(dumps(record))
    Path(outcomes_path).write_text(dumps(outcomes))


if __name__ == "__main__":
    main(*sys.argv[1:])
