"""The parts of the 1998 LeNet-5 that PyTorch lacks: the scaled tanh, the trainable subsampling layer,
and C3's partial connection table. Introduced in notebook 08 (LeNet)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ScaledTanh", "Subsampling", "C3_TABLE", "PartialConv2d"]


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
