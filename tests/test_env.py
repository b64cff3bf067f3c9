import numpy as np
import pytest
import torch

from course_utils.env import _openblas_thread_calls, blas_threads, fast_mode, get_device, report, set_seed


def test_same_seed_gives_same_draws():
    rng = set_seed(123)
    first = (rng.normal(size=5), np.random.rand(3), torch.rand(4))
    rng = set_seed(123)
    second = (rng.normal(size=5), np.random.rand(3), torch.rand(4))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_different_seeds_differ():
    a = set_seed(1).normal(size=5)
    b = set_seed(2).normal(size=5)
    assert not np.allclose(a, b)


def test_set_seed_enables_deterministic_algorithms():
    set_seed(0)
    assert torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        set_seed(bad)


def test_get_device_defaults_to_an_available_device(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    device = get_device()
    assert device.type in ("cpu", "cuda", "mps")
    torch.zeros(1, device=device)  # usable


def test_get_device_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_get_device_override_rejects_unknown(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "toaster")
    with pytest.raises(ValueError, match="toaster"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="cuda is available here")
def test_get_device_override_rejects_unavailable(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(ValueError, match="not available"):
        get_device()


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("1", True), ("true", True)])
def test_fast_mode(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_FAST", value)
    assert fast_mode() is expected


def test_fast_mode_rejects_garbage(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="maybe"):
        fast_mode()


def test_report_mentions_the_essentials(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    text = report()
    for needle in ("Python", "torch", "numpy", "Device", "Fast mode    on", "Data root", "MNIST"):
        assert needle in text


def test_blas_threads_sets_the_count_inside_the_block_and_restores_it():
    calls = _openblas_thread_calls()
    if calls is None:
        pytest.skip("numpy's BLAS here is not the OpenBLAS of its wheels: blas_threads changes nothing")
    get_threads, _ = calls
    before = get_threads()
    with blas_threads(1) as replaced:
        assert get_threads() == 1 and replaced == before
    assert get_threads() == before

    @blas_threads(1)
    def inside():
        return get_threads()

    assert inside() == 1 and get_threads() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "1"])
def test_blas_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="count must be a positive int"):
        with blas_threads(bad):
            pass


def test_report_shortens_the_machine_s_folders_unless_asked_for_full_paths(monkeypatch, tmp_path):
    from course_utils.data import REPO_DIR

    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "somewhere" / "data"))
    short, full = report(), report(full_paths=True)
    assert "Data root    $COURSE_DATA  (from COURSE_DATA)" in short and str(tmp_path) not in short
    assert str(REPO_DIR) not in short and str(tmp_path / "somewhere" / "data") in full
