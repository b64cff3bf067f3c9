"""pytest configuration shared by the unit tests and the nbval run.

The Makefile loads this file as a plugin for the nbval run too
(``pytest -p tests.conftest --nbval notebooks/``), so the hook below applies
to notebooks wherever they live.
"""

import os

import pytest

# Unit tests run in fast mode unless told otherwise, so a bare `pytest` is quick.
os.environ.setdefault("COURSE_FAST", "1")


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """(folder, outcomes file): the student edition built from notebooks/ as `make student-edition` builds it,
    once per session (test_edition, test_edition_leaks and test_release use it); outcomes: the bake's
    judged answers with the full checker's messages."""
    from pathlib import Path

    from course_utils.instructor.edition.build import build_edition

    root = tmp_path_factory.mktemp("edition")
    target, outcomes = root / "student-edition", root / "outcomes.json"
    build_edition(Path(__file__).resolve().parent.parent / "notebooks", target, outcomes=outcomes)
    return target, outcomes


def pytest_collectstart(collector):
    """nbval: never compare stderr (warnings, progress bars) or HTML/JS renderings."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript")


# --- Full-run time of each notebook -------------------------------------------------------------
# nbval runs a notebook as one test per cell: the notebook's run time is the sum of its cells'
# setup + call + teardown durations (the kernel starts in the first cell's setup), so timing it
# costs no extra run. In full mode (COURSE_FAST=0, `make test-full`) a notebook above 90 s, or
# all of them above 6 minutes, fails the session; the table is printed in every mode.
NOTEBOOK_SECONDS = 90.0
ALL_NOTEBOOKS_SECONDS = 360.0


def pytest_addoption(parser):
    group = parser.getgroup("notebook times")
    group.addoption(
        "--notebook-time-limit",
        type=float,
        default=None,
        help=f"seconds one notebook may take (default {NOTEBOOK_SECONDS:g} when COURSE_FAST=0, else none)",
    )
    group.addoption(
        "--notebooks-time-limit",
        type=float,
        default=None,
        help=f"seconds all notebooks together may take (default {ALL_NOTEBOOKS_SECONDS:g} when COURSE_FAST=0)",
    )


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("course-notebook-times"):
        config.pluginmanager.register(NotebookTimes(config), "course-notebook-times")


class NotebookTimes:
    """Sums nbval's cell durations per notebook; enforces the limits at the end of the session."""

    def __init__(self, config):
        full = os.environ.get("COURSE_FAST", "1").strip().lower() in ("0", "false", "no", "off")
        given = config.getoption("notebook_time_limit"), config.getoption("notebooks_time_limit")
        self.limit = given[0] if given[0] is not None else (NOTEBOOK_SECONDS if full else None)
        self.total_limit = given[1] if given[1] is not None else (ALL_NOTEBOOKS_SECONDS if full else None)
        self.seconds = {}  # notebook path -> seconds
        self.over = []

    def pytest_runtest_logreport(self, report):
        path = report.nodeid.split("::")[0]
        if path.endswith(".ipynb"):
            self.seconds[path] = self.seconds.get(path, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        total = sum(self.seconds.values())
        self.over = [f"{path} took {s:.1f} s (limit {self.limit:g} s)" for path, s in self.seconds.items()
                     if self.limit is not None and s > self.limit]  # fmt: skip
        if self.total_limit is not None and total > self.total_limit:
            self.over.append(f"all notebooks together took {total:.1f} s (limit {self.total_limit:g} s)")
        if self.over and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if not self.seconds:
            return
        write = terminalreporter.write_line
        terminalreporter.section("notebook run times (nbval: sum of cell durations)")
        for path, seconds in self.seconds.items():
            write(f"{seconds:8.1f} s  {path}")
        limits = []
        if self.limit is not None:
            limits.append(f"{self.limit:g} s each")
        if self.total_limit is not None:
            limits.append(f"{self.total_limit:g} s in all")
        limits = f"limits: {', '.join(limits)}" if limits else "no limits: fast mode"
        write(f"{sum(self.seconds.values()):8.1f} s  all {len(self.seconds)} notebooks ({limits})")
        for line in self.over:
            terminalreporter.write_line(f"TOO SLOW: {line}", red=True, bold=True)
