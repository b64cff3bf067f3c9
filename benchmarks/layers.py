"""numpy layers (course_utils.layers) against PyTorch on LeNet's shapes, timed side by side in one run.

* conv forward+backward, batch 128, float32: 1×28×28 → 6 filters 5×5 pad 2, and 6×14×14 → 16 filters 5×5;
* max and mean pooling 2×2 stride 2 forward+backward on those layers' outputs;
* the naive loop convolution against im2col on a small batch.

Each time is the best of several runs, the two sides measured in alternating blocks (machines are noisy).
Ratios are numpy time / PyTorch time (lower is better; 1.0 = as fast as PyTorch).
Usage: python benchmarks/layers.py [--fast]   (--fast: one round of 5 runs instead of 4)
The last line is the worst conv forward+backward ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from course_utils.layers import (
    avgpool2d_backward,
    avgpool2d_forward,
    conv2d_backward,
    conv2d_forward,
    conv2d_forward_naive,
    maxpool2d_backward,
    maxpool2d_forward,
)

BATCH = 128
CONV_SHAPES = {  # name: (input C, H, W), (filters, size), padding
    "conv1 1×28×28 → 6@5×5 pad 2": ((1, 28, 28), (6, 5), 2),
    "conv2 6×14×14 → 16@5×5": ((6, 14, 14), (16, 5), 0),
}


def best_of(fn, repeats: int) -> float:
    """Best time of ``repeats`` runs, after two warm-up runs.

    The warm-up also lets the other library's idle threads stop spinning: OpenBLAS (numpy) and
    OpenMP (PyTorch) threads busy-wait for a while after their work, and on 2 cores that would
    slow down whichever side runs next.
    """
    fn()
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def side_by_side(numpy_fn, torch_fn, rounds: int) -> tuple[float, float]:
    """Best times of the two, measured in alternating blocks of 5 runs."""
    numpy_times, torch_times = [], []
    for _ in range(rounds):
        numpy_times.append(best_of(numpy_fn, 5))
        torch_times.append(best_of(torch_fn, 5))
    return min(numpy_times), min(torch_times)


def conv_pair(x, w, b, pad):
    dout = (
        np.random.default_rng(1)
        .standard_normal(
            (x.shape[0], w.shape[0], x.shape[2] + 2 * pad - w.shape[2] + 1, x.shape[3] + 2 * pad - w.shape[3] + 1)
        )
        .astype(np.float32)
    )

    def ours():
        out, cache = conv2d_forward(x, w, b, 1, pad)
        conv2d_backward(dout, cache)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def theirs():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=pad).backward(dt)

    return ours, theirs


def pool_pair(x, forward, backward, torch_pool):
    dout = np.ones((x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2), dtype=np.float32)

    def ours():
        out, cache = forward(x, 2, 2)
        backward(dout, cache)

    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def theirs():
        xt.grad = None
        torch_pool(xt, 2, 2).backward(dt)

    return ours, theirs


def _timing_line(label: str, ours: float, theirs: float) -> str:
    times = f"numpy {1e3 * ours:7.2f} ms  torch {1e3 * theirs:7.2f} ms"
    return f"{label:32} forward+backward  {times}  ratio {ours / theirs:5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer repeats")
    repeats = 1 if parser.parse_args().fast else 4
    rng = np.random.default_rng(0)
    print(
        f"batch {BATCH}, float32, numpy {np.__version__}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); "
        f"best of {5 * repeats} runs, ratio = numpy / PyTorch"
    )

    conv_ratios = []
    for name, ((c, h, w), (k, f), pad) in CONV_SHAPES.items():
        x = rng.standard_normal((BATCH, c, h, w)).astype(np.float32)
        weights = rng.standard_normal((k, c, f, f)).astype(np.float32)
        bias = rng.standard_normal(k).astype(np.float32)
        ours, theirs = side_by_side(*conv_pair(x, weights, bias, pad), repeats)
        conv_ratios.append(ours / theirs)
        print(_timing_line(name, ours, theirs))

        pooled_input = rng.standard_normal((BATCH, k, h + 2 * pad - f + 1, w + 2 * pad - f + 1)).astype(np.float32)
        for pool_name, forward, backward, torch_pool in (
            ("max", maxpool2d_forward, maxpool2d_backward, F.max_pool2d),
            ("mean", avgpool2d_forward, avgpool2d_backward, F.avg_pool2d),
        ):
            ours, theirs = side_by_side(*pool_pair(pooled_input, forward, backward, torch_pool), repeats)
            label = f"  {pool_name} pool 2×2 on {k}×{pooled_input.shape[2]}×{pooled_input.shape[3]}"
            print(_timing_line(label, ours, theirs))

    x = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    weights, bias = rng.standard_normal((6, 1, 5, 5)).astype(np.float32), np.zeros(6, np.float32)
    naive = best_of(lambda: conv2d_forward_naive(x, weights, bias, 1, 2), 1)
    im2col = best_of(lambda: conv2d_forward(x, weights, bias, 1, 2), repeats)
    print(
        f"naive loops vs im2col, conv1 forward on a batch of 2: {1e3 * naive:.1f} ms vs {1e3 * im2col:.3f} ms, "
        f"ratio {naive / im2col:.0f}"
    )
    print(f"worst conv forward+backward ratio (numpy / PyTorch): {max(conv_ratios):.2f}x")


if __name__ == "__main__":
    main()
