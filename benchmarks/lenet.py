"""Time to 99 % test accuracy for LeNet: the recipe of notebook 08 against the usual tutorial recipe.

Both train the same modern LeNet (course_utils.models.LeNet) on the 60,000 MNIST training
images, in interleaved pairs (tutorial, recipe, tutorial, recipe, …: machines are noisy, so
each pair gives one ratio and the median is reported with the pairs' range). Test accuracy is
measured after every epoch; the clock counts training steps only (both sides are evaluated the
same way, outside the clock).

* tutorial: ``torchvision.datasets.MNIST`` with ``ToTensor()`` + ``Normalize``, a
  ``DataLoader(batch_size=64, shuffle=True)``, SGD (lr 0.01, momentum 0.9), epochs until the
  test accuracy reaches the target (at most 15: its fixed step size makes it hover around 99 %).
* notebook 08: the images in memory (``course_utils.data.Batches``) and
  ``course_utils.train.fit_one_cycle`` (AdamW, one-cycle schedule) with ``LENET_RECIPE``, the
  peak step size and weight decay notebook 08 chose on its validation split, for its epochs; the
  time counts the epochs until the test accuracy first reaches the target.

Usage: python benchmarks/lenet.py [--fast] [--pairs N]
    --fast: 10,000 training images, target 95 %, at most 3 epochs each, 2 pairs (a smoke test).
The last line is the median time-to-target speed-up.
"""

from __future__ import annotations

import argparse

import torch
from _pairs import interleaved_pairs, median_ratio, ratio_line
from data_pipeline import tutorial_epoch  # the same tutorial loop as benchmarks/data_pipeline.py
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from course_utils.data import MNIST_MEAN, MNIST_STD, Batches, find_mnist, load_mnist
from course_utils.env import set_seed
from course_utils.models import LeNet
from course_utils.train import LENET_RECIPE, evaluate, fit_one_cycle

TUTORIAL_BATCH, TUTORIAL_LR, TUTORIAL_MAX_EPOCHS = 64, 0.01, 15


def tutorial_time_to(target: float, train_loader, test_batches, max_epochs: int) -> tuple[float, int, float]:
    """(training seconds, epochs, accuracy) when test accuracy first reaches target (or at max_epochs)."""
    model = LeNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=TUTORIAL_LR, momentum=0.9)
    seconds, accuracy, epoch = 0.0, 0.0, 0
    while epoch < max_epochs:
        epoch += 1
        seconds += tutorial_epoch(model, train_loader, optimizer)
        accuracy = evaluate(model, test_batches).accuracy
        if accuracy >= target:
            break
    return seconds, epoch, accuracy


def recipe_time_to(target: float, train_batches, test_batches, epochs: int) -> tuple[float, int, float]:
    """The same for notebook 08's recipe: its whole schedule runs; the clock stops at the first epoch on target."""
    history = fit_one_cycle(
        LeNet(), train_batches, epochs, LENET_RECIPE["lr"], test_batches,
        weight_decay=LENET_RECIPE["weight_decay"], progress=False,
    )  # fmt: skip
    reached = [accuracy >= target for accuracy in history.test_accuracy]
    epochs_used = reached.index(True) + 1 if True in reached else history.epochs
    return sum(history.epoch_seconds[:epochs_used]), epochs_used, history.test_accuracy[epochs_used - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="10,000 images, target 95 %%, at most 3 epochs, 2 pairs")
    parser.add_argument("--pairs", type=int, default=None, help="pairs to measure (default 5; 2 with --fast)")
    args = parser.parse_args()
    count, target = (10_000, 0.95) if args.fast else (60_000, 0.99)
    tutorial_max_epochs = 3 if args.fast else TUTORIAL_MAX_EPOCHS
    recipe_epochs = LENET_RECIPE["epochs"]
    pair_count = args.pairs or (2 if args.fast else 5)

    rng = set_seed(0)
    images, labels = load_mnist("train")  # also checks the files' checksums
    test_images, test_labels = load_mnist("test")
    normalize = (MNIST_MEAN, MNIST_STD)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    dataset = Subset(datasets.MNIST(str(find_mnist()), train=True, transform=transform, download=False), range(count))
    loader = DataLoader(dataset, batch_size=TUTORIAL_BATCH, shuffle=True)
    test_batches = Batches(test_images, test_labels, 1000, shuffle=False, normalize=normalize)
    recipe_batches = Batches(images[:count], labels[:count], LENET_RECIPE["batch_size"], rng=rng, normalize=normalize)

    print(
        f"MNIST, {count:,} training images, LeNet (modern), target {target:.0%} test accuracy, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {pair_count} interleaved pairs"
    )
    print(f"notebook 08's recipe: {LENET_RECIPE} (AdamW one-cycle, data in memory)")
    runs = {"tutorial": [], "recipe": []}

    def tutorial() -> float:
        runs["tutorial"].append(tutorial_time_to(target, loader, test_batches, tutorial_max_epochs))
        return runs["tutorial"][-1][0]

    def recipe() -> float:
        runs["recipe"].append(recipe_time_to(target, recipe_batches, test_batches, recipe_epochs))
        return runs["recipe"][-1][0]

    # warm-up: a few hundred steps of each loop (thread pools, allocator, the DataLoader's first batches)
    warm = Subset(dataset, range(2_000))
    tutorial_epoch(LeNet(), DataLoader(warm, batch_size=TUTORIAL_BATCH))
    fit_one_cycle(
        LeNet(), Batches(images[:2_000], labels[:2_000], 128, rng=rng, normalize=normalize), 1, 1e-3, progress=False
    )
    set_seed(0)
    pairs = interleaved_pairs(tutorial, recipe, count=pair_count, warmup=0)
    for index, ((t_sec, t_epochs, t_acc), (r_sec, r_epochs, r_acc)) in enumerate(
        zip(runs["tutorial"], runs["recipe"], strict=True)
    ):
        print(
            f"pair {index + 1}: tutorial {t_acc:.2%} after {t_epochs} epochs, {t_sec:5.1f} s | "
            f"notebook 08 {r_acc:.2%} after {r_epochs} epochs, {r_sec:5.1f} s | ratio {t_sec / r_sec:4.1f}x"
        )
    missed = [name for name, results in runs.items() for _, _, accuracy in results if accuracy < target]
    if missed:
        raise SystemExit(f"a run did not reach {target:.0%} ({', '.join(missed)}): no time-to-target ratio")
    print(ratio_line(f"time to {target:.0%}, tutorial / notebook 08", pairs, "tutorial", "notebook 08"))
    print(f"time-to-{target:.0%} speed-up: {median_ratio(pairs):.1f}x")


if __name__ == "__main__":
    main()
