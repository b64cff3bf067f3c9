"""PyTorch models of the course.

Introduced in notebook 05 (MLPs on images): the MLP that treats an image as a flat vector,
and a small CNN that keeps the image's grid (a preview of notebooks 06-08). Notebook 08 adds
LeNet (modern and 1998 variants, with a per-layer ``summary``) and ``NumpyLeNet``, the same
modern LeNet built from the numpy layers of notebooks 06-07.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from course_utils.layers import conv_output_size
from course_utils.lenet_parts import C3_TABLE, PartialConv2d, ScaledTanh, Subsampling
from course_utils.numpy_lenet import NUMPY_LENET_SHAPES, NumpyLeNet
from course_utils.summary import LayerRow, ModelSummary, summarize

# The LeNet parts, its summary and its numpy twin live in modules of their own; they are named here too,
# where notebooks 05-10 import them from.
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
