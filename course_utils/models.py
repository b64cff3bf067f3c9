"""PyTorch models of the course.

Introduced in notebook 05 (MLPs on images): the MLP that treats an image as a flat vector,
and a small CNN that keeps the image's grid (a preview of notebooks 06-08).
"""

from __future__ import annotations

from torch import nn

__all__ = ["mlp", "small_cnn", "count_parameters"]


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
