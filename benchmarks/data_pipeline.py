"""Per-epoch speed of the in-memory training loop against the usual tutorial loop.

Both train the MLP of notebook 05 (784 → 256 → ReLU → 10) with SGD (lr 0.01, momentum 0.9),
batch size 64, for one epoch over the 60,000 MNIST training images (a fresh model each epoch).
The two sides run as interleaved pairs (``_pairs.py``: a warm-up of each, then tutorial,
in-memory, tutorial, in-memory, ...), so a busy spell on the machine hits both sides of a pair.

* tutorial: ``torchvision.datasets.MNIST`` with ``ToTensor()`` + ``Normalize``, a
  ``DataLoader(batch_size=64, shuffle=True)``: a PIL image and two transforms per sample.
* in-memory: ``course_utils.data.Batches`` (the images converted and normalised once,
  a batch is one indexing operation) and ``course_utils.train.fit``.

Then a second set of pairs times the in-memory loop against the training steps alone: the
tutorial's own loop (forward, loss, backward, update) over batches made before the clock starts,
so no pipeline and no bookkeeping.
No way of feeding the data can make an epoch faster than its steps, so the tutorial's epoch
over the steps' epoch is the largest speed-up any pipeline could show on this machine.

Usage: python benchmarks/data_pipeline.py [--fast] [--pairs N] [--threads N]   (--fast: a 10,000-image slice)
The last line is the per-epoch speed-up: the median over the pairs of tutorial / in-memory.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from _pairs import interleaved_pairs, median_ratio, ratio_line
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from course_utils.data import MNIST_MEAN, MNIST_STD, Batches, find_mnist, load_mnist
from course_utils.env import set_seed
from course_utils.models import mlp
from course_utils.train import fit

BATCH_SIZE = 64


def tutorial_epoch(model, loader, optimizer=None) -> float:
    """Seconds for one epoch of the tutorial loop (SGD lr 0.01, momentum 0.9 unless an optimizer is given)."""
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    start = time.perf_counter()
    for images, labels in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def in_memory_epoch(model, batches) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    history = fit(model, batches, 1, optimizer, progress=False)
    return history.epoch_seconds[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="time a 10,000-image slice instead of all 60,000")
    parser.add_argument("--pairs", type=int, default=None, help="timed pairs (default 5; 3 with --fast)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    count = 10_000 if args.fast else 60_000
    pair_count = args.pairs or (3 if args.fast else 5)

    rng = set_seed(0)
    images, labels = load_mnist("train")  # also checks the files' checksums
    root = find_mnist()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    dataset = datasets.MNIST(str(root), train=True, transform=transform, download=False)
    loader = DataLoader(Subset(dataset, range(count)), batch_size=BATCH_SIZE, shuffle=True)
    batches = Batches(images[:count], labels[:count], BATCH_SIZE, rng=rng, normalize=(MNIST_MEAN, MNIST_STD))

    print(
        f"MNIST, {count} training images, batch size {BATCH_SIZE}, MLP 784-256-10, SGD momentum 0.9, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    pairs = interleaved_pairs(
        lambda: tutorial_epoch(mlp(), loader), lambda: in_memory_epoch(mlp(), batches), count=pair_count
    )
    for k, (tutorial, in_memory) in enumerate(pairs, 1):
        print(f"pair {k}: tutorial loop (DataLoader + ToTensor + Normalize) {tutorial:6.2f} s, "
              f"in-memory loop (Batches + fit) {in_memory:6.2f} s per epoch")  # fmt: skip
    print(ratio_line("per-epoch time, tutorial / in-memory", pairs, "tutorial", "in-memory"))

    ready = list(batches)  # one shuffled epoch of the in-memory batches, made before any clock starts
    floor_pairs = interleaved_pairs(  # the tutorial's own loop, fed batches made before its clock starts
        lambda: in_memory_epoch(mlp(), batches), lambda: tutorial_epoch(mlp(), ready), count=pair_count
    )
    print(ratio_line("per-epoch time, in-memory / steps alone", floor_pairs, "in-memory", "steps alone"))
    tutorial_median = statistics.median(tutorial for tutorial, _ in pairs)
    steps_median = statistics.median(steps for _, steps in floor_pairs)
    print(
        f"ceiling: the tutorial's epoch is {tutorial_median / steps_median:.1f}x the steps' epoch "
        f"({tutorial_median:.2f} s / {steps_median:.2f} s, medians): no pipeline can be faster than that here"
    )
    print(f"per-epoch speed-up: {median_ratio(pairs):.1f}x")


if __name__ == "__main__":
    main()
