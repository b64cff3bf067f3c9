"""Time to 99 % test accuracy for LeNet: the recipe of notebook 08 against the usual tutorial recipe.

Both train the same modern LeNet (course_utils.models.LeNet) on MNIST, one after the other in
this run (machines are noisy: compare ratios from one run, not times across runs). Test
accuracy is measured after every epoch; the clock counts training steps only (both recipes
are evaluated the same way, outside the clock).

* tutorial: ``torchvision.datasets.MNIST`` with ``ToTensor()`` + ``Normalize``, a
  ``DataLoader(batch_size=64, shuffle=True)``, SGD (lr 0.01, momentum 0.9).
* notebook 08: the images in memory (``course_utils.data.Batches``, batch 128) and
  ``course_utils.train.fit_one_cycle`` (AdamW, one-cycle schedule) with ``LENET_RECIPE``, the
  peak step size, batch size and epochs notebook 08 chose on its validation split.

Also printed: the per-epoch speed-up at equal batch size (64, the tutorial's SGD in both), and
the numpy LeNet's epoch time (batch 64, SGD with momentum) as a ratio to PyTorch's.

Usage: python benchmarks/lenet.py [--fast]
    --fast: 10,000 training images, target 95 %, at most 3 epochs each (a smoke test).
The last line is the time-to-target speed-up.
"""

from __future__ import annotations

import argparse
import time

import torch
from data_pipeline import tutorial_epoch  # the same tutorial loop as benchmarks/data_pipeline.py
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from course_utils.data import MNIST_MEAN, MNIST_STD, Batches, find_mnist, load_mnist
from course_utils.env import set_seed
from course_utils.models import LeNet, NumpyLeNet
from course_utils.train import LENET_RECIPE, evaluate, fit, fit_one_cycle

# notebook 08's choice, made on its validation split
RECIPE_BATCH, RECIPE_LR, RECIPE_EPOCHS = LENET_RECIPE["batch_size"], LENET_RECIPE["lr"], LENET_RECIPE["epochs"]
TUTORIAL_BATCH, TUTORIAL_LR, TUTORIAL_MAX_EPOCHS = 64, 0.01, 8


def tutorial_time_to(target: float, train_loader, test_batches, max_epochs: int) -> tuple[float, int, float]:
    """(training seconds, epochs, accuracy) when test accuracy first reaches target (or at max_epochs)."""
    model = LeNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=TUTORIAL_LR, momentum=0.9)
    seconds, accuracy = 0.0, 0.0
    epoch = 0
    while epoch < max_epochs:
        epoch += 1
        seconds += tutorial_epoch(model, train_loader, optimizer)
        accuracy = evaluate(model, test_batches).accuracy
        if accuracy >= target:
            break
    return seconds, epoch, accuracy


def recipe_time_to(target: float, train_batches, test_batches, epochs: int) -> tuple[float, int, float]:
    history = fit_one_cycle(LeNet(), train_batches, epochs, RECIPE_LR, test_batches, progress=False)
    reached = [accuracy >= target for accuracy in history.test_accuracy]
    epochs_used = reached.index(True) + 1 if True in reached else history.epochs
    return sum(history.epoch_seconds[:epochs_used]), epochs_used, history.test_accuracy[epochs_used - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="10,000 images, target 95 %%, at most 3 epochs")
    args = parser.parse_args()
    count, target = (10_000, 0.95) if args.fast else (60_000, 0.99)
    tutorial_max_epochs = 3 if args.fast else TUTORIAL_MAX_EPOCHS

    rng = set_seed(0)
    images, labels = load_mnist("train")  # also checks the files' checksums
    test_images, test_labels = load_mnist("test")
    normalize = (MNIST_MEAN, MNIST_STD)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    dataset = Subset(datasets.MNIST(str(find_mnist()), train=True, transform=transform, download=False), range(count))
    loader = DataLoader(dataset, batch_size=TUTORIAL_BATCH, shuffle=True)
    test_batches = Batches(test_images, test_labels, 1000, shuffle=False, normalize=normalize)
    recipe_batches = Batches(images[:count], labels[:count], RECIPE_BATCH, rng=rng, normalize=normalize)
    batches_64 = Batches(images[:count], labels[:count], TUTORIAL_BATCH, rng=rng, normalize=normalize)

    print(
        f"MNIST, {count} training images, LeNet (modern), target {target:.0%} test accuracy, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    set_seed(0)
    tutorial = tutorial_time_to(target, loader, test_batches, tutorial_max_epochs)
    set_seed(0)
    recipe = recipe_time_to(target, recipe_batches, test_batches, RECIPE_EPOCHS)
    for name, (seconds, epochs, accuracy) in (
        ("tutorial (DataLoader, SGD, batch 64)", tutorial),
        ("notebook 08 (Batches, AdamW one-cycle, batch 128)", recipe),
    ):
        reached = "reached" if accuracy >= target else "did NOT reach"
        print(f"{name:52s} {reached} {accuracy:.2%} after {epochs} epochs, {seconds:6.1f} s of training")

    # one epoch each at batch 64 with the tutorial's SGD: the data pipeline's share of the gain
    set_seed(0)
    model = LeNet()
    loader_epoch = tutorial_epoch(model, loader)  # SGD lr 0.01, momentum 0.9
    set_seed(0)
    model = LeNet()
    torch_epoch = fit(
        model, batches_64, 1, torch.optim.SGD(model.parameters(), lr=TUTORIAL_LR, momentum=0.9), progress=False
    ).epoch_seconds[0]
    seconds = f"({loader_epoch:.1f} s vs {torch_epoch:.1f} s)"
    print(f"per-epoch speed-up at batch 64 (DataLoader / Batches):  {loader_epoch / torch_epoch:5.1f}x {seconds}")

    net = NumpyLeNet(set_seed(0))
    x, y = batches_64.x.numpy(), batches_64.y.numpy()
    start = time.perf_counter()
    net.train_epoch(x, y, TUTORIAL_BATCH, 0.02, rng)
    numpy_epoch = time.perf_counter() - start
    seconds = f"({numpy_epoch:.1f} s vs {torch_epoch:.1f} s)"
    print(f"numpy LeNet epoch / PyTorch LeNet epoch (batch 64):     {numpy_epoch / torch_epoch:5.2f}x {seconds}")

    if recipe[2] < target or tutorial[2] < target:
        raise SystemExit(f"a recipe did not reach {target:.0%}: no time-to-target ratio")
    print(f"time-to-{target:.0%} speed-up: {tutorial[0] / recipe[0]:.1f}x")


if __name__ == "__main__":
    main()
