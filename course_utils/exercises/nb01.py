"""Exercise 1.1 (notebook 01, the MLP forward pass): Y = relu(X Wᵀ + b) Vᵀ + c for a batch."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, compare

__all__ = ["EXERCISES", "forward_cases"]


def _relu(a):
    return np.maximum(a, 0)


def forward_cases(rng: np.random.Generator, sizes=((3, 3, 3, 3), (1, 3, 2, 1), (5, 3, 2, 1), (4, 6, 5, 2))):
    """(X, W, b, V, c) cases of sizes (N, D, H, K); the square one first, so transposes give wrong values."""
    return [
        (
            rng.normal(size=(n, d)),
            rng.normal(size=(h, d)),
            rng.normal(size=h),
            rng.normal(size=(k, h)),
            rng.normal(size=k),
        )
        for n, d, h, k in sizes
    ]


def _judge(case, got):
    X, W, b, V, c = case
    return compare(
        got,
        _relu(X @ W.T + b) @ V.T + c,
        case,
        what="Y",
        mistakes={
            "W is used transposed: with inputs as rows of X, the hidden layer is X @ W.T (row j of W holds the "
            "weights into hidden unit j).": lambda: _relu(X @ W + b) @ V.T + c,
            "V is used transposed: the output is H @ V.T.": lambda: _relu(X @ W.T + b) @ V + c,
            "the activation g is missing: apply relu to X @ W.T + b before multiplying by V.": (
                lambda: (X @ W.T + b) @ V.T + c
            ),
            "relu is applied to the output as well; the output here is the identity.": (
                lambda: _relu(_relu(X @ W.T + b) @ V.T + c)
            ),
            "the bias b is added along the wrong axis: b has one entry per hidden unit, so it is added to "
            "every row (X @ W.T + b broadcasts it that way).": lambda: _relu(X @ W.T + b[:, None]) @ V.T + c,
            "the bias b is added after the activation: it belongs inside, relu(X @ W.T + b).": (
                lambda: (_relu(X @ W.T) + b) @ V.T + c
            ),
            "the bias b is missing.": lambda: _relu(X @ W.T) @ V.T + c,
            "the bias c is missing.": lambda: _relu(X @ W.T + b) @ V.T,
        },
    )


def _fresh(rng):
    sizes = [(int(rng.integers(2, 7)), int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 4)))]
    sizes += [(4, 4, 4, 4), (int(rng.integers(5, 9)), 3, 2, 1)]
    return forward_cases(rng, sizes)


EXERCISES = [
    Exercise(
        number="1.1",
        target="forward_batch",
        cases=lambda: forward_cases(np.random.default_rng(11)),
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.mlp.mlp_forward",),
    )
]
