"""Exercise 1.3 (notebook 01, the MLP forward pass): the forward pass for a batch, F = relu(X Wᵀ + b) Vᵀ + c
(a function, with a fallback). 1.1 and 1.2 are in nb01.py.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare

__all__ = ["EXERCISES", "forward_cases", "forward_batch"]


def _relu(a):
    return np.maximum(a, 0)


# --- 1.3 · the batch ------------------------------------------------------------------------------


def forward_batch(X, W, b, V, c):
    """The course's answer to 1.3 (its fallback): F (N, K) = relu(X Wᵀ + b) Vᵀ + c.

    X (N, D), W (H, D), b (H,), V (K, H), c (K,).
    """
    return _relu(X @ W.T + b) @ V.T + c


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
        what="F",
        mistakes={
            "W is used transposed: with inputs as rows of X, row n must be (W x^n + b)ᵀ = (x^n)ᵀ Wᵀ + bᵀ (row j "
            "of W holds the weights into hidden unit j).": lambda: _relu(X @ W + b) @ V.T + c,
            "V is used transposed: row n of the output is (V h^n)ᵀ = (h^n)ᵀ Vᵀ.": lambda: _relu(X @ W.T + b) @ V + c,
            "the activation g is missing: apply relu to the hidden pre-activations before multiplying by V.": (
                lambda: (X @ W.T + b) @ V.T + c
            ),
            "relu is applied to the output as well; the output here is the identity.": (
                lambda: _relu(_relu(X @ W.T + b) @ V.T + c)
            ),
            "the bias b is added along the wrong axis: b has one entry per hidden unit, so it is added to "
            "every row (an (N, H) array plus a vector of length H broadcasts that way).": (
                lambda: _relu(X @ W.T + b[:, None]) @ V.T + c
            ),
            "the bias b is added after the activation: it belongs inside, relu(W x + b).": (
                lambda: (_relu(X @ W.T) + b) @ V.T + c
            ),
            "the bias b is missing.": lambda: _relu(X @ W.T) @ V.T + c,
            "the bias c is missing.": lambda: _relu(X @ W.T + b) @ V.T,
            "F is transposed: row n of F is the output for example n, so F has shape (N, K), not (K, N).": (
                lambda: (_relu(X @ W.T + b) @ V.T + c).T
            ),
            "σ is applied to the output; o is the identity here, so F holds the scores themselves.": (
                lambda: 1 / (1 + np.exp(-(_relu(X @ W.T + b) @ V.T + c)))
            ),
            "g is the ReLU here, max(a, 0), not tanh.": lambda: np.tanh(X @ W.T + b) @ V.T + c,
            "g is the ReLU here, max(a, 0), not the sigmoid.": lambda: 1 / (1 + np.exp(-(X @ W.T + b))) @ V.T + c,
        },
    )


def _fresh(rng):
    sizes = [(int(rng.integers(2, 7)), int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 4)))]
    sizes += [(4, 4, 4, 4), (int(rng.integers(5, 9)), 3, 2, 1)]
    return forward_cases(rng, sizes)


EXERCISES = [
    Exercise(
        number="1.3",
        target="forward_batch",
        cases=lambda: forward_cases(np.random.default_rng(11)),
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.mlp.mlp_forward",),
        fallback="course_utils.instructor.exercises.nb01b.forward_batch",
    ),
]
