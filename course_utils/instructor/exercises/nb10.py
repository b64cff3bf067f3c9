"""Exercise 10.1 (notebook 10, features and history): what a conv layer costs.

10.1 ``conv_cost(C, W, K, F, S, P)``: one conv layer's output width, parameters and multiply-adds.
``conv_cost`` here is the course's version, which notebook 10's later cells use until the student's
passes (the exercise's fallback). 10.2, a whole network, is in ``nb10b``; 10.3 in ``nb10c``.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.checking import Exercise, Raised, compare
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "conv_cost"]


def conv_cost(C, W, K, F, S, P):
    """(W_out, parameters, multiply-adds for one image) of K filters F×F×C, stride S, padding P, on C×W×W.

    The course's version (the fallback) counts on PyTorch's own layer, on the meta device (shapes, no
    numbers): the output's width, the layer's parameters, its weights times the output positions.
    """
    if any(not float(v).is_integer() for v in (C, W, K, F, S, P)):
        raise ValueError(f"conv_cost: sizes are whole numbers, got C={C}, W={W}, K={K}, F={F}, S={S}, P={P}")
    C, W, K, F, S, P = (int(v) for v in (C, W, K, F, S, P))
    conv = nn.Conv2d(C, K, F, stride=S, padding=P, device="meta")
    out = conv(torch.empty(1, C, W, W, device="meta")).shape[-1]
    return out, sum(p.numel() for p in conv.parameters()), conv.weight.numel() * out * out


@oracle
def _conv_cost(
    C, W, K, F, S, P, *, bias=True, channels=True, positions="out", floor=True, pad=2, madd_bias=False, stride=True,
    filters=True, filters_params=True,
):  # fmt: skip
    """conv_cost, and with a keyword its typical mistakes (floor: True, "none", "nearest" or "up")."""
    S = S if stride else 1
    span = W - F + pad * P
    out = {True: span // S, "none": span / S, "nearest": round(span / S), "up": -(-span // S)}[floor] + 1
    depth = C if channels else 1
    per_filter = depth * F * F + (1 if bias else 0)
    where = out * out if positions == "out" else W * W
    return (
        out,
        (K if filters_params else 1) * per_filter,
        (K if filters else 1) * where * (depth * F * F + (1 if madd_bias else 0)),
    )


_CONV_MISTAKES = {
    "the biases are missing from the parameters: one per filter.": {"bias": False},
    "each filter spans all C input channels: C·F·F weights, not F·F.": {"channels": False},
    "the multiply-adds are counted at every input position; a filter is applied at each of the "
    "W_out × W_out output positions.": {"positions": "in"},
    "the padding is left out of W_out: it adds P on both sides, (W − F + 2P)/S + 1.": {"pad": 0},
    "the padding is counted once: it adds P on both sides, so 2P, (W − F + 2P)/S + 1.": {"pad": 1},
    "the stride is left out of W_out: a filter moving S pixels per step fits (W − F + 2P)/S + 1 times.": {
        "stride": False
    },
    "the parameters are those of one filter: each of the K filters has its own C·F·F weights and bias.": {
        "filters_params": False
    },
    "the multiply-adds are those of one filter: each of the K filters makes its own dot products at every "
    "output position.": {"filters": False},
    "the bias is counted as a multiply-add: adding b multiplies nothing by a weight; count only the "
    "C·F·F products of each dot product.": {"madd_bias": True},
}


_ROUND_DOWN = (
    "Notebooks 06 and 07 refused a layer that does not fit a whole number of steps; here we count the layers that "
    "real networks use, and PyTorch builds them: it drops the incomplete last step, so W_out = ⌊(W − F + 2P)/S⌋ + 1 "
    "(use //, and do not raise)."
)


def _call_refusing(answer, case):
    """Kernel side: the answer on the case; a ValueError comes back as Raised, for the judge to explain why these
    exercises round down where 06-07 refused (any other error is the student's and keeps its traceback)."""
    try:
        return answer(*case)
    except ValueError as err:
        return Raised("ValueError", str(err)[:300])


def _raised_conv(case, raised: Raised) -> str:
    C, W, K, F, S, P = case
    steps = (W - F + 2 * P) / S
    why = (
        f"(W − F + 2P)/S = ({W} − {F} + 2·{P})/{S} = {steps:g} is not a whole number. {_ROUND_DOWN}"
        if W - F + 2 * P >= 0 and (W - F + 2 * P) % S
        else "this layer fits: return its (output size, parameters, multiply-adds)."
    )
    return f"for inputs {case} your function raised ValueError: {raised.message[:120]}. {why}"


def _judge_conv(case, got):
    C, W, K, F, S, P = case
    if isinstance(got, Raised):
        return _raised_conv(case, got)
    mistakes = {s: (lambda kw=kw: _conv_cost(*case, **kw)) for s, kw in _CONV_MISTAKES.items()}
    for how, verb in (
        ("none", "is not rounded"),
        ("nearest", "is rounded to the nearest whole number"),
        ("up", "is rounded up"),
    ):
        mistakes[
            f"(W − F + 2P)/S + 1 = {(W - F + 2 * P) / S + 1:g} is not a whole number for this layer, and it {verb}: "
            "the filter's last step would hang over the padded edge. PyTorch drops that incomplete step, so "
            "W_out is rounded down (use //)."
        ] = lambda how=how: _conv_cost(*case, floor=how)
    return compare(
        got, _conv_cost(*case), case, what="(output size, parameters, multiply-adds)", mistakes=mistakes, rtol=0, atol=0
    )


def _fresh_conv(rng):
    cases = []
    while len(cases) < 4:
        C, K, F, S, P = (int(rng.integers(*r)) for r in ((1, 64), (1, 128), (1, 8), (1, 4), (0, 3)))
        W = int(rng.integers(F, 64))
        if len(cases) < 3 and (W - F + 2 * P) % S == 0:
            cases.append((C, W, K, F, S, P))
        elif len(cases) == 3 and S == 3 and (W - F + 2 * P) % S == 2:  # rounding down differs from rounding
            cases.append((C, W, K, F, S, P))
    return cases


EXERCISES = [
    Exercise(
        number="10.1",
        target="conv_cost",
        cases=lambda: [
            (1, 28, 6, 5, 1, 2),  # LeNet conv1
            (6, 14, 16, 5, 1, 0),  # LeNet conv2
            (3, 227, 96, 11, 4, 0),  # AlexNet (2012) conv1
            (3, 224, 64, 11, 4, 2),  # torchvision's AlexNet (the 2014 variant): a step rounded down
            (1, 28, 8, 5, 4, 0),  # (28 − 5)/4 = 5.75: rounded down, not to the nearest
        ],
        fresh=_fresh_conv,
        judge=_judge_conv,
        call=_call_refusing,
        references=("course_utils.layers.conv_layer_cost", "course_utils.models.summarize"),
        fallback="course_utils.instructor.exercises.nb10.conv_cost",
    ),
]
