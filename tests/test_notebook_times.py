"""The notebook run-time limit of `make test-full` (tests/conftest.py), on a tiny notebook with tiny limits."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sleepy_notebook(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "sleepy.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(0.5)")])
    nbformat.write(nb, str(path))
    return path


def _nbval(notebook, *options, fast):
    env = {**os.environ, "COURSE_FAST": fast, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "--nbval",
               "--nbval-current-env", notebook.name, *options]  # fmt: skip
    return subprocess.run(
        command, cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=1800
    )  # hang guard


def test_fast_mode_prints_the_times_without_limits(sleepy_notebook):
    result = _nbval(sleepy_notebook, fast="1")
    assert result.returncode == 0, result.stdout[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.endswith("sleepy.ipynb"))
    assert float(line.split()[0]) >= 0.5  # the sleep is counted
    assert "all 1 notebooks (no limits: fast mode)" in result.stdout


def test_a_notebook_over_its_limit_fails_the_session(sleepy_notebook):
    result = _nbval(sleepy_notebook, "--notebook-time-limit=0.3", fast="1")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 passed" in result.stdout  # every cell passed: the time alone fails it
    assert "TOO SLOW: sleepy.ipynb took" in result.stdout and "(limit 0.3 s)" in result.stdout


def test_full_mode_has_the_limits_and_the_total_counts_too(sleepy_notebook):
    result = _nbval(sleepy_notebook, "--notebooks-time-limit=0.3", fast="0")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "limits: 90 s each, 0.3 s in all" in result.stdout
    assert "TOO SLOW: all notebooks together took" in result.stdout
