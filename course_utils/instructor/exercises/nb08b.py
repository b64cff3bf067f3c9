"""Exercise 8.3 (notebook 08, LeNet): the modern LeNet written as a PyTorch ``nn.Module`` from its table.

The student's class is built and run in their kernel; only its parameters (in the order it registered
them) and its scores for a batch come back. The judge rebuilds LeNet's forward pass around *those*
parameters, so a right module gives the same scores whatever its initial weights, and a wrongly wired
one (no ReLU, mean pooling, softmax at the end) is recognised by what its scores match.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, Tensor, compare, describe

__all__ = ["EXERCISES"]

_EXPECTED = (
    ("conv1.weight", (6, 1, 5, 5)), ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)), ("conv2.bias", (16,)),
    ("fc1.weight", (120, 400)), ("fc1.bias", (120,)),
    ("fc2.weight", (84, 120)), ("fc2.bias", (84,)),
    ("fc3.weight", (10, 84)), ("fc3.bias", (10,)),
)  # fmt: skip

# fc1's input size -> why it is that (the flatten size gives away the shape mistake before it)
_FLATTEN = {
    16 * 4 * 4: "conv1's padding is missing: with padding=2, 28 → 28 → 14 → 10 → 5, so fc1 reads 16 × 5 × 5 = 400.",
    16 * 10 * 10: "the second pooling layer is missing: pool2 halves 10×10 to 5×5, so fc1 reads 16 × 5 × 5 = 400.",
    16 * 24 * 24: "both pooling layers are missing: each 2×2 max pool (stride 2) halves the height and width.",
    16 * 12 * 12: "a pooling layer is missing or conv1 is not padded: trace 28 → conv1 → pool1 → conv2 → pool2.",
    16 * 7 * 7: "the flatten size is wrong: trace the shapes, 28 → conv1 (padding 2) 28 → 14 → conv2 10 → 5.",
    6 * 5 * 5: "pool2 has 16 maps (one per conv2 filter), so fc1 reads 16 × 5 × 5 = 400 numbers.",
}


def _call(build, case):
    """Kernel side: build the student's module, return its parameters and its scores for the batch x."""
    import torch

    (x,) = case
    torch.manual_seed(0)
    net = build()
    if not isinstance(net, torch.nn.Module):
        return {"module": False, "type": type(net).__name__}
    net.eval()
    with torch.no_grad():
        scores = net(torch.as_tensor(x, dtype=torch.float32))
        params = [(name, p.detach().cpu().numpy().copy()) for name, p in net.named_parameters()]
    return {"module": True, "names": [n for n, _ in params], "params": [p for _, p in params], "scores": scores}


def _forward(
    params, x, *, conv_act=True, fc_act=(True, True), g="relu", pools=("max", "max"), last="none", relu_last=False
):
    """LeNet's forward pass (float64) with the student's parameters; the keywords give the typical mistakes
    (fc_act: whether fc1 and fc2 are followed by the activation g)."""
    import torch
    import torch.nn.functional as F

    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = (torch.as_tensor(p, dtype=torch.float64) for p in params)
    act = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[g]
    conv_g = act if conv_act else (lambda a: a)
    fc1_g, fc2_g = (act if on else (lambda a: a) for on in fc_act)
    pool1, pool2 = (F.max_pool2d if kind == "max" else F.avg_pool2d for kind in pools)
    h = pool1(conv_g(F.conv2d(torch.as_tensor(x, dtype=torch.float64), w1, b1, padding=2)), 2)
    h = pool2(conv_g(F.conv2d(h, w2, b2)), 2).flatten(1)
    h = fc2_g(F.linear(fc1_g(F.linear(h, w3, b3)), w4, b4))
    scores = F.linear(h, w5, b5)
    if relu_last:
        scores = F.relu(scores)
    if last == "softmax":
        scores = scores.softmax(dim=1)
    elif last == "log_softmax":
        scores = scores.log_softmax(dim=1)
    return scores.numpy()


_MEAN_POOL = (
    "mean pooling is used: the modern LeNet takes the maximum of each 2×2 window (nn.MaxPool2d(2)) in both pools."
)
_WIRING = {
    "the activation g is missing: apply ReLU after conv1, conv2, fc1 and fc2.": {
        "conv_act": False,
        "fc_act": (False, False),
    },
    "the ReLU after the conv layers is missing: each conv layer is followed by ReLU (then pooling).": {
        "conv_act": False
    },
    "the ReLU after fc1 and fc2 is missing: without it the three dense layers collapse into one linear map.": {
        "fc_act": (False, False)
    },
    "the ReLU after fc1 is missing: fc1 and fc2 are each followed by ReLU.": {"fc_act": (False, True)},
    "the ReLU after fc2 is missing: fc1 and fc2 are each followed by ReLU (only fc3, the scores, has none).": {
        "fc_act": (True, False)
    },
    "tanh is used as the activation: that is the 1998 network's (section 4); the modern LeNet uses ReLU.": {
        "g": "tanh"
    },
    "the sigmoid is used as the activation: the modern LeNet uses ReLU (F.relu) after conv1, conv2, fc1 and fc2.": {
        "g": "sigmoid"
    },
    _MEAN_POOL: {"pools": ("mean", "mean")},
    _MEAN_POOL + " (pool1 is a mean)": {"pools": ("mean", "max")},
    _MEAN_POOL + " (pool2 is a mean)": {"pools": ("max", "mean")},
    "softmax is applied at the end: return the scores (logits); the loss (F.cross_entropy) applies log-softmax "
    "itself.": {"last": "softmax"},
    "log-softmax is applied at the end: return the scores (logits); F.cross_entropy applies log-softmax itself.": {
        "last": "log_softmax"
    },
    "a ReLU follows fc3: the scores are logits, any real number; no activation after the last layer.": {
        "relu_last": True
    },
}


def _extra_tensors(names, shapes) -> list[int]:
    """The positions of the tensors left over when LeNet's 10, in order, are found among ``shapes``; [] if they
    are not all there (then something else is wrong)."""
    extra, found = [], 0
    for i, shape in enumerate(shapes):
        if found < len(_EXPECTED) and shape == _EXPECTED[found][1]:
            found += 1
        else:
            extra.append(i)
    return extra if found == len(_EXPECTED) else []


def _extra_message(names, shapes, extra) -> str:
    listed = ", ".join(f"{names[i]!r} {shapes[i]}" for i in extra)
    norm = any("norm" in names[i].lower() or "bn" in names[i].lower() for i in extra)
    why = (
        "batch normalization is not in the modern LeNet's table (its weight and bias are parameters too): "
        "remove the BatchNorm layer."
        if norm
        else "they belong to no layer of the table: remove the extra layer."
    )
    return (
        f"your module has {len(shapes)} parameter tensors, LeNet has 10 (conv1, conv2, fc1, fc2, fc3, a weight and "
        f"a bias each; pooling and ReLU have none). LeNet's 10 are all there; the extra ones are {listed}: {why}"
    )


def _judge_shapes(names, params) -> str | None:
    shapes = [tuple(p.shape) for p in params]
    weights = [shape for _, shape in _EXPECTED if len(shape) > 1]
    if len(shapes) == 5 and shapes == weights:
        return "the biases are missing (bias=False?): every conv and linear layer of LeNet has one bias per output."
    extra = _extra_tensors(names, shapes)
    if extra:
        return _extra_message(names, shapes, extra)
    for i, (name, shape) in enumerate(_EXPECTED):
        if i >= len(shapes):
            return (
                f"your module has {len(shapes)} parameter tensors, LeNet has 10; the first missing is {name} {shape}."
            )
        got = shapes[i]
        if got == shape:
            continue
        where = f"parameter {i + 1} ({names[i]!r}, expected {name}) has shape {got}, expected {shape}."
        if name == "fc1.weight" and len(got) == 2 and got[0] == 120:
            why = _FLATTEN.get(got[1], f"fc1 reads the flattened pool2 output, 16 × 5 × 5 = 400 numbers, not {got[1]}.")
            return f"{where} {why}"
        if len(got) == 4 and len(shape) == 4 and got[2:] != shape[2:]:
            return f"{where} LeNet's filters are 5×5."
        if sorted(shapes) == sorted(shape for _, shape in _EXPECTED):
            return f"{where} Register the layers in the table's order: conv1, conv2, fc1, fc2, fc3."
        return f"{where} Compare that layer's arguments with the table (channels and kernel size, or features)."
    if len(shapes) > len(_EXPECTED):
        return f"your module has {len(shapes)} parameter tensors, LeNet has 10 (pooling and ReLU have none)."
    return None


def _judge(case, got):
    (x,) = case
    if not isinstance(got, dict) or "module" not in got:
        return f"could not read your module ({describe(got)})."
    if not got["module"]:
        return f"`MyLeNet()` should create an nn.Module (class MyLeNet(nn.Module)), got {got['type']}."
    message = _judge_shapes(got["names"], got["params"])
    if message:
        return message
    scores = got["scores"]
    if isinstance(scores, Tensor):
        scores = scores.array
    expected = _forward(got["params"], x)
    wrong = {why: (lambda kw=kw: _forward(got["params"], x, **kw)) for why, kw in _WIRING.items()}
    return compare(
        scores, expected, f"a batch of {len(x)} digits (B, 1, 28, 28), with your module's own weights",
        what="the score matrix", mistakes=wrong, rtol=1e-4, atol=1e-5,
    )  # fmt: skip


def _batches(rng, sizes):
    return [(rng.normal(size=(n, 1, 28, 28)).astype(np.float32),) for n in sizes]


EXERCISES = [
    Exercise(
        number="8.3",
        target="MyLeNet",
        cases=lambda: _batches(np.random.default_rng(83), (4, 1)),
        fresh=lambda rng: _batches(rng, (3, 9)),
        judge=_judge,
        call=_call,
        passed="Exercise {number}: your module has LeNet's 10 parameter tensors and computes its scores.",
        references=("course_utils.models.lenet_variant_net",),
        fallback="course_utils.models.LeNet",
    )
]
