"""Output sizes of convolution and pooling, by the lecture's rules, with errors that name the values.

W_out = (W - F + 2P) / S + 1 for a convolution (notebook 06), (W - F) / S + 1 for pooling (notebook 07);
a conv layer's parameters and multiply-adds (notebook 10).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "layer_output_size",
    "require_cache",
    "conv_layer_cost",
    "float_array",
]


def _require_int(value, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return int(value)


def conv_output_size(W: int, F: int, P: int = 0, S: int = 1) -> int:
    """Output width of a convolution: (W - F + 2P) / S + 1.

    Args:
        W: input width (or height), F: filter size, P: zero padding on each side, S: stride.
    Raises ValueError naming the numbers when any is not an integer in range (W, F, S ≥ 1,
    P ≥ 0), when the filter does not fit the padded input, or when (W - F + 2P) is not
    divisible by S.
    """
    W, F, P, S = (_require_int(W, "W", 1), _require_int(F, "F", 1), _require_int(P, "P", 0), _require_int(S, "S", 1))
    span = W - F + 2 * P
    if span < 0:
        raise ValueError(f"the filter (F = {F}) is larger than the padded input (W + 2P = {W} + 2·{P} = {W + 2 * P})")
    if span % S:
        raise ValueError(
            f"(W - F + 2P) = ({W} - {F} + 2·{P}) = {span} is not divisible by S = {S}: "
            f"the filter would not fit a whole number of steps"
        )
    return span // S + 1


def pool_output_size(W: int, F: int, S: int) -> int:
    """Output width of a pooling layer: (W - F) / S + 1 (no padding).

    Raises ValueError naming the numbers when any is not a positive integer, when the window
    is larger than the input, or when (W - F) is not divisible by S.
    """
    W, F, S = _require_int(W, "W", 1), _require_int(F, "F", 1), _require_int(S, "S", 1)
    span = W - F
    if span < 0:
        raise ValueError(f"the pooling window (F = {F}) is larger than the input (W = {W})")
    if span % S:
        raise ValueError(f"(W - F) = ({W} - {F}) = {span} is not divisible by S = {S}")
    return span // S + 1


def layer_output_size(length: int, window: int, pad: int, stride: int, *, axis: str, pooling: bool = False) -> int:
    """A layer's output size along one axis, with errors naming the axis and the layer's arguments.

    The rule of conv_output_size (pooling: pool_output_size, no padding), for the layers of
    course_utils.layers and course_utils.pooling: ``axis`` is "height" or "width"; the errors say
    ``stride``, ``pad`` and ``size`` (pooling) or the filter's FH / FW, as the caller wrote them.
    """
    letter = {"height": "H", "width": "W"}[axis]
    filt = "size" if pooling else f"F{letter}"
    if not isinstance(stride, (int, np.integer)) or isinstance(stride, (bool, np.bool_)) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    if not isinstance(pad, (int, np.integer)) or isinstance(pad, (bool, np.bool_)) or pad < 0:
        raise ValueError(f"pad must be an integer ≥ 0, got {pad!r}")
    if pooling and (not isinstance(window, (int, np.integer)) or isinstance(window, (bool, np.bool_)) or window < 1):
        raise ValueError(f"size must be a positive integer, got {window!r}")
    if window < 1:
        raise ValueError(f"the filter's {axis} {filt} must be at least 1, got {window}")
    padded = f"{letter} + 2·pad = {length} + 2·{pad} = {length + 2 * pad}" if pad else f"{letter} = {length}"
    what = "the pooling window" if pooling else "the filter"
    span = length - window + 2 * pad
    if span < 0:
        raise ValueError(f"along the {axis}, {what} ({filt} = {window}) is larger than the input ({padded})")
    if span % stride:
        terms = (
            f"({letter} - {filt} + 2·pad) = ({length} - {window} + 2·{pad})"
            if pad
            else (f"({letter} - {filt}) = ({length} - {window})")
        )
        raise ValueError(
            f"along the {axis}, {terms} = {span} is not divisible by stride = {stride}: {what} would not fit a "
            "whole number of steps"
        )
    return span // stride + 1


def require_cache(cache, keys: tuple[str, ...], made_by: str) -> dict:
    """``cache`` if it is a dict holding ``keys``; else ValueError saying which forward pass makes it."""
    if not isinstance(cache, dict):
        raise ValueError(f"cache must be the dict that {made_by} returned, got {type(cache).__name__}")
    missing = [key for key in keys if key not in cache]
    if missing:
        raise ValueError(
            f"cache has no {', '.join(map(repr, missing))}: pass the cache that {made_by} returned with this "
            f"layer's output (this one holds {sorted(cache)})"
        )
    return cache


def float_array(a, name: str) -> np.ndarray:
    """``a`` as an array of float32 or float64 (other numbers become float64); ValueError if it holds no numbers."""
    a = np.asarray(a)
    if a.dtype not in (np.float32, np.float64):
        if not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"{name} must hold numbers, got dtype {a.dtype}")
        a = a.astype(np.float64)
    return a


def conv_layer_cost(W: int, F: int, P: int, S: int, C: int, K: int) -> dict[str, int]:
    """Size and cost of a conv layer with K filters of F×F×C on a W×W×C input (padding P, stride S).

    Returns {"out": W_out, "params": K·(F·F·C + 1), "mult_adds": K·W_out²·F·F·C}, the multiply-adds
    of one image's forward pass. Raises ValueError (from conv_output_size) for invalid combinations.
    Counted on PyTorch's own layer on the meta device (shapes only): exercise 10.1 asks for the formulas.
    """
    import torch  # here: the rest of this module is plain arithmetic, quick to import

    conv_output_size(W, F, P, S)  # its ValueError names the rule a combination breaks
    C, K = _require_int(C, "C", 1), _require_int(K, "K", 1)
    conv = torch.nn.Conv2d(C, K, F, stride=S, padding=P, device="meta")
    out = conv(torch.empty(1, C, W, W, device="meta")).shape[-1]
    return {
        "out": out,
        "params": sum(p.numel() for p in conv.parameters()),
        "mult_adds": conv.weight.numel() * out * out,
    }
