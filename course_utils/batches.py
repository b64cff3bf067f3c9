"""Minibatches over tensors held in memory, and the validation split carved from a training set.

Introduced in notebook 05 (MLPs on images), where training starts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["Batches", "validation_split"]


class Batches:
    """Shuffled minibatches over tensors held in memory: the fast way to feed a small model.

    Unlike ``DataLoader`` + ``ToTensor``, there is no per-sample Python work:
    the images are converted to float once, and a batch is one indexing
    operation.

    Args:
        images: uint8 (N, H, W) or (N, C, H, W), values 0..255; or float
            already scaled to [0, 1].
        targets: (N, ...) tensor (class labels, or regression targets).
        batch_size: samples per batch; the last batch may be smaller.
        shuffle: draw a new permutation every epoch.
        rng: numpy Generator (e.g. from ``set_seed``) or int seed, used for
            shuffling; required when ``shuffle`` is True, so that no
            randomness is hidden.
        normalize: optional (mean, std): yields (x/255 - mean) / std.
        flatten: yield (B, C*H*W) instead of (B, C, H, W).
        device: where the batches live (default: cpu).

    Yields ``(x, y)``: x float32 (B, C, H, W) or (B, C*H*W), y (B, ...).
    Every sample appears exactly once per epoch.
    """

    def __init__(
        self,
        images: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = True,
        rng: np.random.Generator | int | None = None,
        normalize: tuple[float, float] | None = None,
        flatten: bool = False,
        device: torch.device | str | None = None,
    ):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if len(images) != len(targets):
            raise ValueError(f"images and targets differ in length: {len(images)} images, {len(targets)} targets")
        if images.ndim not in (3, 4):
            raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got shape {tuple(images.shape)}")
        if shuffle and rng is None:
            raise ValueError("shuffle=True needs rng (a numpy Generator from set_seed, or an int seed)")
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        x = images.to(self.device)
        x = x.to(torch.float32).div_(255.0) if x.dtype == torch.uint8 else x.to(torch.float32)
        if normalize is not None:
            mean, std = normalize
            x = (x - mean) / std
        if x.ndim == 3:
            x = x.unsqueeze(1)
        self.x = x.flatten(1) if flatten else x
        self.y = targets.to(self.device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng

    def __len__(self) -> int:
        """Number of batches per epoch."""
        return -(-len(self.x) // self.batch_size)

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        if self.shuffle:
            order = torch.from_numpy(self.rng.permutation(n)).to(self.device)
            for start in range(0, n, self.batch_size):
                index = order[start : start + self.batch_size]
                # index_select: the same rows as self.x[index], in about half the time of general indexing
                yield self.x.index_select(0, index), self.y.index_select(0, index)
        else:
            for start in range(0, n, self.batch_size):
                yield self.x[start : start + self.batch_size], self.y[start : start + self.batch_size]

    def __repr__(self) -> str:
        shape = tuple(self.x.shape[1:])
        return (
            f"Batches({self.num_samples} samples of {shape}, batch_size={self.batch_size}, "
            f"{len(self)} batches, shuffle={self.shuffle}, device={self.device})"
        )


def validation_split(
    images: torch.Tensor, targets: torch.Tensor, size: int = 5000, seed: int = 0
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Hold out ``size`` random samples of a training set for choosing settings (notebook 08).

    images (N, ...), targets (N, ...) → ((train_images, train_targets), (val_images, val_targets)),
    with N - size and size samples. The same seed gives the same split in every notebook.
    """
    if len(images) != len(targets):
        raise ValueError(f"images and targets differ in length: {len(images)} images, {len(targets)} targets")
    if not isinstance(size, int) or not 0 < size < len(images):
        raise ValueError(f"size must be an int in 1..{len(images) - 1}, got {size!r}")
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(images)))
    held_out, kept = order[:size], order[size:]
    return (images[kept], targets[kept]), (images[held_out], targets[held_out])
