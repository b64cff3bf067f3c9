"""The built book (``make site`` writes _build/site/) and a Chromium for ``make test-site``.

Chromium is the browser tests' (Debian's /usr/bin/chromium or $CHROMIUM, driven by playwright).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import browser  # noqa: F401 (the browser tests' Chromium fixture)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def book() -> Path:
    site = REPO / "_build" / "site"
    if not (site / "index.html").exists():
        pytest.fail(f"no book in {site}: run `make site` (`make test-site` builds it first)")
    return site
