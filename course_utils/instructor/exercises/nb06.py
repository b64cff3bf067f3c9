"""Exercises 6.1-6.2 (notebook 06, convolution): the output size with its invalid cases, the forward pass.

Exercise 6.3 (the backward pass) is in ``nb06b``.
"""

from __future__ import annotations

import re

import numpy as np

from course_utils.checking import Exercise, Raised, as_array, compare, describe
from course_utils.checking.oracle import oracle
from course_utils.instructor.exercises.nb06b import low_precision, not_one_array

__all__ = ["EXERCISES", "conv_reference", "size_outcomes"]

RAISES = "raises ValueError"


def _fits(W, F, P, S) -> bool:
    return F <= W + 2 * P and (W - F + 2 * P) % S == 0


def _size(W, F, P, S, *, pad=2, check=True, floor=True, stride=True, plus_one=True, exact_fit=True, fit=True):
    """W_out by the rule, or RAISES; the keywords give the typical mistakes (pad: how many P are counted;
    exact_fit=False refuses a filter exactly as wide as the padded input; fit=False tests only divisibility)."""
    too_wide = (F > W + pad * P if exact_fit else F >= W + pad * P) if fit else False
    if check and (too_wide or (W - F + pad * P) % S):
        return RAISES
    span = W - F + pad * P
    steps = span if not stride else (span // S if floor else span / S)
    return steps + 1 if plus_one else steps


# A sentence for each typical mistake, and what that mistake returns (a number, or RAISES) for (W, F, P, S).
_SIZE_MISTAKES = {
    "only the divisibility is tested, not whether the filter fits: when F > W + 2P, (W − F + 2P) is negative, "
    "and a negative number can still be divisible by S (Python's % gives 0), so W_out comes out 0 or negative. "
    "Refuse F > W + 2P as well.": lambda *c: _size(*c, fit=False),
    "the settings that do not fit are not refused: floor division (as PyTorch does) drops the last rows "
    "silently. Check that the filter fits the padded input and that (W − F + 2P) is divisible by S; "
    "otherwise raise ValueError.": lambda *c: _size(*c, check=False),
    "the settings that do not fit are not refused: a fractional W_out means the filter does not fit a whole "
    "number of steps, and a W_out ≤ 0 that it fits nowhere. Raise ValueError in those cases.": (
        lambda *c: _size(*c, check=False, floor=False)
    ),
    "a filter exactly as wide as the padded input (F = W + 2P) is refused, but it fits once: W_out = 1. "
    "Refuse only F > W + 2P.": lambda *c: _size(*c, exact_fit=False),
    "the padding is left out (of W_out and of the test whether the filter fits): the filter slides over "
    "the padded input, W + 2P wide.": lambda *c: _size(*c, pad=0),
    "the padding is counted once; it is added on both sides, so the padded input is W + 2P wide.": (
        lambda *c: _size(*c, pad=1)
    ),
    "the stride is left out: the filter jumps S pixels at a time, so it visits (W − F + 2P)/S + 1 positions.": (
        lambda *c: _size(*c, stride=False)
    ),
    "the + 1 is missing: a filter that fits exactly once (W + 2P = F) gives one output, not zero.": (
        lambda *c: _size(*c, plus_one=False)
    ),
}


def size_outcomes(output_size, settings):
    """Kernel side: the student's answer for each (W, F, P, S), or Raised for a ValueError (the rule asks for
    one); any other error is the student's own and keeps its traceback."""
    outcomes = []
    for setting in settings:
        try:
            outcomes.append(output_size(*setting))
        except ValueError as err:
            outcomes.append(Raised("ValueError", str(err)[:300]))
    return outcomes


def _same(outcome, rule_value) -> bool:
    if isinstance(outcome, Raised):
        return rule_value == RAISES
    value = as_array(outcome)
    return rule_value != RAISES and not isinstance(value, str) and value.shape == () and abs(value - rule_value) < 1e-9


def _likely(settings, outcomes, failing) -> str:
    """The first mistake that explains every answer, else the first that explains the failing one."""
    for every in (True, False):
        for sentence, rule in _SIZE_MISTAKES.items():
            pairs = zip(settings, outcomes, strict=True) if every else [(settings[failing], outcomes[failing])]
            if all(_same(o, rule(*c)) for c, o in pairs):
                return f" Likely mistake: {sentence}"
    return ""


def _names_a_value(message: str, W, F, P, S) -> bool:
    numbers = {W, F, P, S, W + 2 * P, W - F + 2 * P}
    return any(int(n) in numbers for n in re.findall(r"-?\d+", message))


def _judge_size(case, got):
    """One case is a tuple of (W, F, P, S) settings, valid and invalid ones."""
    (settings,) = case
    if not (isinstance(got, list) and len(got) == len(settings)):
        return f"expected {len(settings)} answers, got {describe(got)}."
    for index, ((W, F, P, S), outcome) in enumerate(zip(settings, got, strict=True)):
        setting = f"W={W}, F={F}, P={P}, S={S}"
        span = W - F + 2 * P
        if not isinstance(outcome, Raised):
            array = as_array(outcome)
            if isinstance(array, str):
                return array
            if array.shape != ():
                return f"for {setting} return one number, got an array of shape {array.shape}."
        if _fits(W, F, P, S):
            expected = span // S + 1
            if isinstance(outcome, Raised):
                return (
                    f"for {setting} the filter fits: the padded input is W + 2P = {W + 2 * P} wide and "
                    f"(W − F + 2P) = {span} is divisible by S = {S}, so W_out = {expected}; your function raised "
                    f"ValueError: {outcome.message[:120]}." + _likely(settings, got, index)
                )
            if not abs(float(array) - expected) <= 1e-9:  # written so that nan is wrong too
                return f"for {setting} you returned {float(array):g}, expected {expected}." + _likely(
                    settings, got, index
                )
            continue
        why = (
            f"the filter (F = {F}) is larger than the padded input (W + 2P = {W + 2 * P}): it fits nowhere"
            if span < 0
            else f"(W − F + 2P) = {span} is not divisible by S = {S}: the filter does not fit a whole number of steps"
        )
        if not isinstance(outcome, Raised):
            return f"for {setting}: {why}, but your function returned {float(array):g}; raise ValueError." + _likely(
                settings, got, index
            )
        if not _names_a_value(outcome.message, W, F, P, S):
            return (
                f"for {setting} your function raised ValueError, rightly, but its message {outcome.message[:80]!r} "
                f"names none of the values: say which rule they break, e.g. '{why}'."
            )
    return None


_LECTURE_SIZES = ((32, 5, 0, 1), (5, 3, 0, 1), (5, 3, 1, 2), (5, 3, 1, 1), (5, 3, 2, 1), (7, 3, 1, 3), (3, 5, 1, 1),
                  (227, 11, 0, 4), (32, 5, 0, 2), (3, 5, 0, 1), (2, 7, 2, 1), (28, 5, 1, 2))  # fmt: skip


def _size_fresh(rng):
    settings, fits = [], 0
    while len(settings) < 10:
        W, F, P, S = (
            int(rng.integers(2, 64)),
            int(rng.integers(1, 9)),
            int(rng.integers(0, 4)),
            int(rng.integers(1, 4)),
        )
        if _fits(W, F, P, S) == (fits < 6):  # six that fit, then four that do not
            settings.append((W, F, P, S))
            fits += _fits(W, F, P, S)
    settings += [(4, 7, 1, 1), (6, 5, 2, 2)]  # padded input too small; a stride that cannot be floored away
    return [(tuple(settings),)]


@oracle
def _loops(x, w, b, stride, out_h, out_w):
    """Reference loops on an already padded x; windows at (stride·i, stride·j)."""
    fh, fw = w.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, None, :, i * stride : i * stride + fh, j * stride : j * stride + fw]
            out[:, :, i, j] = np.sum(window * w[None], axis=(2, 3, 4)) + b
    return out


def conv_reference(x, w, b, stride=1, pad=0):
    """The convolution layer's output (N, K, H_out, W_out) for x (N, C, H, W), w (K, C, F, F), b (K,).

    The course's version (the fallback): PyTorch's conv2d, in float64 (the exercise asks for the loops).
    """
    import torch
    import torch.nn.functional as F

    x, w, b = (torch.as_tensor(np.ascontiguousarray(a, dtype=np.float64)) for a in (x, w, b))
    return F.conv2d(x, w, b, stride=stride, padding=pad).numpy()


@oracle
def _reference(x, w, b, stride=1, pad=0):
    """conv_reference by the loops: what the judge compares with."""
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    out_h = (x.shape[2] - w.shape[2] + 2 * pad) // stride + 1
    out_w = (x.shape[3] - w.shape[3] + 2 * pad) // stride + 1
    return _loops(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))), w, b, stride, out_h, out_w)


def _padded_one_side(x, w, b, stride, pad, before):
    width = ((2 * pad, 0), (2 * pad, 0)) if before else ((0, 2 * pad), (0, 2 * pad))
    expected = _reference(x, w, b, stride, pad)
    return _loops(np.pad(x, ((0, 0), (0, 0), *width)), w, b, stride, *expected.shape[2:])


def _judge_conv(case, got):
    x, w, b, s, p = case
    size = ((x.shape[2] - w.shape[2] + 2 * p) // s + 1, (x.shape[3] - w.shape[3] + 2 * p) // s + 1)
    message = not_one_array(got, (x.shape[0], w.shape[0], *size), "out") or low_precision(got, "the output")
    if message:
        return message
    array = as_array(got, "your conv_forward")
    if not isinstance(array, str) and array.ndim == 5:
        return (
            f"for x of shape {x.shape} the output has shape {array.shape}: one map per channel. Each output value "
            "is ONE number per filter: the products are summed over all C channels (and the F×F window)."
        )
    return compare(
        got,
        _reference(*case),
        case,
        what="the output",
        mistakes={
            "the bias is missing: each filter adds its b[k] to every output position.": (
                lambda: _reference(x, w, np.zeros_like(b), s, p)
            ),
            "only the first channel is used: a filter spans all C channels of the input, and the products of "
            "every channel are summed.": lambda: _reference(x[:, :1], w[:, :1], b, s, p),
            "the channels are averaged, not summed: add the products of all C channels.": (
                lambda: (_reference(x, w, np.zeros_like(b), s, p)) / x.shape[1] + b[:, None, None]
            ),
            "the image is padded on one side only (all 2P zeros after it); put P zeros on each side.": (
                lambda: _padded_one_side(x, w, b, s, p, before=False)
            ),
            "the image is padded on one side only (all 2P zeros before it); put P zeros on each side.": (
                lambda: _padded_one_side(x, w, b, s, p, before=True)
            ),
            "the stride is ignored: with stride S the output is smaller and window (i, j) starts at (S·i, S·j).": (
                lambda: _reference(x, w, b, 1, p)
            ),
            "the output has the right size, but window (i, j) starts at (i, j) instead of (S·i, S·j).": (
                lambda: _reference(x, w, b, 1, p)[:, :, : size[0], : size[1]]
            ),
            "the filter is flipped (that is the mathematicians' convolution); CNN layers slide the filter as it "
            "is (cross-correlation).": lambda: _reference(x, w[:, :, ::-1, ::-1], b, s, p),
            "the padding is ignored.": lambda: _reference(x, w, b, s, 0),
            "the output width is computed from the height (H_out twice): the input need not be square; "
            "W_out comes from the width W.": lambda: _reference(*case)[:, :, :, : size[0]],
            "the + 1 of W_out = (W − F + 2P)/S + 1 is missing, so the last row and column of outputs are "
            "left out.": lambda: _reference(*case)[:, :, : size[0] - 1, : size[1] - 1],
            "a ReLU is applied: this layer's output is w·x + b itself; the activation is a separate step.": (
                lambda: np.maximum(_reference(*case), 0)
            ),
            "the bias is added once per channel (C times): add b[k] once to each output value, after summing "
            "over the channels.": lambda: _reference(x, w, x.shape[1] * b, s, p),
            "rows and columns are swapped: output (i, j) is the window at row S·i (down) and column S·j "
            "(across).": lambda: _reference(*case).transpose(0, 1, 3, 2),
        },
        rtol=1e-6,
        atol=1e-8,
    )


def _conv_cases(rng, shapes):
    return [
        (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), stride, pad)
        for xs, ws, stride, pad in shapes
    ]


def _conv_visible():
    rng = np.random.default_rng(62)
    first = (np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3)), np.array([0.5]), 1, 0)
    shapes = [((2, 3, 5, 5), (4, 3, 3, 3), 1, 1), ((1, 2, 7, 7), (3, 2, 3, 3), 2, 1)]
    shapes += [((2, 1, 6, 6), (2, 1, 2, 2), 2, 0), ((1, 2, 4, 6), (2, 2, 3, 3), 1, 2)]
    return [first, *_conv_cases(rng, shapes)]


def _conv_fresh(rng):
    shapes = [
        ((1, 3, 6, 5), (2, 3, 3, 3), 1, 1),
        ((2, 2, 9, 9), (3, 2, 5, 5), 2, 2),
        ((1, 4, 5, 7), (1, 4, 2, 2), 1, 0),
    ]
    return _conv_cases(rng, shapes)


EXERCISES = [
    Exercise(
        number="6.1",
        target="output_size",
        cases=lambda: [(_LECTURE_SIZES,)],
        fresh=_size_fresh,
        judge=_judge_size,
        call=lambda output_size, case: size_outcomes(output_size, case[0]),
        passed="Exercise {number}: every setting right, and every one that does not fit refused with its values.",
        references=("course_utils.layers.pool_output_size",),
        fallback="course_utils.layers.conv_output_size",
    ),
    Exercise(
        number="6.2",
        target="conv_forward",
        cases=_conv_visible,
        fresh=_conv_fresh,
        judge=_judge_conv,
        references=("course_utils.layers.conv2d_forward", "course_utils.layers.conv2d_forward_naive"),
        fallback="course_utils.instructor.exercises.nb06.conv_reference",
    ),
]
