"""Exercise 7.1 (notebook 07, pooling): the backward pass of max pooling, with ties and overlaps."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, compare

__all__ = ["EXERCISES", "maxpool_backward_loops"]


def maxpool_backward_loops(dout, x, size, stride, mode="first"):
    """Max-pool backward with loops; ``mode`` picks the right rule or a typical mistake.

    first: the first maximum in row-major order gets dout, overlaps add up (the right answer);
    assign: overlaps overwrite instead of adding; all_ties: every tied maximum gets dout;
    last: the last tied maximum gets it; spread: dout/size² to every input, like mean pooling.
    """
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    out_h, out_w = dout.shape[2:]
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out_h):
                for j in range(out_w):
                    rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
                    window, g = x[n, c, rows, cols], dout[n, c, i, j]
                    if mode == "spread":
                        dx[n, c, rows, cols] += g / size**2
                    elif mode == "all_ties":
                        dx[n, c, rows, cols] += g * (window == window.max())
                    else:
                        flat = window.ravel()
                        k = flat.size - 1 - np.argmax(flat[::-1]) if mode == "last" else np.argmax(flat)
                        r, q = i * stride + k // size, j * stride + k % size
                        dx[n, c, r, q] = g if mode == "assign" else dx[n, c, r, q] + g
    return dx


_MISTAKES = {
    "assign": "where windows overlap, an input that is the maximum of two windows must receive the SUM of their "
    "gradients; yours keeps only one (use += instead of =).",
    "all_ties": "every tied maximum gets the gradient; only one element was chosen in the forward pass: give it to "
    "the first maximum in row-major order (np.argmax does that), as PyTorch does.",
    "last": "ties go to the last maximum; the rule is the first in row-major order (np.argmax on the flattened "
    "window), as PyTorch does.",
    "spread": "the gradient is spread over the window like mean pooling; max pooling sends all of it to the maximum.",
}


def _judge(case, got):
    return compare(
        got,
        maxpool_backward_loops(*case),
        case,
        what="dx",
        mistakes={s: (lambda m=mode: maxpool_backward_loops(*case, m)) for mode, s in _MISTAKES.items()},
        rtol=1e-10,
        atol=1e-12,
    )


def _visible():
    rng = np.random.default_rng(71)
    overlapping = np.zeros((1, 1, 3, 5))
    overlapping[0, 0, 1, 2] = 9.0  # the maximum of both overlapping 3×3 windows
    ties = np.array([[[[1.0, 5.0, 0.0, 2.0], [5.0, 5.0, 2.0, 2.0], [3.0, 0.0, 4.0, 4.0], [0.0, 3.0, 4.0, 1.0]]]])
    return [
        (rng.normal(size=(1, 1, 2, 2)), rng.normal(size=(1, 1, 4, 4)), 2, 2),
        (rng.normal(size=(2, 3, 3, 3)), rng.normal(size=(2, 3, 6, 6)), 2, 2),
        (np.array([[[[1.0, 2.0]]]]), overlapping, 3, 2),
        (rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(1, 2, 7, 7)), 3, 2),
        (rng.normal(size=(1, 1, 2, 2)), ties, 2, 2),
        (rng.normal(size=(2, 2, 3, 3)), rng.integers(0, 3, size=(2, 2, 7, 7)).astype(float), 3, 2),
    ]


def _fresh(rng):
    return [
        (rng.normal(size=(1, 2, 3, 2)), rng.normal(size=(1, 2, 6, 4)), 2, 2),
        (rng.normal(size=(2, 1, 2, 3)), rng.integers(0, 2, size=(2, 1, 5, 7)).astype(float), 3, 2),
        (rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(1, 1, 5, 5)), 2, 1),
    ]


EXERCISES = [
    Exercise(
        number="7.1",
        target="maxpool_backward",
        cases=_visible,
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.layers.maxpool2d_backward", "course_utils.exercises.nb07.maxpool_backward_loops"),
    )
]
