"""Convolution and pooling layers in numpy: forward and backward, NCHW, float32 or float64.

Introduced in notebook 06 (convolution) and notebook 07 (pooling); the numpy LeNet is built from them
(its 2×2 pooling by maxpool2x2_forward, a shortcut to maxpool2d_forward's numbers).

Convention (as in the CS231n assignments)::

    out, cache = layer_forward(x, ...)
    dx, ... = layer_backward(dout, cache)

Shapes follow PyTorch: images x are (N, C, H, W), conv weights w are (K, C, FH, FW).
Output sizes follow the lecture's rule W_out = (W - F + 2P) / S + 1, and unlike PyTorch
(which silently drops the last rows) a size that does not divide evenly is an error.
Arrays in float32 stay float32 (the speed of the numpy LeNet depends on it); anything
else is computed in float64. nan and inf are not refused: they propagate as in PyTorch (a
nan in a window makes that output nan; max pooling sends its gradient to the window's nan,
the last one in row-major order, as PyTorch on the CPU does), so that a diverging training
run shows nan rather than stopping (notebook 04's curves rely on seeing it).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.layer_sizes import (
    conv_layer_cost,
    conv_output_size,
    layer_output_size,
    pool_output_size,
    require_cache,
)
from course_utils.layer_sizes import float_array as _float
from course_utils.pooling import (
    avgpool2d_backward,
    avgpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
    maxpool2x2_forward,
)

# The sizes (course_utils.layer_sizes) and pooling (course_utils.pooling) live in modules of their own;
# they are named here too, where the notebooks import them from.
__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv2d_forward",
    "conv2d_forward_naive",
    "conv2d_backward",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "maxpool2x2_forward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "example_filters",
    "conv_layer_cost",
]


def _check_conv_args(x, w, b, stride, pad):
    x, w, b = _float(x, "x"), _float(w, "w"), _float(b, "b")
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must be (K, C, FH, FW), got shape {w.shape}")
    if b.shape != (w.shape[0],):
        raise ValueError(f"b must be (K,) = ({w.shape[0]},) for w of shape {w.shape}, got shape {b.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels (shape {x.shape}) but w expects {w.shape[1]} (shape {w.shape})")
    if w.shape[0] < 1 or w.shape[1] < 1:
        raise ValueError(
            f"w must hold at least one filter (K ≥ 1) of at least one channel (C ≥ 1), got shape {w.shape}"
        )
    dtype = np.result_type(x, w, b)
    x, w, b = x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False)
    out_h = layer_output_size(x.shape[2], w.shape[2], pad, stride, axis="height")
    out_w = layer_output_size(x.shape[3], w.shape[3], pad, stride, axis="width")
    return x, w, b, out_h, out_w


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x


def _im2col(x: np.ndarray, fh: int, fw: int, stride: int, pad: int, out_h: int, out_w: int) -> np.ndarray:
    """Every filter-sized patch of x as a column: (C·FH·FW, out_h·out_w·N), rows ordered like w.reshape(K, -1).

    The columns run over positions first and images last (batch-last layout): copying a patch
    then moves long contiguous runs of N numbers instead of single pixels, which is what makes
    this fast. The matrix product sees the same numbers either way.
    """
    c, n = x.shape[1], x.shape[0]
    x_cl = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N)
    if pad:
        x_cl = np.pad(x_cl, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(x_cl, (fh, fw), axis=(1, 2))[:, ::stride, ::stride]
    # windows: (C, out_h, out_w, N, FH, FW), a view. One copy puts it in matrix order.
    return np.ascontiguousarray(windows.transpose(0, 4, 5, 1, 2, 3)).reshape(c * fh * fw, out_h * out_w * n)


def _batch_first(rows: np.ndarray) -> np.ndarray:
    """(M, N) batch-last rows → a new (N, M) array: the same numbers as np.ascontiguousarray(rows.T).

    Copied 128 rows at a time, so that each block is read and written while it sits in the
    cache: about twice as fast as one transposed copy for conv1's output, whose numbers lie N apart.
    """
    out = np.empty(rows.shape[::-1], dtype=rows.dtype)
    for start in range(0, len(rows), 128):
        out[:, start : start + 128] = rows[start : start + 128].T
    return out


def conv2d_forward(x, w, b, stride: int = 1, pad: int = 0, *, input_grad: bool = True) -> tuple[np.ndarray, dict]:
    """Convolution (cross-correlation, as in PyTorch) by im2col and one matrix product.

    Args:
        x: (N, C, H, W) input.  w: (K, C, FH, FW) filters.  b: (K,) biases.
        stride: S ≥ 1, the step between filter positions.  pad: P ≥ 0 zeros on each side.
        input_grad: False when nothing needs the gradient of x (a network's own input, like a
            PyTorch tensor without requires_grad): conv2d_backward then skips it and returns dx = None.
    Returns:
        out: (N, K, H_out, W_out) with H_out = (H - FH + 2P)/S + 1 (likewise W_out);
            out[n, k, i, j] = b[k] + Σ_{c,p,q} w[k, c, p, q] · x_padded[n, c, S·i + p, S·j + q].
        cache: what conv2d_backward needs.
    """
    if not isinstance(input_grad, bool):
        raise ValueError(f"input_grad must be True or False, got {input_grad!r}")
    x, w, b, out_h, out_w = _check_conv_args(x, w, b, stride, pad)
    n, k = x.shape[0], w.shape[0]
    cols = _im2col(x, w.shape[2], w.shape[3], stride, pad, out_h, out_w)
    out = w.reshape(k, -1) @ cols  # (K, out_h·out_w·N)
    out += b[:, None]
    out = _batch_first(out.reshape(k * out_h * out_w, n)).reshape(n, k, out_h, out_w)
    return out, {"x_shape": x.shape, "w": w, "stride": stride, "pad": pad, "cols": cols, "input_grad": input_grad}


def conv2d_forward_naive(x, w, b, stride: int = 1, pad: int = 0) -> tuple[np.ndarray, dict]:
    """The same as :func:`conv2d_forward`, written as explicit loops for reading (slow).

    Shapes as in conv2d_forward: x (N, C, H, W), w (K, C, FH, FW), b (K,) → out (N, K, H_out, W_out).
    """
    x, w, b, out_h, out_w = _check_conv_args(x, w, b, stride, pad)
    n_images, n_filters, fh, fw = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    x_padded = _pad(x, pad)
    out = np.zeros((n_images, n_filters, out_h, out_w), dtype=x.dtype)
    for n in range(n_images):
        for k in range(n_filters):
            for i in range(out_h):
                for j in range(out_w):
                    window = x_padded[n, :, i * stride : i * stride + fh, j * stride : j * stride + fw]
                    out[n, k, i, j] = np.sum(window * w[k]) + b[k]  # a C·FH·FW-number dot product plus a bias
    return out, {"x_shape": x.shape, "w": w, "stride": stride, "pad": pad, "x": x}


def conv2d_backward(dout, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a convolution from the gradient of its output.

    Args:
        dout: (N, K, H_out, W_out), the gradient of the loss with respect to out.
        cache: from conv2d_forward or conv2d_forward_naive.
    Returns:
        dx (N, C, H, W): a full correlation of dout with the flipped filters (here: the
            columns w^T · dout added back into the patches they came from, "col2im");
            None when the forward pass was told input_grad=False;
        dw (K, C, FH, FW): the correlation of the input with dout;
        db (K,): dout summed over images and positions.
    """
    require_cache(cache, ("x_shape", "w", "stride", "pad"), "conv2d_forward (or conv2d_forward_naive)")
    if "cols" not in cache and "x" not in cache:
        raise ValueError("cache holds neither 'cols' nor 'x': pass the cache that conv2d_forward returned")
    x_shape, w, stride, pad = cache["x_shape"], cache["w"], cache["stride"], cache["pad"]
    n, c, h, wd = x_shape
    k, _, fh, fw = w.shape
    dout = np.asarray(dout, dtype=w.dtype)
    out_h = layer_output_size(h, fh, pad, stride, axis="height")
    out_w = layer_output_size(wd, fw, pad, stride, axis="width")
    if dout.shape != (n, k, out_h, out_w):
        raise ValueError(
            f"dout must have the shape of the output, (N, K, H_out, W_out) = {(n, k, out_h, out_w)}, got {dout.shape}"
        )
    cols = cache.get("cols")
    if cols is None:  # the naive forward keeps x instead
        cols = _im2col(cache["x"], fh, fw, stride, pad, out_h, out_w)
    dout_rows = np.ascontiguousarray(dout.transpose(1, 2, 3, 0)).reshape(k, -1)  # (K, out_h·out_w·N) like cols
    db = dout_rows.sum(axis=1)
    dw = (cols @ dout_rows.T).T.reshape(w.shape)  # = dout_rows @ cols.T, a faster order for OpenBLAS
    if not cache.get("input_grad", True):
        return None, dw, db
    dcols = (w.reshape(k, -1).T @ dout_rows).reshape(c, fh, fw, out_h, out_w, n)
    dx_cl = np.zeros((c, h + 2 * pad, wd + 2 * pad, n), dtype=w.dtype)  # batch-last, as in _im2col
    for p in range(fh):  # col2im: each filter offset adds its share back (overlaps add up)
        for q in range(fw):
            dx_cl[:, p : p + stride * out_h : stride, q : q + stride * out_w : stride] += dcols[:, p, q]
    dx = np.ascontiguousarray(dx_cl[:, pad : pad + h, pad : pad + wd].transpose(3, 0, 1, 2))
    return dx, dw, db


def example_filters() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Six hand-made 5×5×3 filters for a colour image (notebooks 06-07): names, w (6, 3, 5, 5), b (6,), float32.

    What a trained first layer tends to learn, written down by hand: two edge detectors on the
    brightness (a smoothed derivative across, then down), a blur, a centre-minus-surround spot
    detector, and two colour-contrast filters (red minus green, blue minus yellow).
    """
    smooth = np.array([1, 4, 6, 4, 1], dtype=np.float32) / 16
    slope = np.array([-1, -2, 0, 2, 1], dtype=np.float32) / 6
    grey = np.full(3, 1 / 3, dtype=np.float32)  # the same weight on R, G and B: brightness
    spot = -np.ones((5, 5), dtype=np.float32) / 16
    spot[1:4, 1:4] = 1 / 9  # the 3×3 centre sums to +1, the 16 surround cells to -1
    flat = np.ones((5, 5), dtype=np.float32) / 25
    names = ("vertical edges", "horizontal edges", "blur", "spot", "red − green", "blue − yellow")
    w = np.stack(
        [
            grey[:, None, None] * np.outer(smooth, slope),
            grey[:, None, None] * np.outer(slope, smooth),
            grey[:, None, None] * flat,
            grey[:, None, None] * spot,
            np.array([1, -1, 0], dtype=np.float32)[:, None, None] * flat,
            np.array([-0.5, -0.5, 1], dtype=np.float32)[:, None, None] * flat,
        ]
    ).astype(np.float32)
    return names, w, np.zeros(6, dtype=np.float32)
