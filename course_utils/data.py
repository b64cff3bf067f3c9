"""Data: where it lives, loading MNIST and CIFAR-10 into memory (minibatches: ``course_utils.batches``).

Introduced in notebook 00 (welcome); notebook 05 trains on it first.

Rules (see DESIGN.md, "Data"):

* The data root is ``$COURSE_DATA`` if set, else ``data/`` in the repository.
  The layout is torchvision's: ``<root>/MNIST/raw/train-images-idx3-ubyte``,
  ``<root>/cifar-10-batches-py/data_batch_1``, ...
* Files are checked against their known MD5 checksums before use.
* Nothing is ever written into ``$COURSE_DATA``: downloads and caches go to
  the repository's own ``data/``, or to ``$COURSE_CACHE`` if set (the class hub: the student's home).
* When files are missing and cannot be downloaded, :class:`DataNotFoundError`
  says which files, where they were looked for, and how to put them there.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from course_utils.batches import Batches, validation_split
from course_utils.photo import sample_photo

__all__ = [
    "MNIST_FILES",
    "MNIST_MEAN",
    "MNIST_STD",
    "CIFAR10_CLASSES",
    "DataNotFoundError",
    "DataCorruptError",
    "repo_data_dir",
    "data_root",
    "find_mnist",
    "load_mnist",
    "load_cifar10",
    "read_cifar10_batches",
    "fetch",
    "data_status",
    "Batches",
    "sample_photo",
    "validation_split",
]

REPO_DIR = Path(__file__).resolve().parent.parent

# Uncompressed MNIST files as torchvision lays them out: name -> (bytes, md5).
MNIST_FILES = {
    "train-images-idx3-ubyte": (47040016, "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": (60008, "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": (7840016, "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": (10008, "27ae3e4e09519cfbb04c329615203637"),
}
_MNIST_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_MNIST_SPLIT_SIZES = {"train": 60000, "test": 10000}

# Mean and standard deviation of the MNIST training pixels in [0, 1].
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


class DataNotFoundError(FileNotFoundError):
    """Data files are missing from every place searched and could not be downloaded."""


class DataCorruptError(ValueError):
    """A data file exists but its size or checksum is wrong (truncated or corrupt)."""


def repo_data_dir() -> Path:
    """Where the course writes (downloads, caches, saved models): ``$COURSE_CACHE`` if set (the class hub: the
    student's home; its installed package is read-only), else the repository's ``data/``."""
    env = os.environ.get("COURSE_CACHE", "").strip()
    return Path(env).expanduser() if env else REPO_DIR / "data"


def data_root() -> Path:
    """``$COURSE_DATA`` if set, else the repository's ``data/``."""
    env = os.environ.get("COURSE_DATA", "").strip()
    return Path(env).expanduser().resolve() if env else repo_data_dir()


def _search_roots() -> list[Path]:
    """Where data is looked for, in order: the data root, then the repo's data/."""
    roots = [data_root()]
    if repo_data_dir() not in roots:
        roots.append(repo_data_dir())
    return roots


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_file(path: Path, size: int | None, md5: str) -> None:
    """Raise DataCorruptError if ``path`` does not have the expected size and md5."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        kind = "truncated" if actual_size < size else "too long"
        raise DataCorruptError(
            f"{path} is {kind}: {actual_size} bytes, expected {size}. Delete it and fetch it again (course data fetch)."
        )
    actual_md5 = _md5(path)
    if actual_md5 != md5:
        raise DataCorruptError(
            f"{path} is corrupt: md5 {actual_md5}, expected {md5}. Delete it and fetch it again (course data fetch)."
        )


def _how_to_get(subdir: str) -> str:
    """The three routes to a data set: the fetch command (CIFAR-10's needs --cifar10), a copy, COURSE_DATA."""
    command = "course data fetch --cifar10" if subdir.startswith("cifar") else "course data fetch"
    return f"run `{command}` where the internet is reachable, or copy the files into {repo_data_dir() / subdir}, \
or set COURSE_DATA to a folder that has {subdir}/ inside it"


def _missing_error(dataset: str, missing: list[str], subdir: str, extra: str = "") -> DataNotFoundError:
    searched = "\n".join(f"  - {root / subdir}" for root in _search_roots())
    files = "\n".join(f"  - {name}" for name in missing)
    fix = f"To fix: {_how_to_get(subdir)}."
    return DataNotFoundError(f"{dataset} files are missing:\n{files}\nsearched:\n{searched}\n{extra}{fix}")


def find_mnist(split: str | None = None) -> Path | None:
    """The first root whose ``MNIST/raw`` holds every file of ``split`` (both splits if None)."""
    names = _MNIST_SPLIT_FILES[split] if split else tuple(MNIST_FILES)
    for root in _search_roots():
        if all((root / "MNIST" / "raw" / name).is_file() for name in names):
            return root
    return None


def _check_split(split: str, valid: tuple[str, ...]) -> None:
    if split not in valid:
        raise ValueError(f"split must be one of {valid}, got {split!r}")


def load_mnist(split: str = "train", download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as in-memory tensors.

    Args:
        split: "train" (60,000 images) or "test" (10,000 images).
        download: try torchvision's download into the repo's ``data/`` when
            the files are nowhere to be found.

    Returns:
        images: uint8 tensor (N, 28, 28), values 0..255.
        labels: int64 tensor (N,), values 0..9.

    The raw files are checked against their MD5s on first use; the decoded
    tensors are then cached in ``data/cache/`` (never in ``$COURSE_DATA``).
    """
    _check_split(split, ("train", "test"))
    root = find_mnist(split)
    if root is None and download:
        error = _try_download("MNIST")
        root = find_mnist(split)
        if root is None:
            raise _missing_error(
                "MNIST", list(_MNIST_SPLIT_FILES[split]), "MNIST/raw",
                f"The download into {repo_data_dir()} failed: {error}\n",
            )  # fmt: skip
    if root is None:
        raise _missing_error("MNIST", list(_MNIST_SPLIT_FILES[split]), "MNIST/raw")

    raw = root / "MNIST" / "raw"
    sources = [raw / name for name in _MNIST_SPLIT_FILES[split]]
    fingerprint = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sources]
    cache = repo_data_dir() / "cache" / f"mnist-{split}.pt"
    if cache.is_file():
        try:
            cached = torch.load(cache, weights_only=True)
            if cached["fingerprint"] == fingerprint:
                return cached["images"], cached["labels"]
        except Exception:  # an unreadable cache is rebuilt, never trusted
            pass

    for path in sources:
        _check_file(path, *MNIST_FILES[path.name])
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = read_image_file(str(sources[0])).contiguous()
    labels = read_label_file(str(sources[1])).to(torch.int64)
    expected = _MNIST_SPLIT_SIZES[split]
    if images.shape != (expected, 28, 28) or labels.shape != (expected,):
        raise DataCorruptError(f"MNIST {split} decoded to {tuple(images.shape)}, expected ({expected}, 28, 28)")

    try:  # a read-only or missing data folder (a grading sandbox) only costs the cache
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"fingerprint": fingerprint, "images": images, "labels": labels}, cache.with_suffix(".tmp"))
        cache.with_suffix(".tmp").replace(cache)  # atomic: a half-written cache is never read
    except OSError:
        pass
    return images, labels


def _cifar_lists():
    from torchvision.datasets import CIFAR10

    return CIFAR10.base_folder, CIFAR10.train_list, CIFAR10.test_list


def _find_cifar10() -> Path | None:
    folder, train_list, test_list = _cifar_lists()
    for root in _search_roots():
        if all((root / folder / name).is_file() for name, _ in train_list + test_list):
            return root
    return None


def load_cifar10(split: str = "train", download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as in-memory tensors (same root rules and errors as :func:`load_mnist`).

    Returns:
        images: uint8 tensor (N, 3, 32, 32) in channel-first (CHW) order.
        labels: int64 tensor (N,), values 0..9, names in ``CIFAR10_CLASSES``.
    """
    _check_split(split, ("train", "test"))
    folder, train_list, test_list = _cifar_lists()
    root = _find_cifar10()
    extra = ""
    if root is None and download:
        error = _try_download("CIFAR10")
        root = _find_cifar10()
        extra = f"The download into {repo_data_dir()} failed: {error}\n"
    if root is None:
        missing = [name for name, _ in train_list + test_list if not (data_root() / folder / name).is_file()]
        raise _missing_error("CIFAR-10", missing, folder, extra)
    names = [name for name, _ in (train_list if split == "train" else test_list)]
    for name, md5 in train_list if split == "train" else test_list:
        _check_file(root / folder / name, None, md5)
    return read_cifar10_batches(root / folder, names)


def read_cifar10_batches(folder: Path, names: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Read CIFAR-10's ``cifar-10-batches-py`` pickles (each a dict: "data" uint8 (n, 3072), "labels" n ints).

    A row of "data" is the red plane, then green, then blue, each 32×32 row by row: it reshapes to (3, 32, 32).
    Returns images uint8 (N, 3, 32, 32) and labels int64 (N,).
    """
    images, labels = [], []
    for name in names:
        with open(Path(folder) / name, "rb") as f:
            entry = pickle.load(f, encoding="latin1")  # written by Python 2: latin1 turns its str keys into str
        data = np.asarray(entry["data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3072 or len(entry["labels"]) != len(data):
            raise DataCorruptError(f"{Path(folder) / name}: expected 'data' (n, 3072) and n labels, "
                                   f"got data {data.shape} and {len(entry['labels'])} labels")  # fmt: skip
        images.append(data.reshape(-1, 3, 32, 32))
        labels.extend(entry["labels"])
    return torch.from_numpy(np.concatenate(images)), torch.tensor(labels, dtype=torch.int64)


def _try_download(dataset: str) -> str | None:
    """Download ``dataset`` into the repo's data/ with torchvision; return the error text or None."""
    from torchvision import datasets

    target = repo_data_dir()
    target.mkdir(parents=True, exist_ok=True)
    try:
        getattr(datasets, dataset)(str(target), train=True, download=True)
        getattr(datasets, dataset)(str(target), train=False, download=True)
    except Exception as err:  # no network, a proxy, a full disk: all reported the same way
        return f"{type(err).__name__}: {err}".strip()
    return None


def fetch(dataset: str = "MNIST") -> Path:
    """Make ``dataset`` ("MNIST" or "CIFAR10") available, downloading where needed; return its root."""
    if dataset == "MNIST":
        load_mnist("train")
        load_mnist("test")
        return find_mnist()
    if dataset == "CIFAR10":
        load_cifar10("test")
        return _find_cifar10()
    raise ValueError(f"dataset must be 'MNIST' or 'CIFAR10', got {dataset!r}")


def data_status() -> str:
    """Lines describing what data is found where and whether its checksums are right."""
    lines = [
        f"Data root    {data_root()}" + ("  (from COURSE_DATA)" if os.environ.get("COURSE_DATA", "").strip() else ""),
    ]
    root = find_mnist()
    if root is None:
        lines.append(f"MNIST        missing: {_how_to_get('MNIST/raw')}")
    else:
        problems = []
        for name, (size, md5) in MNIST_FILES.items():
            try:
                _check_file(root / "MNIST" / "raw" / name, size, md5)
            except DataCorruptError as err:
                problems.append(str(err))
        verdict = "checksums ok" if not problems else "BAD: " + "; ".join(problems)
        lines.append(f"MNIST        {root / 'MNIST' / 'raw'} ({verdict})")
    cifar = _find_cifar10()
    how = f"missing (optional): {_how_to_get(_cifar_lists()[0])}"
    lines.append(f"CIFAR-10     {cifar / _cifar_lists()[0]}" if cifar else f"CIFAR-10     {how}")
    return "\n".join(lines)
