"""Exercise 10.2 (notebook 10, features and history): what a whole network costs.

10.2 ``network_cost(C, W, layers)``: output shape, parameters and multiply-adds of every layer of a network
of conv, pool and dense layers, for one C×W×W image. ``network_cost`` here is the course's version, which
notebook 10's later cells use until the student's passes (the exercise's fallback).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_utils.checking import Exercise, Raised, describe
from course_utils.checking.oracle import oracle
from course_utils.instructor.exercises.nb10 import _ROUND_DOWN, _call_refusing, _conv_cost

__all__ = ["EXERCISES", "network_cost", "LENET_LAYERS", "ALEXNET_2012_LAYERS"]


# The modern LeNet of notebook 08 on a 1×28×28 digit, and the 2012 AlexNet on 3×227×227 written as one
# network (the paper split conv2, conv4 and conv5 between two GPUs, each half seeing half the maps).
LENET_LAYERS = (
    ("conv", 6, 5, 1, 2), ("pool", 2, 2), ("conv", 16, 5, 1, 0), ("pool", 2, 2),
    ("dense", 120), ("dense", 84), ("dense", 10),
)  # fmt: skip
ALEXNET_2012_LAYERS = (
    ("conv", 96, 11, 4, 0), ("pool", 3, 2), ("conv", 256, 5, 1, 2), ("pool", 3, 2),
    ("conv", 384, 3, 1, 1), ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2),
    ("dense", 4096), ("dense", 4096), ("dense", 1000),
)  # fmt: skip


def network_cost(C, W, layers):
    """[(output shape, parameters, multiply-adds), ...], one row per layer, for one C×W×W image.

    layers: ("conv", K, F, S, P), ("pool", F, S) (max or mean, no parameters) or ("dense", n); the
    maps are flattened before the first dense layer. Shapes are (C, W, W) tuples, or (n,) after a dense layer.
    The course's version (the fallback) builds the network's layers in PyTorch on the meta device and counts.
    """
    rows, x = [], torch.empty(1, C, W, W, device="meta")
    for kind, *args in layers:
        if kind == "conv":
            K, F, S, P = args
            layer = nn.Conv2d(x.shape[1], K, F, stride=S, padding=P, device="meta")
        elif kind == "pool":
            layer = nn.MaxPool2d(*args)
        else:
            x = x.flatten(1)
            layer = nn.Linear(x.shape[1], args[0], device="meta")
        y = layer(x)
        weights = layer.weight.numel() if hasattr(layer, "weight") else 0
        positions = y.shape[-1] * y.shape[-2] if kind == "conv" else 1
        rows.append((tuple(y.shape[1:]), sum(p.numel() for p in layer.parameters()), weights * positions))
        x = y
    return rows


@oracle
def _network_cost(
    C, W, layers, *, keep_channels=False, pool_params=False, flatten="all", dense_bias=True, dense_madd_bias=False
):
    """network_cost, and with a keyword its typical mistakes."""
    rows, shape, first_C = [], (C, W, W), C
    for layer in layers:
        kind, *args = layer
        if kind == "conv":
            K, F, S, P = args
            depth = first_C if keep_channels else shape[0]
            out, params, madds = _conv_cost(depth, shape[1], K, F, S, P)
            shape = (K, out, out)
        elif kind == "pool":
            F, S = args
            out = (shape[1] - F) // S + 1
            shape = (shape[0], out, out)
            params, madds = (shape[0] * 2, out * out * shape[0]) if pool_params else (0, 0)
        else:
            (n,) = args
            size = {"all": lambda s: s[0] * s[1] * s[2] if len(s) == 3 else s[0], "channels": lambda s: s[0]}
            n_in = size[flatten](shape)
            params, madds = n_in * n + (n if dense_bias else 0), n_in * n + (n if dense_madd_bias else 0)
            shape = (n,)
        rows.append((shape, params, madds))
    return rows


_NETWORK_MISTAKES = {
    "each conv layer's filters span the maps of the layer before (its K), not the image's C channels.": {
        "keep_channels": True
    },
    "pooling has no weights: 0 parameters and 0 multiply-adds (it only takes the max or the mean of each window).": {
        "pool_params": True
    },
    "the first dense layer reads all C·W·W numbers of the flattened maps, not only C.": {"flatten": "channels"},
    "a dense layer of n units on n_in inputs has n_in·n weights plus n biases.": {"dense_bias": False},
    "a dense layer's biases are added, not multiplied: its multiply-adds are n_in·n, without the n biases.": {
        "dense_madd_bias": True
    },
}


def _number(value):
    """An int when ``value`` is a whole number, else the float (so that 6.5 stays visible as 6.5)."""
    x = float(value)
    return int(x) if x.is_integer() else x


def _as_rows(got):
    """The student's rows as [(shape tuple, params, madds)], or a sentence saying what has another form."""
    if not isinstance(got, (list, tuple)):
        return f"return a list with one row per layer; got {describe(got)}."
    rows = []
    for index, row in enumerate(got, start=1):
        if not (isinstance(row, (list, tuple)) and len(row) == 3):
            return f"row {index} is {describe(row)}; each row is a tuple (output shape, parameters, multiply-adds)."
        if not isinstance(row[0], (list, tuple, np.ndarray)):
            return (
                f"row {index}'s output shape is {describe(row[0])}; write every shape as a tuple, (maps, W, W) "
                "after conv and pooling, (n,) after a dense layer, e.g. (120,) rather than 120."
            )
        try:
            rows.append((tuple(_number(v) for v in np.ravel(row[0])), _number(row[1]), _number(row[2])))
        except (TypeError, ValueError):
            return f"row {index} holds something that is not a number: {describe(row)}."
    return rows


def _running_totals(rows):
    """The rows with the parameters and multiply-adds summed up to each layer (a mistake to recognise)."""
    out, params, madds = [], 0, 0
    for shape, p, m in rows:
        params, madds = params + p, madds + m
        out.append((shape, params, madds))
    return out


def _uneven_layer(C, W, layers) -> str | None:
    """The first conv or pool layer of ``layers`` whose steps do not divide evenly, described; or None."""
    width = W
    for index, layer in enumerate(layers, start=1):
        kind, *args = layer
        if kind == "dense":
            return None
        F, S, P = (args[1], args[2], args[3]) if kind == "conv" else (args[0], args[1], 0)
        span = width - F + 2 * P
        if span % S:
            return (
                f"layer {index}, {layer} on a {width}×{width} input: ({width} − {F}{f' + 2·{P}' if P else ''})/{S} = "
                f"{span / S:g} steps, so W_out = ⌊{span / S:g}⌋ + 1 = {span // S + 1}"
            )
        width = span // S + 1
    return None


def _judge_network(case, got):
    C, W, layers = case
    expected = _network_cost(C, W, layers)
    if isinstance(got, Raised):
        uneven = _uneven_layer(C, W, layers)
        why = f"{uneven}. {_ROUND_DOWN}" if uneven else "every layer of this network fits: return its rows."
        return f"for a {C}×{W}×{W} input your function raised ValueError: {got.message[:120]}. {why}"
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    rows = _as_rows(got)
    if isinstance(rows, str):
        return rows
    if len(rows) != len(expected):
        return f"for {len(layers)} layers the list has {len(rows)} rows; return one row per layer."
    hint = next((s for s, kw in _NETWORK_MISTAKES.items() if rows == _network_cost(C, W, layers, **kw)), None)
    if hint is None and rows == _running_totals(expected):
        hint = "each row holds its own layer's parameters and multiply-adds, not the running total up to it."
    if hint is None and any(
        kind == "pool" and (row[1] or row[2]) for (kind, *_), row in zip(layers, rows, strict=True)
    ):
        hint = "pooling has no weights: 0 parameters and 0 multiply-adds (taking a max or a mean multiplies nothing)."
    if hint is None and any(isinstance(v, float) for shape, *counts in rows for v in (*shape, *counts)):
        hint = "a size is not a whole number: when (W − F)/S is not, the last window is dropped; round down (//)."
    tail = f" Likely mistake: {hint}" if hint else ""
    for index, (layer, mine, right) in enumerate(zip(layers, rows, expected, strict=True)):
        for field, a, b in zip(("output shape", "parameters", "multiply-adds"), mine, right, strict=True):
            if a != b:
                before = expected[index - 1][0] if index else (C, W, W)
                return (
                    f"for a {C}×{W}×{W} input, layer {index + 1} of {len(layers)}, {layer} on an input of shape "
                    f"{before}: {field} {a}, expected {b}.{tail}"
                )
    return None


def _fresh_network(rng):
    cases = []
    for _ in range(2):
        C, W = int(rng.integers(1, 4)), int(rng.integers(20, 40))
        layers = []
        for _ in range(int(rng.integers(2, 4))):
            F = int(rng.choice([3, 5]))
            layers.append(("conv", int(rng.integers(2, 20)), F, 1, F // 2))
            layers.append(("pool", *(int(v) for v in rng.choice([(2, 2), (3, 2), (2, 1)]))))
        layers += [("dense", int(rng.integers(5, 50))), ("dense", int(rng.integers(2, 10)))]
        cases.append((C, W, tuple(layers)))
    return cases


EXERCISES = [
    Exercise(
        number="10.2",
        target="network_cost",
        cases=lambda: [
            (1, 28, LENET_LAYERS),
            (3, 227, ALEXNET_2012_LAYERS),
            (2, 9, (("pool", 3, 1), ("pool", 2, 2), ("dense", 4))),
        ],
        fresh=_fresh_network,
        judge=_judge_network,
        call=_call_refusing,
        passed="Exercise 10.2: all {n} tables are right (LeNet, the 2012 AlexNet, small networks).",
        references=("course_utils.models.summarize",),
        fallback="course_utils.instructor.exercises.nb10b.network_cost",
    ),
]
