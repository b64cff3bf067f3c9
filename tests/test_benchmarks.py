"""The benchmark scripts run (with --fast) and end with the ratio they promise."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.data import find_mnist

REPO = Path(__file__).resolve().parent.parent
LAST_LINES = {
    "data_pipeline.py": r"per-epoch speed-up: \d+\.\dx",
    "layers.py": r"numpy LeNet epoch / PyTorch's: \d+\.\d\dx",
    "lenet.py": r"time-to-9\d% speed-up: \d+\.\dx",
}


def test_every_benchmark_is_listed_here():
    assert sorted(p.name for p in (REPO / "benchmarks").glob("[!_]*.py")) == sorted(LAST_LINES)


def _pairs_module():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import _pairs
    finally:
        sys.path.pop(0)
    return _pairs


def test_pairs_alternate_the_sides_and_report_median_and_range():
    pairs = _pairs_module()
    calls = []
    times = iter([2.0, 1.0, 3.0, 1.0, 8.0, 2.0, 4.0, 1.0])  # a side returning a number reports its own seconds

    def side(name):
        def run():
            calls.append(name)
            return next(times, 1.0)

        return run

    measured = pairs.interleaved_pairs(side("a"), side("b"), count=3, warmup=1)
    assert calls == ["a", "b"] * 4  # warm-up, then A B A B A B
    assert measured == [(3.0, 1.0), (8.0, 2.0), (4.0, 1.0)]
    assert pairs.pair_ratios(measured) == [3.0, 4.0, 4.0] and pairs.median_ratio(measured) == 4.0
    assert "4.00x (pairs 3.00-4.00, n=3" in pairs.ratio_line("x", measured)
    with pytest.raises(ValueError, match="count must be a positive int, got 0"):
        pairs.interleaved_pairs(side("a"), side("b"), count=0)
    with pytest.raises(ValueError, match="no pairs"):
        pairs.median_ratio([])


@pytest.mark.skipif(find_mnist() is None, reason="MNIST is not available")
@pytest.mark.parametrize("name", sorted(LAST_LINES))
def test_benchmark_runs_fast_and_prints_its_ratio_last(name):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / name), "--fast"],
        capture_output=True,
        text=True,
        timeout=3600,  # a hang guard only: a loaded machine may take many times the idle few minutes
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(LAST_LINES[name], last), last
