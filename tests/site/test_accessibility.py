"""WCAG 2.1 AA on every page of the built book: axe-core (site/package.json, pinned) in Chromium.

Each page is opened from the folder as test_pages.py opens it (widget views drawn, maths typeset, site/a11y.js
run), then axe-core runs with ``runOnly`` the tags wcag2a, wcag2aa, wcag21a, wcag21aa; a page fails on any
serious or critical violation. Every picture a notebook output shows (cell outputs and the explorers'
saved views) must carry real alt text (not empty, not a file name); the theme's decorative images may keep
alt="". One H1 per page, no skipped heading level. Each page's violations of any impact go to
tests/site/artifacts/axe/ (git-ignored), and three pages are also photographed as a reader with
deuteranopia sees them (Chromium's vision-deficiency emulation).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_utils.figures import is_real_description
from tests.axe import axe_version, blocking, run_axe, summary
from tests.site.test_pages import MATHS_READY, _wait_for_widgets

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "site" / "artifacts"
BOOK = REPO / "_build" / "site"
# Every page a reader can open (index.html only redirects to the welcome page).
PAGES = sorted(p.name for p in BOOK.glob("*.html") if p.name != "index.html") or ["00_welcome.html"]
OUTPUT_IMAGES = """() => [...document.querySelectorAll('.cell_output img, .widget-output img')]
    .map(i => i.getAttribute('alt'))"""
HEADINGS = """() => [...document.querySelectorAll(
    ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map(h => 'main article ' + h).join(', '))].map(h => Number(h.tagName[1]))"""
EXPLORER_PAGES = ("01_mlp_forward.html", "02_probabilistic_losses.html", "06_convolution.html")
COLOUR_PAGES = ("01_mlp_forward.html", "04_sgd.html", "10_features_and_history.html")


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _open(page, name: str) -> None:
    page.goto((BOOK / name).as_uri(), wait_until="load")
    page.evaluate(MATHS_READY)
    _wait_for_widgets(page, name)
    page.wait_for_timeout(500)  # site/a11y.js names the sliders the widget manager has just drawn


@pytest.mark.parametrize("name", PAGES)
def test_page_meets_wcag_21_aa_by_axe(name, book, tab):
    _open(tab, name)
    violations = run_axe(tab)
    (ARTIFACTS / "axe").mkdir(parents=True, exist_ok=True)
    record = {"axe-core": axe_version(), "page": name, "violations": violations}
    (ARTIFACTS / "axe" / f"{name}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))
    serious = blocking(violations)
    assert not serious, f"{name}: axe-core {axe_version()} serious/critical: {summary(serious)}: " + "; ".join(
        f"{v['id']}: {[n['html'][:120] for n in v['nodes'][:2]]}" for v in serious
    )


@pytest.mark.parametrize("name", PAGES)
def test_every_output_picture_is_described_and_headings_read_in_order(name, book, tab):
    _open(tab, name)
    alts = tab.evaluate(OUTPUT_IMAGES)
    bad = [alt for alt in alts if not is_real_description(alt)]
    assert not bad, f"{name}: {len(bad)} of {len(alts)} output pictures without a real description: {bad[:3]}"
    levels = tab.evaluate(HEADINGS)
    if name[:2].isdigit():
        assert levels.count(1) == 1 and levels[0] == 1, f"{name}: headings {levels[:6]}"
    skipped = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not skipped, f"{name}: heading levels skipped {skipped}"


@pytest.mark.parametrize("name", EXPLORER_PAGES)
def test_saved_views_have_a_text_equivalent(name, book, tab):
    _open(tab, name)
    words = tab.locator(".saved-view-text li").all_inner_texts()
    assert any(text.startswith("Figure:") for text in words), f"{name}: the saved view's figure is not put in words"
    named = tab.evaluate("() => [...document.querySelectorAll('.noUi-handle')].map(h => h.getAttribute('aria-label'))")
    assert named and all(named), f"{name}: slider handles without a name: {named}"


@pytest.mark.parametrize("name", COLOUR_PAGES)
def test_pages_photographed_as_seen_with_deuteranopia(name, book, tab):
    """Screenshots for a person to look at (colour is judged by eye; the style test checks the rules)."""
    _open(tab, name)
    session = tab.context.new_cdp_session(tab)
    session.send("Emulation.setEmulatedVisionDeficiency", {"type": "deuteranopia"})
    (ARTIFACTS / "deuteranopia").mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "deuteranopia" / name.replace(".html", ".png")), full_page=True)
