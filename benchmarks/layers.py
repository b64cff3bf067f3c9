"""numpy layers (course_utils.layers) and the numpy LeNet against PyTorch, as interleaved pairs.

* conv forward+backward, batch 128, float32: 1×28×28 → 6 filters 5×5 pad 2, and 6×14×14 → 16 filters 5×5;
* max and mean pooling 2×2 stride 2 forward+backward on those layers' outputs: the general
  ``maxpool2d_forward`` and the shortcut the numpy LeNet uses, ``maxpool2x2_forward`` (same
  backward, ``maxpool2d_backward``);
* the naive loop convolution against im2col on a batch of 2;
* one training epoch of the numpy LeNet (``course_utils.models.NumpyLeNet``) against one of the
  PyTorch LeNet (``course_utils.train.fit``): real MNIST, batch 64, SGD with momentum 0.9, float32,
  the same normalised images (60,000; --fast: 5,000).

Each comparison runs its two sides alternately, A B A B … (benchmarks/_pairs.py), and prints the
median of the pair ratios with their range. A layer side is a block of calls after two untimed
ones: OpenBLAS (numpy) and OpenMP (PyTorch) threads busy-wait for a while after their work, and
on 2 cores that would slow down the first calls of whichever side runs next.
Ratios are numpy time / PyTorch time (lower is better; 1.0 = as fast as PyTorch).

Usage: python benchmarks/layers.py [--fast]
    --fast: 3 pairs of everything and 5,000 training images (else 7 pairs of layers, 5 of epochs, 60,000).
The last line is the numpy LeNet's epoch time as a multiple of PyTorch's (the median).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from _pairs import interleaved_pairs, median_ratio, ratio_line

from course_utils.data import MNIST_MEAN, MNIST_STD, Batches, load_mnist
from course_utils.env import set_seed
from course_utils.layers import (
    avgpool2d_backward,
    avgpool2d_forward,
    conv2d_backward,
    conv2d_forward,
    conv2d_forward_naive,
    maxpool2d_backward,
    maxpool2d_forward,
    maxpool2x2_forward,
)
from course_utils.models import LeNet, NumpyLeNet
from course_utils.train import fit

BATCH = 128
CONV_SHAPES = {  # name: (input C, H, W), (filters, size), padding
    "conv1 1×28×28 → 6@5×5 pad 2": ((1, 28, 28), (6, 5), 2),
    "conv2 6×14×14 → 16@5×5": ((6, 14, 14), (16, 5), 0),
}
LENET_BATCH, LENET_LR = 64, 0.01


def block(fn, calls: int):
    """A side of a pair: ``fn`` twice untimed (see the module docstring), then ``calls`` times; seconds per call."""

    def run() -> float:
        fn()
        fn()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls

    return run


def conv_sides(x, w, b, pad):
    dout = np.random.default_rng(1).standard_normal(conv2d_forward(x, w, b, 1, pad)[0].shape).astype(np.float32)

    def ours():
        out, cache = conv2d_forward(x, w, b, 1, pad)
        conv2d_backward(dout, cache)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def theirs():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=pad).backward(dt)

    return ours, theirs


def pool_sides(x, forward, backward, torch_pool):
    dout = np.ones((x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2), dtype=np.float32)

    def ours():
        out, cache = forward(x)
        backward(dout, cache)

    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def theirs():
        xt.grad = None
        torch_pool(xt, 2, 2).backward(dt)

    return ours, theirs


def lenet_epoch_sides(count: int):
    """One epoch of the numpy LeNet and one of the PyTorch LeNet on the same digits; each returns its seconds."""
    rng = set_seed(0)
    images, labels = load_mnist("train")  # also checks the files' checksums
    batches = Batches(images[:count], labels[:count], LENET_BATCH, rng=rng, normalize=(MNIST_MEAN, MNIST_STD))
    x, y = batches.x.numpy(), batches.y.numpy()  # float32 (N, 1, 28, 28), the same normalised images
    numpy_net = NumpyLeNet(rng)
    model = LeNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=LENET_LR, momentum=0.9)

    def numpy_epoch() -> float:
        start = time.perf_counter()
        numpy_net.train_epoch(x, y, LENET_BATCH, LENET_LR, rng)
        return time.perf_counter() - start

    def torch_epoch() -> float:
        return fit(model, batches, 1, optimizer, progress=False).epoch_seconds[0]

    def warm_up() -> None:  # a few steps of each, so that the first timed epoch starts warm
        numpy_net.train_epoch(x[:640], y[:640], LENET_BATCH, LENET_LR, rng)
        few = Batches(images[:640], labels[:640], LENET_BATCH, shuffle=False, normalize=(MNIST_MEAN, MNIST_STD))
        fit(model, few, 1, optimizer, progress=False)

    return numpy_epoch, torch_epoch, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="3 pairs, 5,000 training images")
    fast = parser.parse_args().fast
    pairs, calls, count, epoch_pairs = (3, 5, 5_000, 3) if fast else (7, 20, 60_000, 5)
    rng = np.random.default_rng(0)
    print(
        f"numpy {np.__version__} (OpenBLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}), "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {pairs} interleaved pairs each, "
        f"ratio = numpy / PyTorch"
    )

    for name, ((c, h, w), (k, f), pad) in CONV_SHAPES.items():
        x = rng.standard_normal((BATCH, c, h, w)).astype(np.float32)
        weights = rng.standard_normal((k, c, f, f)).astype(np.float32)
        bias = rng.standard_normal(k).astype(np.float32)
        ours, theirs = conv_sides(x, weights, bias, pad)
        measured = interleaved_pairs(block(ours, calls), block(theirs, calls), pairs, warmup=0)
        print(ratio_line(f"{name}, forward+backward, batch {BATCH}", measured, "numpy", "torch"))

        pooled_input = rng.standard_normal((BATCH, k, h + 2 * pad - f + 1, w + 2 * pad - f + 1)).astype(np.float32)
        where = f"on {k}×{pooled_input.shape[2]}×{pooled_input.shape[3]}"
        for label, forward, backward, torch_pool in (
            ("max pool 2×2, maxpool2d_forward", lambda a: maxpool2d_forward(a, 2, 2), maxpool2d_backward, F.max_pool2d),
            ("max pool 2×2, maxpool2x2_forward (numpy LeNet)", maxpool2x2_forward, maxpool2d_backward, F.max_pool2d),
            ("mean pool 2×2", lambda a: avgpool2d_forward(a, 2, 2), avgpool2d_backward, F.avg_pool2d),
        ):
            ours, theirs = pool_sides(pooled_input, forward, backward, torch_pool)
            measured = interleaved_pairs(block(ours, calls), block(theirs, calls), pairs, warmup=0)
            print(ratio_line(f"  {label} {where}, forward+backward", measured, "numpy", "torch"))

    x = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    weights, bias = rng.standard_normal((6, 1, 5, 5)).astype(np.float32), np.zeros(6, np.float32)
    measured = interleaved_pairs(
        block(lambda: conv2d_forward_naive(x, weights, bias, 1, 2), 1),
        block(lambda: conv2d_forward(x, weights, bias, 1, 2), 1),
        pairs,
        warmup=0,
    )
    print(ratio_line("naive loops / im2col, conv1 forward on a batch of 2", measured, "loops", "im2col"))

    numpy_epoch, torch_epoch, warm_up = lenet_epoch_sides(count)
    warm_up()
    measured = interleaved_pairs(numpy_epoch, torch_epoch, epoch_pairs, warmup=0)
    print(ratio_line(f"numpy LeNet epoch / PyTorch's, {count:,} digits, batch 64", measured, "numpy", "torch"))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"numpy LeNet epoch / PyTorch's: {median_ratio(measured):.2f}x")


if __name__ == "__main__":
    main()
