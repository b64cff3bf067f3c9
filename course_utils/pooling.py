"""Max and mean pooling in numpy: forward and backward, NCHW, float32 or float64.

Introduced in notebook 07 (pooling); the numpy LeNet pools with ``maxpool2x2_forward``, a shortcut to
``maxpool2d_forward``'s numbers. Convention as in ``course_utils.layers``: ``out, cache = ..._forward(x)``,
``dx = ..._backward(dout, cache)``.
"""

from __future__ import annotations

import numpy as np

from course_utils.layer_sizes import float_array as _float
from course_utils.layer_sizes import layer_output_size, require_cache

__all__ = [
    "maxpool2d_forward",
    "maxpool2d_backward",
    "maxpool2x2_forward",
    "avgpool2d_forward",
    "avgpool2d_backward",
]


def _check_pool_input(x, size: int, stride: int) -> tuple[np.ndarray, int, int]:
    x = _float(x, "x")
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    out_h = layer_output_size(x.shape[2], size, 0, stride, axis="height", pooling=True)
    return x, out_h, layer_output_size(x.shape[3], size, 0, stride, axis="width", pooling=True)


def _window_positions(x: np.ndarray, size: int, stride: int, out_h: int, out_w: int):
    """The size² positions of a window, each for all windows at once, in row-major order.

    Yields (p, q, view) with view[n, c, i, j] = x[n, c, stride·i + p, stride·j + q], the pixel at
    (p, q) of the window of output (i, j): a strided view (N, C, out_h, out_w), written through
    when x is a gradient being filled. Looping over the size² positions instead of the
    out_h·out_w windows keeps the loop short (4 steps for 2×2 windows) and the work in numpy.
    """
    for p in range(size):
        for q in range(size):
            yield p, q, x[:, :, p : p + stride * out_h : stride, q : q + stride * out_w : stride]


def _nan_wins(x: np.ndarray, out: np.ndarray, arg: np.ndarray, size: int, stride: int) -> None:
    """Where a window holds a nan, its output is nan and ``arg`` points at the window's last nan in row-major
    order, as PyTorch on the CPU routes the gradient; both max poolings call this, so they agree there too.
    Only a pass over ``out`` when nothing is nan."""
    if not np.isnan(out).any():
        return
    for p, q, pixels in _window_positions(x, size, stride, *out.shape[2:]):
        arg[np.isnan(pixels)] = p * size + q  # later positions overwrite earlier ones: the last nan wins


def _check_dout(dout, cache: dict, made_by: str, keys: tuple[str, ...] = ()) -> np.ndarray:
    require_cache(cache, ("x_shape", "dtype", "out_shape", "size", "stride", *keys), made_by)
    dout = np.asarray(dout, dtype=cache["dtype"])
    if dout.shape != cache["out_shape"]:
        raise ValueError(f"dout must have the shape of the output {cache['out_shape']}, got {dout.shape}")
    return dout


def maxpool2d_forward(x, size: int = 2, stride: int = 2) -> tuple[np.ndarray, dict]:
    """Max pooling over size×size windows taken every ``stride`` pixels (they overlap when stride < size).

    Args:
        x: (N, C, H, W).
    Returns:
        out: (N, C, H_out, W_out) with H_out = (H - size)/stride + 1; cache for the backward pass.
    Ties: when a window holds its maximum more than once, the first one in row-major order
    (top row first, left to right) gets the gradient, as in PyTorch on the CPU. A window holding
    a nan puts out nan and sends the gradient to its last nan, as PyTorch on the CPU does.
    """
    x, out_h, out_w = _check_pool_input(x, size, stride)
    positions = _window_positions(x, size, stride, out_h, out_w)
    _, _, top_left = next(positions)
    out = top_left.copy()  # the largest value of each window so far: first its top-left pixel
    # and where in the window it sits, p·size + q, in the smallest integer type that holds size² - 1
    # (one byte for windows up to 16×16: less memory to write now and to read in the backward pass)
    arg = np.zeros(out.shape, dtype=np.min_scalar_type(size * size - 1))
    for p, q, pixels in positions:  # the other positions, in row-major order
        arg[pixels > out] = p * size + q  # strictly larger: on a tie the earlier position stays (the tie rule)
        np.maximum(out, pixels, out=out)
    _nan_wins(x, out, arg, size, stride)
    cache = {"x_shape": x.shape, "dtype": x.dtype, "out_shape": out.shape, "size": size, "stride": stride, "arg": arg}
    return out, cache


def maxpool2d_backward(dout, cache: dict) -> np.ndarray:
    """Gradient of max pooling: each output's gradient goes to the input that was its maximum.

    dout (N, C, H_out, W_out) → dx (N, C, H, W). Where windows overlap, an input that was the
    maximum of several windows receives the sum of their gradients.
    """
    dout = _check_dout(dout, cache, "maxpool2d_forward (or maxpool2x2_forward)", ("arg",))
    size, stride, arg = cache["size"], cache["stride"], cache["arg"]
    dx = np.zeros(cache["x_shape"], dtype=cache["dtype"])
    for p, q, dx_pixels in _window_positions(dx, size, stride, *dout.shape[2:]):
        won = arg == p * size + q  # the windows whose maximum sat at (p, q)
        if stride < size:  # windows overlap: an input may collect gradients from several of them
            dx_pixels += won * dout
        else:  # each input lies in one window at most: write its gradient, nothing to add to (faster)
            np.multiply(won, dout, out=dx_pixels)
    return dx


def maxpool2x2_forward(x) -> tuple[np.ndarray, dict]:
    """``maxpool2d_forward(x, 2, 2)`` by a shortcut, the same out and cache: the numpy LeNet's pooling.

    Why it exists: LeNet pools 2×2 windows with stride 2, twice per training step. Such windows
    do not overlap, so one copy can set the four pixels of every window side by side, as four
    contiguous arrays; the maximum of each window is then found by comparing pixels in pairs,
    left against right in both rows and then the top row's winner against the bottom's: three
    comparisons of whole contiguous arrays, faster than the general loop over the positions on
    strided views (benchmarks/layers.py times both).
    The tie rule is maxpool2d_forward's (a tie goes to the top row, then to the left pixel; a nan
    window to its last nan), so
    maxpool2d_backward takes the cache unchanged. x (N, C, H, W) → out (N, C, H/2, W/2);
    ValueError naming the axis when H or W is odd. tests/test_layers.py checks it equals
    maxpool2d_forward and PyTorch.
    """
    x, out_h, out_w = _check_pool_input(x, 2, 2)
    n, c = x.shape[:2]
    # corners[p, q, n, c, i, j] = x[n, c, 2i + p, 2j + q]: the pixel at (p, q) of every window, contiguous
    corners = np.ascontiguousarray(x.reshape(n, c, out_h, 2, out_w, 2).transpose(3, 5, 0, 1, 2, 4))
    (top_left, top_right), (bottom_left, bottom_right) = corners
    top_max, bottom_max = np.maximum(top_left, top_right), np.maximum(bottom_left, bottom_right)
    out = np.maximum(top_max, bottom_max)
    # the position p·2 + q of each maximum: bottom row (p = 1) only when strictly larger, likewise right (q = 1);
    # one byte each, as maxpool2d_forward stores them for 2×2 windows
    right_in_bottom, right_in_top = (bottom_right > bottom_left).view(np.uint8), (top_right > top_left).view(np.uint8)
    arg = np.where(bottom_max > top_max, 2 + right_in_bottom, right_in_top)
    _nan_wins(x, out, arg, 2, 2)
    cache = {"x_shape": x.shape, "dtype": x.dtype, "out_shape": out.shape, "size": 2, "stride": 2, "arg": arg}
    return out, cache


def avgpool2d_forward(x, size: int = 2, stride: int = 2) -> tuple[np.ndarray, dict]:
    """Mean pooling over size×size windows taken every ``stride`` pixels.

    x (N, C, H, W) → out (N, C, H_out, W_out) with H_out = (H - size)/stride + 1; and a cache.
    """
    x, out_h, out_w = _check_pool_input(x, size, stride)
    total = np.zeros((x.shape[0], x.shape[1], out_h, out_w), dtype=x.dtype)
    for _, _, pixels in _window_positions(x, size, stride, out_h, out_w):
        total += pixels
    out = total / (size * size)
    return out, {"x_shape": x.shape, "dtype": x.dtype, "out_shape": out.shape, "size": size, "stride": stride}


def avgpool2d_backward(dout, cache: dict) -> np.ndarray:
    """Gradient of mean pooling: each output's gradient is spread evenly, 1/size² to every input of its window.

    dout (N, C, H_out, W_out) → dx (N, C, H, W); overlapping windows add up.
    """
    dout = _check_dout(dout, cache, "avgpool2d_forward")
    size, stride = cache["size"], cache["stride"]
    share = dout / (size * size)
    dx = np.zeros(cache["x_shape"], dtype=cache["dtype"])
    for _, _, dx_pixels in _window_positions(dx, size, stride, *dout.shape[2:]):
        dx_pixels += share
    return dx
