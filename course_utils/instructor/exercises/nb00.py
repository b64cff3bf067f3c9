"""Exercise 0.1 (notebook 00, welcome): the length of a flattened image."""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare

__all__ = ["EXERCISES", "flat_length"]


def flat_length(height: int, width: int, channels: int) -> int:
    """The course's answer: one entry per (row, column, channel)."""
    return height * width * channels


def _judge(case, got):
    h, w, c = case
    return compare(
        got,
        flat_length(h, w, c),
        case,
        what="the length",
        mistakes={
            "the channels are left out: a colour image has C numbers per pixel.": h * w,
            "the sizes are added; a flattened image has one entry per (row, column, channel), so they multiply.": (
                h + w + c
            ),
            "only one side is used, as if images were square.": h * h * c,
        },
        rtol=0,
        atol=0,
    )


def _fresh(rng: np.random.Generator) -> list[tuple]:
    return [tuple(int(v) for v in rng.integers(2, 40, size=3)) for _ in range(4)]


EXERCISES = [
    Exercise(
        number="0.1",
        target="flat_length",
        cases=lambda: [(28, 28, 1), (32, 32, 3), (5, 7, 2), (1, 1, 1)],
        fresh=_fresh,
        judge=_judge,
        fallback="course_utils.instructor.exercises.nb00.flat_length",
    )
]
