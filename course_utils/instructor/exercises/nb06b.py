"""Exercise 6.3 (notebook 06, convolution): the backward pass of a convolution layer, dx, dw and db.

Also the two return checks 6.2, 6.3 and 7.1-7.3 share: a tuple instead of one array, float32 instead of float64.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, Tensor, as_array, compare, describe
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "conv_backward_reference", "conv_backward_loops", "not_one_array", "low_precision"]


def not_one_array(got, expected_shape, name):
    """The message for a tuple or list that is not one array (e.g. (out, cache), as the course's layers return),
    naming the shapes of its items instead of printing them; None for anything else."""
    if not isinstance(got, (tuple, list)) or not got or not isinstance(as_array(got), str):
        return None
    items = ", ".join(
        f"shape {a.shape}" if not isinstance(a := as_array(item), str) else type(item).__name__ for item in got[:4]
    )
    first = as_array(got[0])
    which = (
        f" Its first item has the right shape: return `{name}` alone (the course's layers return (out, cache); "
        "this exercise asks for the array only)."
        if not isinstance(first, str) and first.shape == tuple(expected_shape)
        else ""
    )
    return (
        f"your function returned a {type(got).__name__} of {len(got)} items ({items}), expected one array of "
        f"shape {tuple(expected_shape)}.{which}"
    )


def low_precision(got, name):
    """The message for a float32 (or float16) array where the float64 inputs ask for float64, else None."""
    raw = got.array if isinstance(got, Tensor) else got
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "f" and raw.dtype.itemsize < 8:
        return (
            f"{name} has dtype {raw.dtype}, but the inputs are float64: {raw.dtype} keeps only about "
            f"{np.finfo(raw.dtype).precision} digits, too few for the numerical gradient check in the notebook. "
            "Keep the inputs' precision (np.zeros makes float64 unless told otherwise)."
        )
    return None


def conv_backward_reference(dout, x, w, b, stride=1, pad=0):
    """(dx, dw, db) of the convolution out = conv(x, w, b, stride, pad), given dout = ∂L/∂out.

    dout (N, K, H_out, W_out), x (N, C, H, W), w (K, C, FH, FW), b (K,) → dx like x, dw like w, db like b.
    The course's version (the fallback): PyTorch's conv2d and its autograd, in float64 (the exercise asks for
    the loops).
    """
    import torch
    import torch.nn.functional as F

    x, w, b = (torch.tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True) for a in (x, w, b))
    out = F.conv2d(x, w, b, stride=stride, padding=pad)
    out.backward(torch.as_tensor(np.ascontiguousarray(dout, dtype=np.float64)))
    return x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


@oracle
def conv_backward_loops(
    dout, x, w, stride=1, pad=0, *, flip=False, step=None, dw_images="all", crop="both", dx_assign=False
):
    """The backward pass as loops over the outputs; the keywords give the typical mistakes.

    flip: the filter is flipped spatially in dx; step: the window of output (i, j) starts at
    (step·i, step·j) (the stride, unless a mistake ignores it); dw_images: "all" (the sum over the
    batch), "last" (each image overwrites dw) or "mean"; crop: "both" (P rows and columns off each
    side), "none" (the padded dx), "start" / "end" (all 2P off one side); dx_assign: each window's
    contribution to dx overwrites the overlapping ones instead of adding to them.
    """
    x, w, dout = (np.asarray(a, dtype=np.float64) for a in (x, w, dout))
    step = stride if step is None else step
    fh, fw = w.shape[2:]  # rectangular filters too
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w_dx = w[:, :, ::-1, ::-1] if flip else w
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(x.shape[0]):
        dw_n = np.zeros_like(w)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                rows, cols = slice(i * step, i * step + fh), slice(j * step, j * step + fw)
                g = dout[n, :, i, j][:, None, None, None]  # (K, 1, 1, 1)
                contribution = np.sum(g * w_dx, axis=0)
                if dx_assign:
                    dx_pad[n, :, rows, cols] = contribution
                else:
                    dx_pad[n, :, rows, cols] += contribution
                dw_n += g * x_pad[n, None, :, rows, cols]
        dw = dw_n if dw_images == "last" else dw + dw_n
    if dw_images == "mean":
        dw = dw / x.shape[0]
    h, wd = x.shape[2:]
    corner = {"both": pad, "none": 0, "start": 2 * pad, "end": 0}[crop]
    dx = dx_pad if crop == "none" else dx_pad[:, :, corner : corner + h, corner : corner + wd]
    return dx, dw, dout.sum(axis=(0, 2, 3))


_DX_MISTAKES = {
    "dx uses the flipped filter: in loops over the outputs, x[n, c, r, s] collects dout[n, k, i, j] times the "
    "weight that multiplied it in the forward pass, the filter as it is (the flip belongs only to writing dx "
    "as one full correlation of dout).": {"flip": True},
    "dx is cropped on one side (the first 2P rows and columns removed): the padding is P on EACH side, so "
    "crop P from the start and P from the end.": {"crop": "start"},
    "dx is cropped on one side (the last 2P rows and columns removed): the padding is P on EACH side, so "
    "crop P from the start and P from the end.": {"crop": "end"},
    "the stride is ignored: output (i, j) came from the window starting at (S·i, S·j), and its gradient goes "
    "back there.": {"step": 1},
    "where windows overlap, a pixel keeps only the last window's contribution to dx: it was used by every "
    "window that covers it, so its gradient is the SUM (use += instead of =).": {"dx_assign": True},
}
_DW_MISTAKES = {
    "dw holds only the last image: a filter is used on every image of the batch, so its gradient is the SUM "
    "over the images (add, do not overwrite).": {"dw_images": "last"},
    "dw is averaged over the batch; the loss sums over the batch, so dw sums: add the images' gradients.": {
        "dw_images": "mean"
    },
    "the stride is ignored: output (i, j) came from the window starting at (S·i, S·j).": {"step": 1},
}


def _judge(case, got):
    dout, x, w, b, stride, pad = case
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        return f"return the three gradients as a tuple (dx, dw, db), got {describe(got)}."
    dx, dw, db = got
    n, c, h, wd = x.shape
    k = w.shape[0]
    shapes = {"dx": as_array(dx, "dx"), "dw": as_array(dw, "dw"), "db": as_array(db, "db")}
    for array in shapes.values():
        if isinstance(array, str):
            return array.replace(" returned", " is")
    for name, value in zip(("dx", "dw", "db"), got, strict=True):
        if low_precision(value, name):
            return low_precision(value, name)
    if shapes["dx"].shape == w.shape and shapes["dw"].shape == x.shape and x.shape != w.shape:
        return f"dx has w's shape {w.shape} and dw has x's shape {x.shape}: return the tuple in the order (dx, dw, db)."
    if pad == 0 and shapes["dx"].shape[2:] == (0, 0) and shapes["dx"].ndim == 4:
        return (
            f"for pad = 0, dx has shape {shapes['dx'].shape}, expected {x.shape}: a crop written "
            "dx_pad[:, :, p:-p, p:-p] is EMPTY when p = 0 (-0 is 0). Crop with dx_pad[:, :, p:p + H, p:p + W]."
        )
    if shapes["dx"].shape == (n, c, h + 2 * pad, wd + 2 * pad) and pad:
        return (
            f"dx has shape {shapes['dx'].shape}, the shape of the PADDED input; x is {x.shape}. The padding zeros "
            f"are not inputs of the layer: crop their P = {pad} rows and columns off each side of dx."
        )
    if shapes["dw"].shape == (n, *w.shape):
        return (
            f"dw has shape {shapes['dw'].shape}: one gradient per image. The filters are shared by every image of "
            f"the batch, so dw has w's shape {w.shape}: sum the images' contributions."
        )
    if shapes["db"].shape in ((n, k), (k, *dout.shape[2:]), dout.shape):
        return (
            f"db has shape {shapes['db'].shape}, expected b's shape ({k},): b[k] was added to EVERY output "
            "position of map k in every image, so db[k] sums dout[:, k] over the images and all positions."
        )
    right = conv_backward_loops(dout, x, w, stride, pad)  # the loops, not the fallback: the same numbers

    def wrong(options, index):
        return {
            s: (lambda kw=kw: conv_backward_loops(dout, x, w, stride, pad, **kw)[index]) for s, kw in options.items()
        }

    where = f"dout {dout.shape}, x {x.shape}, w {w.shape}, stride={stride}, pad={pad}"
    db_mistakes = {
        "db is averaged; b[k] was added at every position of every image, so db[k] is the SUM of dout[:, k].": (
            dout.mean(axis=(0, 2, 3))
        ),
        "db holds only the last image: b is added in every image of the batch, so db sums over the images "
        "too (add, do not overwrite).": dout[-1].sum(axis=(1, 2)),
        "db is averaged over the batch; the loss sums over the batch, so db sums over the images too.": (
            dout.sum(axis=(0, 2, 3)) / dout.shape[0]
        ),
    }
    for name, index, mistakes in (("dx", 0, _DX_MISTAKES), ("dw", 1, _DW_MISTAKES)):
        message = compare(
            got[index], right[index], where, what=name, mistakes=wrong(mistakes, index), rtol=1e-6, atol=1e-8
        )
        if message:
            return message
    return compare(db, right[2], where, what="db", mistakes=db_mistakes, rtol=1e-6, atol=1e-8)


def _cases(rng, shapes):
    cases = []
    for xs, ws, stride, pad in shapes:
        out = ((xs[2] - ws[2] + 2 * pad) // stride + 1, (xs[3] - ws[3] + 2 * pad) // stride + 1)
        dout = rng.normal(size=(xs[0], ws[0], *out))
        cases.append((dout, rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), stride, pad))
    return cases


def _visible():
    rng = np.random.default_rng(63)
    first = (np.ones((1, 1, 2, 2)), np.arange(9.0).reshape(1, 1, 3, 3), np.array([[[[1.0, 2.0], [3.0, 4.0]]]]),
             np.zeros(1), 1, 0)  # fmt: skip
    shapes = [((2, 1, 4, 4), (1, 1, 2, 2), 1, 0), ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1)]
    shapes += [((2, 2, 7, 7), (3, 2, 3, 3), 2, 1), ((3, 2, 4, 6), (2, 2, 3, 3), 1, 2)]
    return [first, *_cases(rng, shapes)]


def _fresh(rng):
    shapes = [
        ((2, 3, 6, 5), (2, 3, 3, 3), 1, 1),
        ((3, 2, 9, 9), (3, 2, 5, 5), 2, 2),
        ((2, 4, 5, 7), (2, 4, 2, 2), 1, 0),
    ]
    return _cases(rng, shapes)


EXERCISES = [
    Exercise(
        number="6.3",
        target="conv_backward",
        cases=_visible,
        fresh=_fresh,
        judge=_judge,
        passed="Exercise 6.3: dx, dw and db are right in all {n} checks (batches, channels, stride 2, padding).",
        references=(
            "course_utils.layers.conv2d_backward",
            "course_utils.instructor.exercises.nb06b.conv_backward_loops",
        ),
        fallback="course_utils.instructor.exercises.nb06b.conv_backward_reference",
    )
]
