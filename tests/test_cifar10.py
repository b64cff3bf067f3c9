"""CIFAR-10's code path on a small fake CIFAR-10 written in the real `cifar-10-batches-py` pickle format.

The real data (170 MB) is not available on the build machines, so this writes 5 training batches and a test
batch of a few images each, exactly as the dataset's pickles are laid out, and runs load_cifar10 and
notebook 05's CIFAR-10 cell on them.
"""

import hashlib
import pickle
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import data
from course_utils.data import DataCorruptError, load_cifar10

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_mlp_on_images.ipynb"

PER_BATCH = 12


def _write_batch(path, rng, n):
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).tolist()
    entry = {"batch_label": path.name, "labels": labels, "data": images.reshape(n, 3072),
             "filenames": [f"{k}.png" for k in range(n)]}  # fmt: skip
    path.write_bytes(pickle.dumps(entry, protocol=2))
    return images, labels


def _run_cifar_cells() -> dict:
    """Notebook 05's import cell, training recipe, CIFAR-10 cell and its check, run here; returns their namespace."""
    cells = {cell.id: cell.source for cell in nbformat.read(str(NOTEBOOK), as_version=4).cells}
    namespace = {"LR_MLP": 0.03}  # the step size the notebook chooses on MNIST's validation split before this cell
    for cell_id in ("cell-01", "cell-16", "cell-37", "cell-38"):
        exec(compile(cells[cell_id], f"{NOTEBOOK.name}:{cell_id}", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    """A fake cifar-10-batches-py under tmp_path, COURSE_DATA pointing at it, checksums of the fake files."""
    folder_name, train_list, test_list = data._cifar_lists()
    folder = tmp_path / folder_name
    folder.mkdir()
    rng = np.random.default_rng(0)
    written = {"train": [], "test": []}
    for split, names in (("train", train_list), ("test", test_list)):
        for name, _ in names:
            written[split].append(_write_batch(folder / name, rng, PER_BATCH))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": list(data.CIFAR10_CLASSES)}, protocol=2))
    md5 = lambda name: hashlib.md5((folder / name).read_bytes()).hexdigest()  # noqa: E731
    fake_lists = (folder_name, [(n, md5(n)) for n, _ in train_list], [(n, md5(n)) for n, _ in test_list])
    monkeypatch.setattr(data, "_cifar_lists", lambda: fake_lists)
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    return folder, written


def test_load_cifar10_reads_the_real_format_channel_first(fake_cifar):
    _, written = fake_cifar
    for split, batches in written.items():
        images, labels = load_cifar10(split, download=False)
        expected = np.concatenate([b[0] for b in batches])
        assert images.shape == (len(expected), 3, 32, 32) and images.dtype.is_floating_point is False
        np.testing.assert_array_equal(images.numpy(), expected)  # row = red plane, then green, then blue
        assert labels.tolist() == sum((b[1] for b in batches), [])


def test_load_cifar10_rejects_a_wrong_checksum_and_a_bad_batch(fake_cifar, monkeypatch):
    folder, _ = fake_cifar
    name = data._cifar_lists()[2][0][0]
    (folder / name).write_bytes(pickle.dumps({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, protocol=2))
    with pytest.raises(DataCorruptError):
        load_cifar10("test", download=False)
    with pytest.raises(DataCorruptError, match=r"expected 'data' \(n, 3072\)"):
        data.read_cifar10_batches(folder, [name])


def test_notebook_05_cifar_cell_trains_on_the_fake_data(fake_cifar, monkeypatch, capsys):
    """Runs notebook 05's import cell, its training recipe and its CIFAR-10 cell (fast mode) on the fake data."""
    monkeypatch.setenv("COURSE_FAST", "1")
    namespace = _run_cifar_cells()
    history = namespace["cifar_history"]
    assert history is not None and history.epochs == namespace["CIFAR_EPOCHS"]
    assert np.isfinite(history.test_loss[-1]) and 0 <= history.test_accuracy[-1] <= 1
    assert "MLP on CIFAR-10: test accuracy" in capsys.readouterr().out


def test_notebook_05_cifar_cell_skips_with_the_whole_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(data, "repo_data_dir", lambda: tmp_path / "repo-data")
    namespace = _run_cifar_cells()
    out = capsys.readouterr().out
    assert namespace["cifar_history"] is None and "is skipped" in out
    assert "To fix:" in out and "data_batch_5" in out and "test_batch" in out  # the whole message, not its first line
