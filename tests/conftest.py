"""pytest configuration shared by the unit tests and the nbval run.

The Makefile loads this file as a plugin for the nbval run too
(``pytest -p tests.conftest --nbval notebooks/``), so the hook below applies
to notebooks wherever they live.
"""

import os

# Unit tests run in fast mode unless told otherwise, so a bare `pytest` is quick.
os.environ.setdefault("COURSE_FAST", "1")


def pytest_collectstart(collector):
    """nbval: never compare stderr (warnings, progress bars) or HTML/JS renderings."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr", "text/html", "application/javascript")
