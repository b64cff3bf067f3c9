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
    "layers.py": r"worst conv forward\+backward ratio \(numpy / PyTorch\): \d+\.\d\dx",
    "lenet.py": r"time-to-9\d% speed-up: \d+\.\dx",
}


def test_every_benchmark_is_listed_here():
    assert sorted(p.name for p in (REPO / "benchmarks").glob("*.py")) == sorted(LAST_LINES)


@pytest.mark.skipif(find_mnist() is None, reason="MNIST is not available")
@pytest.mark.parametrize("name", sorted(LAST_LINES))
def test_benchmark_runs_fast_and_prints_its_ratio_last(name):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / name), "--fast"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(LAST_LINES[name], last), last
