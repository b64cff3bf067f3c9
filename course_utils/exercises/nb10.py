"""Exercise 10.1 (notebook 10, features and history): what a conv layer costs."""

from __future__ import annotations

from course_utils.exercises.core import Exercise, compare

__all__ = ["EXERCISES"]


def _cost(C, W, K, F, S, P):
    out = (W - F + 2 * P) // S + 1  # an incomplete last step is dropped, as PyTorch does
    return out, K * (C * F * F + 1), K * out * out * C * F * F


def _fractional(C, W, K, F, S, P):
    out = (W - F + 2 * P) / S + 1
    return out, K * (C * F * F + 1), K * out * out * C * F * F


def _judge(case, got):
    C, W, K, F, S, P = case
    out, params, madds = _cost(*case)
    return compare(
        got,
        (out, params, madds),
        case,
        what="(output size, parameters, multiply-adds)",
        mistakes={
            "the biases are missing from the parameters: one per filter.": (out, K * C * F * F, madds),
            "each filter spans all C input channels: C·F·F weights, not F·F.": (
                out,
                K * (F * F + 1),
                out * out * K * F * F,
            ),
            "the multiply-adds are counted at every input position; a filter is applied at each of the "
            "W_out × W_out output positions.": (out, params, K * W * W * C * F * F),
            f"(W − F + 2P)/S + 1 = {(W - F + 2 * P) / S + 1:g} is not a whole number for this layer: the filter's "
            "last step would hang over the padded edge. PyTorch drops that incomplete step, so W_out is rounded "
            "down (use //).": lambda: _fractional(*case),
        },
        rtol=0,
        atol=0,
    )


def _fresh(rng):
    cases = []
    while len(cases) < 4:
        C, K, F, S, P = (
            int(v)
            for v in (
                rng.integers(1, 64),
                rng.integers(1, 128),
                rng.integers(1, 8),
                rng.integers(1, 4),
                rng.integers(0, 3),
            )
        )
        W = int(rng.integers(F, 64))
        if (W - F + 2 * P) % S == 0 or len(cases) == 3:  # the last may need rounding down
            cases.append((C, W, K, F, S, P))
    return cases


EXERCISES = [
    Exercise(
        number="10.1",
        target="conv_cost",
        cases=lambda: [
            (1, 28, 6, 5, 1, 2),  # LeNet conv1
            (6, 14, 16, 5, 1, 0),  # LeNet conv2
            (3, 227, 96, 11, 4, 0),  # AlexNet (2012) conv1: 227×227×3 → 55×55×96
            (3, 224, 64, 11, 4, 2),  # torchvision's AlexNet (the 2014 variant): 54.25 steps, rounded down to 55
        ],
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.layers.conv_layer_cost", "course_utils.models.summarize"),
    )
]
