"""Exercises 7.1-7.3 (notebook 07, pooling): max and mean pooling forward, max pooling's backward pass.

7.3 is the backward pass with ties and overlapping windows.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare
from course_utils.checking.oracle import oracle
from course_utils.instructor.exercises.nb06b import not_one_array

__all__ = [
    "EXERCISES",
    "pool_loops",
    "maxpool_forward_reference",
    "meanpool_forward_reference",
    "maxpool_backward_reference",
    "maxpool_backward_loops",
]


# The course's versions (the fallbacks) are PyTorch's pooling and its autograd, in float64: the exercises ask
# for the loops. (PyTorch on the CPU gives a tied maximum's gradient to the first in row-major order, too.)


def _torch(a, grad=False):
    import torch

    return torch.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=grad)


def maxpool_forward_reference(x, size=2, stride=2):
    """Max pooling of x (N, C, H, W) over size×size windows every ``stride`` pixels → (N, C, H_out, W_out)."""
    import torch.nn.functional as F

    return F.max_pool2d(_torch(x), size, stride).numpy()


def meanpool_forward_reference(x, size=2, stride=2):
    """Mean pooling of x (N, C, H, W) over size×size windows every ``stride`` pixels → (N, C, H_out, W_out)."""
    import torch.nn.functional as F

    return F.avg_pool2d(_torch(x), size, stride).numpy()


def maxpool_backward_reference(dout, x, size, stride):
    """dx (N, C, H, W) of max pooling, given dout (N, C, H_out, W_out) and the layer's input x."""
    import torch.nn.functional as F

    x = _torch(x, grad=True)
    F.max_pool2d(x, size, stride).backward(_torch(dout))
    return x.grad.numpy()


@oracle
def pool_loops(x, size, stride, op="max", *, step=None, count=None, n_out=None, mix_channels=False):
    """Pooling as loops; the keywords give the typical mistakes.

    step: the window of output (i, j) starts at (step·i, step·j) (the stride, unless a mistake ignores
    it); count: what a mean divides by (size², unless a mistake divides by something else; "window":
    np.mean of the slice, which a window cut short at the edge makes smaller); n_out:
    (H_out, W_out), windows that hang over the edge being cut; mix_channels: every channel gets the
    pool of all channels' windows.
    """
    x = np.asarray(x, dtype=np.float64)
    step = stride if step is None else step
    count = size * size if count is None else count
    if n_out is None:
        n_out = ((x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1)
    out = np.zeros((*x.shape[:2], *n_out))
    for i in range(n_out[0]):
        for j in range(n_out[1]):
            window = x[:, :, i * step : i * step + size, j * step : j * step + size]
            axes = (1, 2, 3) if mix_channels else (2, 3)
            if op == "max":
                value = window.max(axis=axes)
            else:  # count "window": the mean of what the slice holds (a window cut short at the edge too)
                held = int(np.prod([window.shape[a] for a in axes])) if count == "window" else count
                with np.errstate(invalid="ignore", divide="ignore"):  # a window wholly past the edge: nan
                    value = window.sum(axis=axes) / held
            out[:, :, i, j] = value[:, None] if mix_channels else value
    return out


def _forward_mistakes(x, size, stride, op):
    h, w = x.shape[2:]
    right = ((h - size) // stride + 1, (w - size) // stride + 1)
    mistakes = {
        "the stride is ignored: the windows start every pixel, so there are too many and they overlap. Window "
        "(i, j) starts at (S·i, S·j), and there are (H − F)/S + 1 of them down.": (
            lambda: pool_loops(x, size, stride, op, step=1, n_out=(h - size + 1, w - size + 1))
        ),
        "the output has the right size, but window (i, j) starts at (i, j) instead of (S·i, S·j).": (
            lambda: pool_loops(x, size, stride, op, step=1)
        ),
        "the number of windows is H // F: that holds only when the windows tile the map (S = F); with stride "
        "S there are (H − F)/S + 1.": lambda: pool_loops(x, size, stride, op, n_out=(h // size, w // size)),
        "the number of windows is H // S: the last windows hang over the edge of the map; there are "
        "(H − F)/S + 1.": lambda: pool_loops(x, size, stride, op, n_out=(h // stride, w // stride)),
        "the channels are mixed: each channel is pooled on its own, over its own F×F window.": (
            lambda: pool_loops(x, size, stride, op, mix_channels=True)
        ),
        "the + 1 is missing: the first window counts too, so there are (H − F)/S + 1 windows down.": (
            lambda: pool_loops(x, size, stride, op, n_out=(right[0] - 1, right[1] - 1))
        ),
        "the width's count uses the height (H_out twice): the map need not be square.": (
            lambda: pool_loops(x, size, stride, op, n_out=(right[0], right[0]))
        ),
    }
    other = "mean" if op == "max" else "max"
    mistakes = {
        f"each window's {other} is computed: {op} pooling keeps the window's {op}.": (
            lambda: pool_loops(x, size, stride, other)
        ),
        "the windows start every F pixels, as if the stride were the window size: with stride S window (i, j) "
        "starts at (S·i, S·j), and there are (H − F)/S + 1 of them down.": lambda: pool_loops(x, size, size, op),
        "the output has the right size, but window (i, j) starts at (F·i, F·j), the window size times i; it starts "
        "at (S·i, S·j), the stride times i (the last windows then hang over the edge, cut short by the slice).": (
            lambda: pool_loops(x, size, stride, op, step=size, count="window")
        ),
        **mistakes,
    }
    if op == "mean":
        mistakes = {
            f"the mean divides by F = {size}; a window holds F·F = {size * size} numbers.": (
                lambda: pool_loops(x, size, stride, op, count=size)
            ),
            f"the mean divides by S·S = {stride * stride}; a window holds F·F = {size * size} numbers, whatever "
            "the stride.": lambda: pool_loops(x, size, stride, op, count=stride * stride),
            "the window is summed, not averaged: divide by the number of values in the window.": (
                lambda: pool_loops(x, size, stride, op, count=1)
            ),
            **mistakes,
        }
    return mistakes


def _judge_forward(op):
    def judge(case, got):
        x, size, stride = case
        expected = pool_loops(x, size, stride, op)
        message = not_one_array(got, expected.shape, "out")
        if message:
            return message
        return compare(
            got,
            pool_loops(x, size, stride, op),
            case,
            what="the output",
            mistakes=_forward_mistakes(x, size, stride, op),
            rtol=1e-7,
            atol=1e-10,
        )

    return judge


def _forward_visible():
    rng = np.random.default_rng(70)
    lecture = np.array([[[[1.0, 1.0, 2.0, 4.0], [5.0, 6.0, 7.0, 8.0], [3.0, 2.0, 1.0, 0.0], [1.0, 2.0, 3.0, 4.0]]]])
    shapes = [((2, 3, 6, 6), 2, 2), ((1, 2, 7, 7), 3, 2), ((2, 2, 6, 8), 2, 1), ((1, 3, 10, 6), 4, 2)]
    shapes += [((1, 2, 9, 9), 3, 3)]
    return [(lecture, 2, 2), *[(rng.normal(size=s), f, t) for s, f, t in shapes]]


def _forward_fresh(rng):
    shapes = [((2, 2, 8, 6), 2, 2), ((1, 3, 9, 7), 3, 2), ((3, 1, 5, 6), 2, 1), ((1, 2, 12, 8), 4, 4)]
    return [(rng.normal(size=s), f, t) for s, f, t in shapes]


@oracle
def maxpool_backward_loops(dout, x, size, stride, mode="first"):
    """Max-pool backward with loops; ``mode`` picks the right rule or a typical mistake.

    first: the first maximum in row-major order gets dout, overlaps add up (the right answer);
    assign: overlaps overwrite instead of adding; all_ties: every tied maximum gets dout; split: the
    tied maxima share dout equally;
    last: the last tied maximum gets it; spread: dout/size² to every input, like mean pooling;
    copy: dout to every input of the window; local: the arg-max gets 1 (dout left out).
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
                    if mode in ("spread", "copy"):
                        dx[n, c, rows, cols] += g / size**2 if mode == "spread" else g
                    elif mode in ("all_ties", "split"):
                        tied = window == window.max()
                        dx[n, c, rows, cols] += g * tied / (tied.sum() if mode == "split" else 1)
                    else:
                        flat = window.ravel()
                        k = flat.size - 1 - np.argmax(flat[::-1]) if mode == "last" else np.argmax(flat)
                        r, q = i * stride + k // size, j * stride + k % size
                        g = 1.0 if mode == "local" else g
                        dx[n, c, r, q] = g if mode == "assign" else dx[n, c, r, q] + g
    return dx


_MISTAKES = {
    "assign": "where windows overlap, an input that is the maximum of two windows must receive the SUM of their "
    "gradients; yours keeps only one (use += instead of =).",
    "all_ties": "every tied maximum gets the gradient; only one element was chosen in the forward pass: give it to "
    "the first maximum in row-major order (np.argmax does that), as PyTorch does.",
    "split": "the gradient is split equally between the tied maxima; the forward pass passed on ONE element's "
    "value, so one element gets all of dout: the first maximum in row-major order (np.argmax), as PyTorch does.",
    "last": "ties go to the last maximum; the rule is the first in row-major order (np.argmax on the flattened "
    "window), as PyTorch does.",
    "spread": "the gradient is spread over the window like mean pooling; max pooling sends all of it to the maximum.",
    "copy": "dout is copied to every input of the window; only the maximum passed its value on, so only it gets "
    "the gradient; the others get 0.",
    "local": "the maximum gets 1, its local derivative; the chain rule multiplies that by the gradient arriving "
    "from above: the maximum gets dout[n, c, i, j].",
}


def _judge(case, got):
    message = not_one_array(got, case[1].shape, "dx")
    if message:
        return message
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
        target="maxpool_forward",
        cases=_forward_visible,
        fresh=_forward_fresh,
        judge=_judge_forward("max"),
        references=("course_utils.layers.maxpool2d_forward", "course_utils.instructor.exercises.nb07.pool_loops"),
        fallback="course_utils.instructor.exercises.nb07.maxpool_forward_reference",
    ),
    Exercise(
        number="7.2",
        target="meanpool_forward",
        cases=_forward_visible,
        fresh=_forward_fresh,
        judge=_judge_forward("mean"),
        references=("course_utils.layers.avgpool2d_forward", "course_utils.instructor.exercises.nb07.pool_loops"),
        fallback="course_utils.instructor.exercises.nb07.meanpool_forward_reference",
    ),
    Exercise(
        number="7.3",
        target="maxpool_backward",
        cases=_visible,
        fresh=_fresh,
        judge=_judge,
        references=(
            "course_utils.layers.maxpool2d_backward",
            "course_utils.instructor.exercises.nb07.maxpool_backward_loops",
        ),
        fallback="course_utils.instructor.exercises.nb07.maxpool_backward_reference",
    ),
]
