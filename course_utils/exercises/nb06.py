"""Exercises 6.1-6.2 (notebook 06, convolution): the output-size rule, the convolution as loops."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, as_array, compare, describe

__all__ = ["EXERCISES", "conv_reference"]

_SIZE_MISTAKES = {
    "the + 1 is missing: a filter that fits exactly once (W = F, P = 0) gives one output, not zero.": (
        lambda W, F, P, S: (W - F + 2 * P) / S
    ),
    "the padding is counted once; it is added on both sides, so 2P.": lambda W, F, P, S: (W - F + P) / S + 1,
    "the padding is left out.": lambda W, F, P, S: (W - F) / S + 1,
    "the stride is left out: with stride S the filter jumps S pixels, so divide by S.": (
        lambda W, F, P, S: W - F + 2 * P + 1
    ),
    "the + 1 is inside the division; it counts the first position, so it comes after dividing.": (
        lambda W, F, P, S: (W - F + 2 * P + 1) / S
    ),
}


def _judge_size(case, got):
    """One case is a list of (W, F, P, S); a mistake is named only if it explains every answer."""
    (settings,) = case
    if not (isinstance(got, list) and len(got) == len(settings)):
        return f"expected {len(settings)} answers, got {describe(got)}."
    values = []
    for answer in got:
        array = as_array(answer)
        if isinstance(array, str):
            return array
        if array.shape != ():
            return f"return one number, got an array of shape {array.shape}."
        values.append(float(array))
    for (W, F, P, S), value in zip(settings, values, strict=True):
        expected = (W - F + 2 * P) // S + 1
        if abs(value - expected) > 1e-9:
            hint = next((s for s, wrong in _SIZE_MISTAKES.items() if _explains(wrong, settings, values)), None)
            return (
                f"for W={W}, F={F}, P={P}, S={S} you returned {value:g}, but W_out = (W − F + 2P)/S + 1 = "
                f"({W} − {F} + 2·{P})/{S} + 1 = {W - F + 2 * P}/{S} + 1 = {expected}."
                + (f" Likely mistake: {hint}" if hint else "")
            )
    return None


def _explains(wrong, settings, values) -> bool:
    """Whether the rule ``wrong`` gives every answer (with / or with //)."""
    return all(abs(v - wrong(*c)) < 1e-9 or v == np.floor(wrong(*c)) for c, v in zip(settings, values, strict=True))


def _size_fresh(rng):
    settings = []
    while len(settings) < 6:
        W, F, P, S = int(rng.integers(6, 64)), int(rng.integers(1, 8)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        if F <= W + 2 * P and (W - F + 2 * P) % S == 0:
            settings.append((W, F, P, S))
    return [(tuple(settings),)]


_LECTURE_SIZES = ((32, 5, 0, 1), (5, 3, 0, 1), (5, 3, 1, 2), (5, 3, 1, 1), (5, 3, 2, 1), (7, 3, 1, 2), (28, 5, 2, 1),
                  (227, 11, 0, 4))  # fmt: skip


def _loops(x, w, b, stride, out_h, out_w):
    """Reference loops on an already padded x; windows at (stride·i, stride·j)."""
    fh, fw = w.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, None, :, i * stride : i * stride + fh, j * stride : j * stride + fw]
            out[:, :, i, j] = np.sum(window * w[None], axis=(2, 3, 4)) + b
    return out


def conv_reference(x, w, b, stride, pad):
    """The convolution layer's output (N, K, H_out, W_out) for x (N, C, H, W), w (K, C, F, F), b (K,)."""
    out_h = (x.shape[2] - w.shape[2] + 2 * pad) // stride + 1
    out_w = (x.shape[3] - w.shape[3] + 2 * pad) // stride + 1
    return _loops(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))), w, b, stride, out_h, out_w)


def _padded_one_side(x, w, b, stride, pad, before):
    width = ((2 * pad, 0), (2 * pad, 0)) if before else ((0, 2 * pad), (0, 2 * pad))
    expected = conv_reference(x, w, b, stride, pad)
    return _loops(np.pad(x, ((0, 0), (0, 0), *width)), w, b, stride, *expected.shape[2:])


def _judge_conv(case, got):
    x, w, b, s, p = case
    size = ((x.shape[2] - w.shape[2] + 2 * p) // s + 1, (x.shape[3] - w.shape[3] + 2 * p) // s + 1)
    array = as_array(got, "your conv_forward")
    if not isinstance(array, str) and array.ndim == 5:
        return (
            f"for x of shape {x.shape} the output has shape {array.shape}: one map per channel. Each output value "
            "is ONE number per filter: the products are summed over all C channels (and the F×F window)."
        )
    return compare(
        got,
        conv_reference(*case),
        case,
        what="the output",
        mistakes={
            "the bias is missing: each filter adds its b[k] to every output position.": (
                lambda: conv_reference(x, w, np.zeros_like(b), s, p)
            ),
            "only the first channel is used: a filter spans all C channels of the input, and the products of "
            "every channel are summed.": lambda: conv_reference(x[:, :1], w[:, :1], b, s, p),
            "the channels are averaged, not summed: add the products of all C channels.": (
                lambda: (conv_reference(x, w, np.zeros_like(b), s, p)) / x.shape[1] + b[:, None, None]
            ),
            "the image is padded on one side only (all 2P zeros after it); put P zeros on each side.": (
                lambda: _padded_one_side(x, w, b, s, p, before=False)
            ),
            "the image is padded on one side only (all 2P zeros before it); put P zeros on each side.": (
                lambda: _padded_one_side(x, w, b, s, p, before=True)
            ),
            "the stride is ignored: with stride S the output is smaller and window (i, j) starts at (S·i, S·j).": (
                lambda: conv_reference(x, w, b, 1, p)
            ),
            "the output has the right size, but window (i, j) starts at (i, j) instead of (S·i, S·j).": (
                lambda: conv_reference(x, w, b, 1, p)[:, :, : size[0], : size[1]]
            ),
            "the filter is flipped (that is the mathematicians' convolution); CNN layers slide the filter as it "
            "is (cross-correlation).": lambda: conv_reference(x, w[:, :, ::-1, ::-1], b, s, p),
            "the padding is ignored.": lambda: conv_reference(x, w, b, s, 0),
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
        call=lambda output_size, case: [output_size(*setting) for setting in case[0]],
        passed=f"Exercise {{number}}: all {len(_LECTURE_SIZES)} checks passed.",
        references=("course_utils.layers.conv_output_size", "course_utils.layers.pool_output_size"),
    ),
    Exercise(
        number="6.2",
        target="conv_forward",
        cases=_conv_visible,
        fresh=_conv_fresh,
        judge=_judge_conv,
        references=(
            "course_utils.layers.conv2d_forward",
            "course_utils.layers.conv2d_forward_naive",
            "course_utils.exercises.nb06.conv_reference",
        ),
    ),
]
