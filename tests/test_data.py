import shutil

import numpy as np
import pytest
import torch

from course_utils import data
from course_utils.data import Batches, DataCorruptError, DataNotFoundError, load_mnist


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist("test")


def test_mnist_shapes_dtypes_and_labels(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10000,) and labels.dtype == torch.int64
    assert labels.min() == 0 and labels.max() == 9
    assert set(labels.tolist()) == set(range(10))
    assert images.max() == 255 and images.min() == 0


def test_mnist_train_shape():
    images, labels = load_mnist("train")
    assert images.shape == (60000, 28, 28)
    assert labels.shape == (60000,)


def test_bad_split_is_named():
    with pytest.raises(ValueError, match="'validation'"):
        load_mnist("validation")


@pytest.fixture
def real_mnist_root():
    root = data.find_mnist("test")
    assert root is not None, "MNIST is needed for the tests: run `course data fetch` or set COURSE_DATA"
    return root


@pytest.fixture
def isolated_roots(tmp_path, monkeypatch):
    """An empty COURSE_DATA and an empty repo data/ so that nothing real is found."""
    course_data = tmp_path / "course_data"
    repo_data = tmp_path / "repo_data"
    course_data.mkdir()
    monkeypatch.setenv("COURSE_DATA", str(course_data))
    monkeypatch.setattr(data, "repo_data_dir", lambda: repo_data)
    return course_data, repo_data


def test_empty_root_gives_a_clear_error(isolated_roots):
    course_data, repo_data = isolated_roots
    with pytest.raises(DataNotFoundError) as info:
        load_mnist("test", download=False)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert str(course_data / "MNIST" / "raw") in message
    assert str(repo_data / "MNIST" / "raw") in message
    assert "course data fetch" in message


def test_failed_download_is_reported(isolated_roots, monkeypatch):
    monkeypatch.setattr(data, "_try_download", lambda name: "URLError: no network here")
    with pytest.raises(DataNotFoundError, match="download .* failed: URLError: no network here"):
        load_mnist("train")


def _copy_test_split(real_root, target_root, damage):
    raw = target_root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-images-idx3-ubyte").symlink_to(real_root / "MNIST" / "raw" / "t10k-images-idx3-ubyte")
    labels = bytearray((real_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").read_bytes())
    (raw / "t10k-labels-idx1-ubyte").write_bytes(damage(labels))


@pytest.mark.parametrize(
    ("damage", "word"),
    [
        (lambda b: bytes(b[:-100]), "truncated"),
        (lambda b: bytes(b[:-1] + bytes([(b[-1] + 1) % 256])), "corrupt"),
    ],
)
def test_damaged_file_is_reported(real_mnist_root, isolated_roots, damage, word):
    course_data, _ = isolated_roots
    _copy_test_split(real_mnist_root, course_data, damage)
    with pytest.raises(DataCorruptError, match=word) as info:
        load_mnist("test", download=False)
    assert "t10k-labels-idx1-ubyte" in str(info.value)


def test_nothing_is_written_into_course_data(real_mnist_root, tmp_path, monkeypatch, mnist_test):
    source = real_mnist_root
    course_data = tmp_path / "course_data"
    raw = course_data / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        shutil.copy(source / "MNIST" / "raw" / name, raw / name)
    before = sorted(p.relative_to(course_data) for p in course_data.rglob("*"))
    monkeypatch.setenv("COURSE_DATA", str(course_data))
    images, labels = load_mnist("test", download=False)
    assert torch.equal(images, mnist_test[0]) and torch.equal(labels, mnist_test[1])
    assert sorted(p.relative_to(course_data) for p in course_data.rglob("*")) == before


def _toy(n=103):
    images = torch.randint(0, 256, (n, 5, 4), dtype=torch.uint8)
    return images, torch.arange(n)


def test_batches_cover_every_sample_once_per_epoch():
    images, targets = _toy()
    batches = Batches(images, targets, batch_size=10, rng=0)
    assert len(batches) == 11
    for _ in range(2):
        seen = torch.cat([y for _, y in batches])
        assert sorted(seen.tolist()) == list(range(103))
    sizes = [len(y) for _, y in batches]
    assert sizes == [10] * 10 + [3]


def test_batches_pair_images_with_their_targets():
    images, targets = _toy()
    for x, y in Batches(images, targets, batch_size=16, rng=1):
        assert torch.equal(x[:, 0], images[y].float() / 255)


def test_batches_are_deterministic_under_a_seed_and_reshuffle_each_epoch():
    images, targets = _toy()
    order = lambda b: torch.cat([y for _, y in b]).tolist()  # noqa: E731
    a, b = Batches(images, targets, 8, rng=7), Batches(images, targets, 8, rng=7)
    first_a, first_b = order(a), order(b)
    assert first_a == first_b
    assert order(a) != first_a  # a new permutation each epoch
    assert order(Batches(images, targets, 8, rng=np.random.default_rng(8))) != first_a


def test_batches_scaling_normalising_and_flattening():
    images, targets = _toy()
    x, _ = next(iter(Batches(images, targets, 4, shuffle=False)))
    assert x.shape == (4, 1, 5, 4) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1
    x, _ = next(iter(Batches(images, targets, 4, shuffle=False, flatten=True)))
    assert x.shape == (4, 20)
    x, _ = next(iter(Batches(images, targets, 4, shuffle=False, normalize=(0.5, 0.25))))
    assert torch.allclose(x, (images[:4, None].float() / 255 - 0.5) / 0.25)


def test_batches_reject_bad_input():
    images, targets = _toy()
    with pytest.raises(ValueError, match="batch_size"):
        Batches(images, targets, 0, rng=0)
    with pytest.raises(ValueError, match="103 images, 5 targets"):
        Batches(images, targets[:5], 4, rng=0)
    with pytest.raises(ValueError, match="rng"):
        Batches(images, targets, 4)
    with pytest.raises(ValueError, match=r"\(103, 20\)"):
        Batches(images.reshape(103, 20), targets, 4, rng=0)


def test_validation_split_is_disjoint_complete_and_repeatable():
    images, labels = torch.arange(100).reshape(100, 1, 1), torch.arange(100)
    (train_x, train_y), (val_x, val_y) = data.validation_split(images, labels, size=10, seed=3)
    assert len(train_y) == 90 and len(val_y) == 10
    assert sorted(train_y.tolist() + val_y.tolist()) == list(range(100))
    assert torch.equal(train_x.flatten(), train_y) and torch.equal(val_x.flatten(), val_y)
    (_, again), _ = data.validation_split(images, labels, size=10, seed=3)
    assert torch.equal(again, train_y)
    with pytest.raises(ValueError, match="size must be an int in 1..99"):
        data.validation_split(images, labels, size=100)


def test_cifar10_missing_error_names_its_own_fetch_command(isolated_roots):
    course_data, repo_data = isolated_roots
    with pytest.raises(DataNotFoundError) as info:
        data.load_cifar10("test", download=False)
    message = str(info.value)
    assert "To fix: run `course data fetch --cifar10` where the internet is reachable" in message
    assert str(repo_data / "cifar-10-batches-py") in message and "set COURSE_DATA" in message


def test_status_gives_the_offline_route_that_the_loaders_give(isolated_roots):
    course_data, repo_data = isolated_roots
    status = data.data_status()
    mnist = next(line for line in status.splitlines() if line.startswith("MNIST"))
    cifar = next(line for line in status.splitlines() if line.startswith("CIFAR-10"))
    assert "run `course data fetch` where the internet is reachable" in mnist
    assert f"copy the files into {repo_data / 'MNIST' / 'raw'}" in mnist and "set COURSE_DATA" in mnist
    assert "missing (optional): run `course data fetch --cifar10`" in cifar and "set COURSE_DATA" in cifar
    with pytest.raises(DataNotFoundError) as info:  # the same words as load_mnist's error
        load_mnist("test", download=False)
    assert mnist.split("missing: ")[1] in str(info.value)
