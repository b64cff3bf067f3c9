"""Reproducibility and environment: one seed, one device, fast mode, a report.

Introduced in notebook 00 (welcome); every later notebook starts with
``rng = set_seed(0)`` so that it gives the same numbers twice.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

__all__ = ["set_seed", "get_device", "fast_mode", "blas_threads", "report"]

_REPORTED_PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "matplotlib",
    "jax",
    "jupyterlab",
    "ipywidgets",
    "nbval",
)


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, numpy's global state and torch; return a fresh Generator.

    Also asks PyTorch for deterministic algorithms where it has them
    (``warn_only=True``: an operation without a deterministic version warns
    instead of failing, so a notebook never breaks on a new device).

    Returns ``np.random.default_rng(seed)``: pass it explicitly to whatever
    needs randomness, rather than relying on global state.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r} ({type(seed).__name__})")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.use_deterministic_algorithms(True, warn_only=True)
    if hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def get_device() -> torch.device:
    """The device to train on: ``$COURSE_DEVICE`` if set, else cuda, then mps, then cpu."""
    requested = os.environ.get("COURSE_DEVICE", "").strip()
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError as err:
            raise ValueError(
                f"COURSE_DEVICE={requested!r} is not a device name (try cpu, cuda, cuda:0 or mps)"
            ) from err
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": torch.backends.mps.is_available(),
        }
        if not available.get(device.type, False):
            raise ValueError(
                f"COURSE_DEVICE={requested!r} asks for {device.type}, which is not available "
                "on this machine; unset COURSE_DEVICE to pick automatically"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def fast_mode() -> bool:
    """True when ``$COURSE_FAST`` is set to 1/true/yes: notebooks then train on less data.

    The test suite (``make test``) sets it; ``make test-full`` and students do not.
    """
    value = os.environ.get("COURSE_FAST", "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"COURSE_FAST={value!r} is not understood: use 1 (fast) or 0 (full)")


# numpy's wheels bundle OpenBLAS under these names (numpy.libs/ on Linux and Windows, .dylibs/ on macOS).
_OPENBLAS_FILES = ("numpy.libs/libscipy_openblas*", "numpy/.dylibs/libscipy_openblas*")
_OPENBLAS_SYMBOLS = ("scipy_openblas_{}_num_threads64_", "scipy_openblas_{}_num_threads", "openblas_{}_num_threads")


@functools.cache  # found once per process: the decorated fits call it on every fit
def _openblas_thread_calls():
    """(get, set) of the OpenBLAS that numpy loaded, or None when numpy uses another BLAS (MKL, Accelerate)."""
    site = Path(np.__file__).resolve().parent.parent
    for pattern in _OPENBLAS_FILES:
        for path in sorted(site.glob(pattern)):
            try:
                library = ctypes.CDLL(str(path))  # already loaded by numpy: the same library, not a second copy
            except OSError:
                continue
            for symbol in _OPENBLAS_SYMBOLS:
                try:
                    return getattr(library, symbol.format("get")), getattr(library, symbol.format("set"))
                except AttributeError:
                    continue
    return None


@contextmanager
def blas_threads(count: int) -> Iterator[int | None]:
    """Run numpy's matrix products on ``count`` threads inside the block (also as a decorator).

    Small products, such as notebook 02's 300×392 by 392×10, run faster on one thread: several
    threads wait for each other at every product, and far longer when other programs keep the
    cores busy (ten times slower on two shared cores). Yields the thread count it replaced, or
    None where numpy's BLAS is not the OpenBLAS of its wheels; there it changes nothing.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    calls = _openblas_thread_calls()
    if calls is None:
        yield None
        return
    get_threads, set_threads = calls
    before = get_threads()
    set_threads(count)
    try:
        yield before
    finally:
        set_threads(before)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def report(full_paths: bool = False) -> str:
    """A multi-line text describing this environment (Python, packages, device, data).

    Notebook 00 prints it with its paths shortened: the course's folder as ``<course folder>``, the data root
    set in ``$COURSE_DATA`` as ``$COURSE_DATA`` and the home folder as ``~`` (enough to help, and no
    machine's own folders in a committed output). ``course env`` prints it with ``full_paths=True``.
    Useful to paste into a question to the instructor.
    """
    from course_utils.data import REPO_DIR, data_root, data_status  # local import: data imports env

    lines = [
        f"Python       {platform.python_version()} ({sys.executable})",
        f"Platform     {platform.platform()}",
    ]
    lines += [f"{name:<12} {_version(name)}" for name in _REPORTED_PACKAGES]
    lines += [
        f"Device       {get_device()}",
        f"CPU threads  {torch.get_num_threads()} (cores: {os.cpu_count()})",
        f"Fast mode    {'on' if fast_mode() else 'off'} (COURSE_FAST)",
    ]
    lines += data_status().splitlines()
    text = "\n".join(lines)
    if full_paths:
        return text
    # longest first, so a data root inside the course folder keeps its own name
    places = [(str(REPO_DIR), "<course folder>"), (str(Path.home()), "~")]
    if os.environ.get("COURSE_DATA", "").strip():
        places.append((str(data_root()), "$COURSE_DATA"))
    for place, name in sorted(places, key=lambda item: -len(item[0])):
        if Path(place).is_absolute() and place != "/":
            text = text.replace(place, name)
    return text
