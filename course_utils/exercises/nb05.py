"""Exercises 5.1-5.2 (notebook 05, MLPs on images): flattening in CHW order, parameters of a dense layer."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, compare

__all__ = ["EXERCISES"]


def _chw(batch):
    return np.asarray(batch).transpose(0, 3, 1, 2).reshape(len(batch), -1)


def _judge_vectors(case, got):
    (b,) = case
    return compare(
        got,
        _chw(b),
        case,
        what="the vectors",
        mistakes={
            "the vector is in HWC order (all channels of pixel 1, then of pixel 2, ...), which is how the image "
            "is stored. PyTorch expects CHW: the whole red plane, then green, then blue. Move the channel axis "
            "first with .transpose(0, 3, 1, 2) before reshaping (a reshape alone never moves data between "
            "axes).": lambda: b.reshape(len(b), -1),
            "the order is C, W, H: transpose(0, 3, 2, 1) swaps height and width too; use transpose(0, 3, 1, 2).": (
                lambda: b.transpose(0, 3, 2, 1).reshape(len(b), -1)
            ),
            "the whole batch became one long vector; keep the first axis: .reshape(N, -1).": lambda: b.transpose(
                0, 3, 1, 2
            ).reshape(-1),
            "the batch axis moved: the result should have one row per image, (N, C·H·W).": lambda: _chw(b).T,
        },
        rtol=0,
        atol=0,
    )


def _vector_cases():
    rng = np.random.default_rng(51)
    return [
        (rng.integers(0, 256, size=(2, 4, 5, 3)).astype(np.float64),),  # non-square: H and W cannot be swapped
        (rng.random((1, 32, 32, 3)),),
        (rng.random((3, 6, 2, 2)),),
        (rng.random((2, 3, 3, 1)),),
    ]


def _judge_params(case, got):
    i, o = case
    return compare(
        got,
        i * o + o,
        case,
        what="the parameter count",
        mistakes={
            "the biases are missing: each output unit has one bias besides its n_inputs weights.": i * o,
            "one bias per input; there is one bias per output unit, so + n_outputs.": i * o + i,
            "the sizes are added; every input connects to every output, so the weights number n_inputs · n_outputs.": (
                i + o
            ),
            "the sizes are added, plus the biases; every input connects to every output, so the weights number "
            "n_inputs · n_outputs.": i + o + o,
        },
        rtol=0,
        atol=0,
    )


EXERCISES = [
    Exercise(
        number="5.1",
        target="to_vectors",
        cases=_vector_cases,
        fresh=lambda rng: [(rng.random((n, h, w, c)),) for n, h, w, c in ((2, 5, 3, 3), (1, 7, 4, 2), (4, 2, 6, 3))],
        judge=_judge_vectors,
    ),
    Exercise(
        number="5.2",
        target="dense_params",
        cases=lambda: [(3, 2), (784, 256), (3072, 256), (256, 10), (1, 1)],
        fresh=lambda rng: [tuple(int(v) for v in rng.integers(2, 500, size=2)) for _ in range(4)],
        judge=_judge_params,
    ),
]
