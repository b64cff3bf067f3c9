"""Interleaved pairs: the one way the benchmarks compare two sides on a noisy machine.

The two sides run alternately, A B A B …, after a warm-up of each, so a slow spell on the
machine (another job, a thermal step) hits both sides of a pair alike. Each pair gives one
ratio; the benchmark reports their median and their range (min–max), never one pass each.

Usage in a benchmark::

    pairs = interleaved_pairs(side_a, side_b, count=5)      # [(seconds_a, seconds_b), ...]
    print(ratio_line("numpy / torch, conv1", pairs))
    ...
    print(f"{median_ratio(pairs):.2f}")                      # a benchmark's last line is its median
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["interleaved_pairs", "pair_ratios", "median_ratio", "ratio_line"]

Pair = tuple[float, float]


def interleaved_pairs(
    side_a: Callable[[], object], side_b: Callable[[], object], count: int = 5, warmup: int = 1
) -> list[Pair]:
    """Time ``side_a`` and ``side_b`` alternately ``count`` times each, after ``warmup`` untimed runs of each.

    Returns [(seconds of a, seconds of b), ...], one pair per round, in the order measured.
    A side may return a number: it is then taken as its own seconds (e.g. training time with
    the evaluation left out) instead of the wall-clock time of the call.
    """
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    for _ in range(warmup):
        side_a()
        side_b()
    pairs = []
    for _ in range(count):
        pairs.append((_timed(side_a), _timed(side_b)))
    return pairs


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    return float(result) if isinstance(result, (int, float)) and not isinstance(result, bool) else elapsed


def pair_ratios(pairs: list[Pair]) -> list[float]:
    """a / b for every pair."""
    if not pairs:
        raise ValueError("no pairs: nothing to compare")
    return [a / b for a, b in pairs]


def median_ratio(pairs: list[Pair]) -> float:
    """The median over the pairs of a / b."""
    return statistics.median(pair_ratios(pairs))


def ratio_line(label: str, pairs: list[Pair], a_name: str = "a", b_name: str = "b") -> str:
    """'label: median ratio R× (min–max over N pairs; median times of a and b)'."""
    ratios = pair_ratios(pairs)
    a_median = statistics.median(a for a, _ in pairs)
    b_median = statistics.median(b for _, b in pairs)
    return (
        f"{label}: {statistics.median(ratios):.2f}x (pairs {min(ratios):.2f}-{max(ratios):.2f}, n={len(ratios)}; "
        f"median {a_name} {_short(a_median)}, {b_name} {_short(b_median)})"
    )


def _short(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{1e3 * seconds:.2f} ms"
