"""PyTorch models of the course.

Introduced in notebook 05 (MLPs on images): the MLP that treats an image as a flat vector,
and a small CNN that keeps the image's grid (a preview of notebooks 06-08). Notebook 08 adds
LeNet (modern and 1998 variants, with a per-layer ``summary``) and ``NumpyLeNet``, the same
modern LeNet built from the numpy layers of notebooks 06-07.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .layers import conv2d_backward, conv2d_forward, conv_output_size, maxpool2d_backward, maxpool2x2_forward
from .losses import categorical_nll

__all__ = [
    "mlp",
    "small_cnn",
    "count_parameters",
    "LeNet",
    "ScaledTanh",
    "Subsampling",
    "PartialConv2d",
    "C3_TABLE",
    "LayerRow",
    "ModelSummary",
    "summarize",
    "NumpyLeNet",
    "NUMPY_LENET_SHAPES",
    "lenet_variant_net",
]


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def mlp(inputs: int = 784, hidden: int = 256, classes: int = 10) -> nn.Sequential:
    """Flatten → Linear(inputs, hidden) → ReLU → Linear(hidden, classes).

    Takes images (B, C, H, W) with C*H*W == inputs, or vectors (B, inputs); gives class scores
    (B, classes) (logits: softmax cross-entropy is applied by the loss).
    """
    inputs, hidden, classes = (
        _positive_int(inputs, "inputs"),
        _positive_int(hidden, "hidden"),
        _positive_int(classes, "classes"),
    )
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(inputs, hidden),
        nn.ReLU(),
        nn.Linear(hidden, classes),
    )


def small_cnn(channels: int = 1, classes: int = 10, width: int = 16) -> nn.Sequential:
    """Two 5×5 conv layers (padding 2) with ReLU and 2×2 max pooling, then one linear layer.

    Takes images (B, channels, 28, 28); gives class scores (B, classes). Shapes:
    (B, C, 28, 28) → conv → (B, width, 28, 28) → pool → (B, width, 14, 14)
    → conv → (B, 2·width, 14, 14) → pool → (B, 2·width, 7, 7) → flatten → linear.
    """
    channels, classes, width = (
        _positive_int(channels, "channels"),
        _positive_int(classes, "classes"),
        _positive_int(width, "width"),
    )
    return nn.Sequential(
        nn.Conv2d(channels, width, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * width * 7 * 7, classes),
    )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers (weights and biases) in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# LeNet (notebook 08)
# ---------------------------------------------------------------------------------------------


class ScaledTanh(nn.Module):
    """LeCun's squashing function f(a) = 1.7159 · tanh(2a/3): f(±1) = ±1, steepest at 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """The 1998 paper's subsampling layer: the mean of each 2×2 block (stride 2), times a trainable
    coefficient, plus a trainable bias, one pair per channel (2 parameters per map).

    (B, C, H, W) → (B, C, H/2, W/2).
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) * self.weight[:, None, None] + self.bias[:, None, None]


# Which of S2's 6 maps feed each of C3's 16 maps (Table I of LeCun et al. 1998): six maps read
# 3 neighbours, nine read 4 (six contiguous, three not), one reads all 6. It breaks symmetry
# and saves parameters: 1,516 instead of 2,416.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


class PartialConv2d(nn.Conv2d):
    """A convolution in which output map k sees only the input maps ``table[k]`` (LeNet-5's C3).

    The missing connections are held at zero by a fixed mask, so they neither count as
    parameters (``connections``) nor receive gradient.
    """

    def __init__(self, table: tuple[tuple[int, ...], ...], in_channels: int, kernel_size: int):
        super().__init__(in_channels, len(table), kernel_size)
        mask = torch.zeros(len(table), in_channels, 1, 1)
        for k, inputs in enumerate(table):
            mask[k, list(inputs)] = 1.0
        self.register_buffer("mask", mask)
        with torch.no_grad():
            self.weight.mul_(mask)
        self.connections = int(mask.sum())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.weight * self.mask, self.bias)


@dataclass(frozen=True)
class LayerRow:
    """One line of a model summary: output shape (without the batch), parameters, multiply-adds per image."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    mult_adds: int


class ModelSummary:
    """Per-layer output shapes, parameters and multiply-adds of a model on one input; printable as a table."""

    def __init__(self, rows: list[LayerRow], input_shape: tuple[int, ...]):
        self.rows = rows
        self.input_shape = input_shape

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def mult_adds(self) -> int:
        return sum(row.mult_adds for row in self.rows)

    def __getitem__(self, name: str) -> LayerRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no layer named {name!r}; the layers are {[row.name for row in self.rows]}")

    def __str__(self) -> str:
        name_w = max([len("layer"), len("total")] + [len(r.name) for r in self.rows]) + 2
        kind_w = max([len("kind")] + [len(r.kind) for r in self.rows]) + 2
        shape_w = (
            max([len("output shape"), len(_shape(self.input_shape))] + [len(_shape(r.output_shape)) for r in self.rows])
            + 2
        )
        num_w = max(len(f"{self.params:,}"), len("params")) + 2
        add_w = max(len(f"{self.mult_adds:,}"), len("mult-adds")) + 2

        def line(name, kind, shape, params, adds):
            return f"{name:<{name_w}}{kind:<{kind_w}}{shape:<{shape_w}}{params:>{num_w}}{adds:>{add_w}}".rstrip()

        lines = [line("layer", "kind", "output shape", "params", "mult-adds")]
        lines.append(line("input", "", _shape(self.input_shape), "", ""))
        for row in self.rows:
            lines.append(line(row.name, row.kind, _shape(row.output_shape), f"{row.params:,}", f"{row.mult_adds:,}"))
        lines.append(line("total", "", "", f"{self.params:,}", f"{self.mult_adds:,}"))
        return "\n".join(lines)

    __repr__ = __str__


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def _params(module: nn.Module) -> int:
    if isinstance(module, PartialConv2d):
        return module.connections * module.kernel_size[0] * module.kernel_size[1] + module.out_channels
    return sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)


def _mult_adds(module: nn.Module, output: torch.Tensor) -> int:
    """Multiplications by a weight for one image (the cost that dominates; pooling and activations count 0)."""
    per_image = output[0].numel()
    if isinstance(module, PartialConv2d):  # each position of map k reads len(table[k]) maps
        return module.connections * module.kernel_size[0] * module.kernel_size[1] * output.shape[2] * output.shape[3]
    if isinstance(module, nn.Conv2d):
        fan_in = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        return per_image * fan_in
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(module, Subsampling):
        return per_image
    return 0


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> ModelSummary:
    """Run one zero image of ``input_shape`` (C, H, W) through ``model`` and record every leaf layer.

    Returns a :class:`ModelSummary` (rows in the order the layers ran). The model's mode is kept.
    """
    if not (
        isinstance(input_shape, tuple)
        and len(input_shape) == 3
        and all(isinstance(s, int) and s > 0 for s in input_shape)
    ):
        raise ValueError(f"input_shape must be (C, H, W) positive ints, got {input_shape!r}")
    rows: list[LayerRow] = []
    names = {module: name for name, module in model.named_modules()}

    def record(module, _inputs, output):
        rows.append(
            LayerRow(
                names[module],
                type(module).__name__,
                tuple(output.shape[1:]),
                _params(module),
                _mult_adds(module, output),
            )
        )

    hooks = [m.register_forward_hook(record) for m in model.modules() if not list(m.children())]
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(1, *input_shape))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return ModelSummary(rows, input_shape)


class LeNet(nn.Sequential):
    """LeNet-5 for 28×28 MNIST digits (B, 1, 28, 28) → class scores (B, 10).

    ``variant="modern"`` (the one we train): conv 6@5×5 (padding 2) → ReLU → max-pool 2 →
    conv 16@5×5 → ReLU → max-pool 2 → 400 → 120 → 84 → 10 with ReLU; 61,706 parameters.

    ``variant="1998"`` (LeCun, Bottou, Bengio, Haffner 1998, as faithfully as is reasonable):
    the 28×28 digit padded to a 32×32 field; C1 conv 6@5×5; S2 subsampling (2×2 mean × a
    trainable coefficient + bias per map); C3 conv 16@5×5 with the paper's partial connection
    table; S4 subsampling; C5 conv 120@5×5; F6 84 units; every layer squashed by
    1.7159·tanh(2a/3). One departure: the output is a linear layer read with softmax
    cross-entropy, not the paper's Euclidean RBF units. 60,850 parameters.
    """

    VARIANTS = ("modern", "1998")

    def __init__(self, variant: str = "modern"):
        if variant not in self.VARIANTS:
            raise ValueError(f"variant must be one of {self.VARIANTS}, got {variant!r}")
        if variant == "modern":
            layers = [
                ("conv1", nn.Conv2d(1, 6, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(400, 120)), ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
                ("fc3", nn.Linear(84, 10)),
            ]  # fmt: skip
        else:
            layers = [
                ("pad", nn.ZeroPad2d(2)),
                ("C1", nn.Conv2d(1, 6, 5)), ("tanh1", ScaledTanh()),
                ("S2", Subsampling(6)), ("tanh2", ScaledTanh()),
                ("C3", PartialConv2d(C3_TABLE, 6, 5)), ("tanh3", ScaledTanh()),
                ("S4", Subsampling(16)), ("tanh4", ScaledTanh()),
                ("C5", nn.Conv2d(16, 120, 5)), ("tanh5", ScaledTanh()),
                ("flatten", nn.Flatten()),
                ("F6", nn.Linear(120, 84)), ("tanh6", ScaledTanh()),
                ("output", nn.Linear(84, 10)),
            ]  # fmt: skip
        super().__init__(OrderedDict(layers))
        self.variant = variant

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"LeNet takes digits of shape (B, 1, 28, 28), got {tuple(x.shape)}")
        return super().forward(x)

    def summary(self) -> ModelSummary:
        """Output shape, parameters and multiply-adds of every layer for one 1×28×28 digit."""
        return summarize(self, (1, 28, 28))

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The output of every layer for a batch x (B, 1, 28, 28), by layer name (no gradients)."""
        maps = {}
        with torch.inference_mode():
            for name, layer in self.named_children():
                x = layer(x)
                maps[name] = x
        return maps


def lenet_variant_net(size: int, kernel: int, pad: int) -> nn.Sequential:
    """The modern LeNet's layers for 1×size×size inputs, both convolutions kernel×kernel and conv1
    padded by ``pad`` (notebook 08, exercise 8.2's variants): (B, 1, size, size) → (B, 10).

    ValueError (from ``conv_output_size``) when a size does not divide evenly."""
    c1 = conv_output_size(size, kernel, P=pad)
    side = conv_output_size(conv_output_size(conv_output_size(c1, 2, S=2), kernel), 2, S=2)
    layers = [
        ("conv1", nn.Conv2d(1, 6, kernel, padding=pad)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, kernel)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * side * side, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10)),
    ]  # fmt: skip
    return nn.Sequential(OrderedDict(layers))


# ---------------------------------------------------------------------------------------------
# The same modern LeNet in numpy, from course_utils.layers (notebook 08)
# ---------------------------------------------------------------------------------------------

# name → shape of every parameter, in the order of LeNet("modern").parameters()
NUMPY_LENET_SHAPES = {
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "fc3.weight": (10, 84), "fc3.bias": (10,),
}  # fmt: skip


def _linear_forward(x, w, b):
    """x (N, D) · w (M, D)ᵀ + b (M,) → (N, M), as torch.nn.Linear."""
    return x @ w.T + b, (x, w)


def _linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def _relu_forward(x):
    return np.maximum(x, 0), x > 0


def _relu_backward(dout, positive):
    return dout * positive


class NumpyLeNet:
    """The modern LeNet (see :class:`LeNet`) in numpy: forward, backward, SGD with momentum.

    Built from ``course_utils.layers`` (im2col convolution, max pooling) plus linear and ReLU
    layers written here. Inputs x are (N, 1, 28, 28) normalised digits; ``params`` maps the
    names of :data:`NUMPY_LENET_SHAPES` (the PyTorch names) to arrays of ``dtype``.
    """

    def __init__(self, rng: np.random.Generator, dtype=np.float32):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator (from set_seed), got {type(rng).__name__}")
        self.dtype = np.dtype(dtype)
        self.params = {}
        for name, shape in NUMPY_LENET_SHAPES.items():
            # PyTorch's default: uniform(±1/sqrt(fan_in)) for weights and biases alike
            fan_in = int(np.prod(NUMPY_LENET_SHAPES[name.replace("bias", "weight")][1:]))
            bound = 1.0 / np.sqrt(fan_in)
            self.params[name] = rng.uniform(-bound, bound, size=shape).astype(self.dtype)
        self.velocity = {name: np.zeros_like(p) for name, p in self.params.items()}

    @classmethod
    def from_torch(cls, model: nn.Module, dtype=np.float64) -> NumpyLeNet:
        """A NumpyLeNet holding copies of the weights of a ``LeNet("modern")``."""
        state = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}
        if getattr(model, "variant", None) != "modern" or {k: v.shape for k, v in state.items()} != NUMPY_LENET_SHAPES:
            raise ValueError("from_torch needs a LeNet('modern'); got a model with other layers")
        net = cls.__new__(cls)
        net.dtype = np.dtype(dtype)
        net.params = {name: state[name].astype(net.dtype) for name in NUMPY_LENET_SHAPES}
        net.velocity = {name: np.zeros_like(p) for name, p in net.params.items()}
        return net

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list]:
        """x (N, 1, 28, 28) → class scores (N, 10) and the caches of every layer."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"NumpyLeNet takes digits of shape (N, 1, 28, 28), got {x.shape}")
        p, caches = self.params, []
        h, c = conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], pad=2, input_grad=False)  # (N, 6, 28, 28)
        caches.append(c)
        h, c = _relu_forward(h)
        caches.append(c)
        h, c = maxpool2x2_forward(h)  # (N, 6, 14, 14)
        caches.append(c)
        h, c = conv2d_forward(h, p["conv2.weight"], p["conv2.bias"])  # (N, 16, 10, 10)
        caches.append(c)
        h, c = _relu_forward(h)
        caches.append(c)
        h, c = maxpool2x2_forward(h)  # (N, 16, 5, 5)
        caches.append(c)
        h = h.reshape(len(x), 400)
        for layer in ("fc1", "fc2"):
            h, c = _linear_forward(h, p[f"{layer}.weight"], p[f"{layer}.bias"])
            caches.append(c)
            h, c = _relu_forward(h)
            caches.append(c)
        scores, c = _linear_forward(h, p["fc3.weight"], p["fc3.bias"])  # (N, 10)
        caches.append(c)
        return scores, caches

    def backward(self, dscores: np.ndarray, caches: list) -> dict[str, np.ndarray]:
        """Gradients of every parameter from dscores (N, 10), the gradient of the loss w.r.t. the scores."""
        (conv1, relu1, pool1, conv2, relu2, pool2, fc1, relu3, fc2, relu4, fc3) = caches
        grads = {}
        d = np.asarray(dscores, dtype=self.dtype)
        d, grads["fc3.weight"], grads["fc3.bias"] = _linear_backward(d, fc3)
        d, grads["fc2.weight"], grads["fc2.bias"] = _linear_backward(_relu_backward(d, relu4), fc2)
        d, grads["fc1.weight"], grads["fc1.bias"] = _linear_backward(_relu_backward(d, relu3), fc1)
        d = maxpool2d_backward(d.reshape(-1, 16, 5, 5), pool2)
        d, grads["conv2.weight"], grads["conv2.bias"] = conv2d_backward(_relu_backward(d, relu2), conv2)
        d = maxpool2d_backward(d, pool1)
        _, grads["conv1.weight"], grads["conv1.bias"] = conv2d_backward(_relu_backward(d, relu1), conv1)
        return grads

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean softmax cross-entropy on (x, y), the gradient of every parameter, and the scores (N, 10)."""
        scores, caches = self.forward(x)
        loss, dscores = categorical_nll(scores, y)
        return loss, self.backward(dscores, caches), scores

    def sgd_step(self, grads: dict[str, np.ndarray], lr: float, momentum: float = 0.9) -> None:
        """v ← momentum·v + g;  θ ← θ − lr·v  (torch.optim.SGD's rule)."""
        for name, grad in grads.items():
            v = self.velocity[name]
            v *= momentum
            v += grad
            self.params[name] -= lr * v

    def train_epoch(self, x, y, batch_size: int, lr, rng: np.random.Generator, momentum: float = 0.9) -> list[float]:
        """One pass over (x (N, 1, 28, 28), y (N,)) in shuffled minibatches; returns the loss of every step.

        ``lr`` is a number or a function of the step number within the epoch (for a schedule).
        The last incomplete batch is dropped, so every step averages over ``batch_size`` digits.
        """
        if not isinstance(batch_size, int) or not 1 <= batch_size <= len(x):
            raise ValueError(f"batch_size must be an int in 1..{len(x)}, got {batch_size!r}")
        order = rng.permutation(len(x))
        losses = []
        for step, start in enumerate(range(0, len(x) - batch_size + 1, batch_size)):
            index = order[start : start + batch_size]
            loss, grads, _ = self.loss_and_grads(x[index], y[index])
            self.sgd_step(grads, lr(step) if callable(lr) else lr, momentum)
            losses.append(loss)
        return losses

    def predict(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Class scores (N, 10) for x (N, 1, 28, 28), in chunks."""
        return np.concatenate([self.forward(x[i : i + batch_size])[0] for i in range(0, len(x), batch_size)])
