"""Every page of the built book opened in Chromium from the folder (file://), with the network blocked.

Anything not under file:// is aborted and recorded, and so is any request that fails. A page passes when it
logged no console error, needed nothing from elsewhere, typeset all its maths (no raw ``\\(`` or ``$$`` left
in the text), loaded every image, drew every saved widget view (an explorer, with its figure, in 01, 02
and 06), and shows each exercise without outputs. A full-page screenshot of each goes to
tests/site/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.release import find_exercises

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "site" / "artifacts"
# index.html only redirects to the welcome page: test_the_book_opens_on_the_welcome_page follows it.
PAGES = sorted(p.name for p in (REPO / "_build" / "site").glob("*.html") if p.name != "index.html") or [
    "00_welcome.html"
]
EXERCISES = {
    f"{p.stem}.html": len(find_exercises(read_notebook(p), p.name))
    for p in sorted((REPO / "notebooks").glob("*.ipynb"))
}
EXPLORER_PAGES = {"01_mlp_forward.html", "02_probabilistic_losses.html", "06_convolution.html"}

# The text a reader sees, without code, scripts and typeset maths.
READABLE_TEXT = """() => {
    const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .MathJax';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parts = [];
    while (walker.nextNode()) {
        const parent = walker.currentNode.parentElement;
        if (parent && !parent.closest(skip) && parent.offsetParent !== null) parts.push(walker.currentNode.data);
    }
    return parts.join(' ');
}"""
MATHS_READY = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    return !!(window.MathJax && MathJax.startup);
}"""
WIDGETS = """() => {
    const scripts = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    const areas = [...document.querySelectorAll('.widget-subarea')];
    return {expected: scripts.length, heights: areas.map(a => a.getBoundingClientRect().height)};
}"""
IMAGES = "() => [...document.images].map(i => [i.currentSrc.slice(0, 80), i.complete, i.naturalWidth])"
EXERCISE_OUTPUTS = """() => {
    const cells = [...document.querySelectorAll('div.cell')];
    const found = [];
    cells.forEach((cell, i) => {
        // a function exercise's placeholder, or a value exercise's `name = ...  # Exercise N.M: your answer`
        const text = cell.querySelector('.cell_input').innerText;
        const value = text.includes(' = ...  # Exercise ') && text.includes(': your answer, in place of the ...');
        if (!text.includes('raise NotImplementedError(') && !value) return;
        for (const c of [cell, cells[i + 1]]) found.push([i, !!(c && c.querySelector('.cell_output'))]);
    });
    return found;
}"""


@pytest.fixture
def reader(browser):
    """A page that may load only file:// URLs; it records console errors and every blocked or failed request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked, failed, errors = [], [], []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: failed.append(f"{request.url[:120]}: {request.failure}"))
    yield page, blocked, failed, errors
    context.close()


def _wait_for_widgets(page, name: str) -> dict:
    """What WIDGETS reports once every saved view is drawn, or after 60 s."""
    for _ in range(120):
        widgets = page.evaluate(WIDGETS)
        if len(widgets["heights"]) >= widgets["expected"]:
            break
        page.wait_for_timeout(500)
    return widgets


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_offline(name, book, reader):
    page, blocked, failed, errors = reader
    page.goto((book / name).as_uri() + ("?q=convolution" if name == "search.html" else ""), wait_until="load")
    if name == "search.html":
        page.get_by_text("Search finished").wait_for()
    has_maths = page.evaluate(MATHS_READY)
    widgets = _wait_for_widgets(page, name)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # in case an image loads lazily
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.evaluate("document.fonts.ready.then(() => window.scrollTo(0, 0))")
    page.wait_for_timeout(500)  # a request the last steps set off has time to fail
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name.replace(".html", ".png")), full_page=True)

    assert not blocked, f"{name} asked for something outside the book: {blocked}"
    assert not failed, f"{name}: failed requests {failed}"
    assert not errors, f"{name}: console errors {errors}"

    text = page.evaluate(READABLE_TEXT)
    raw = [m.group(0) for m in re.finditer(r"\\[(\[]|\$\$|\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$", text)]
    assert not raw, f"{name}: maths left untypeset: {raw[:5]}"
    assert page.locator("mjx-merror, .MathJax_Error").count() == 0, f"{name}: a MathJax error"
    if page.locator(".math").count():
        assert has_maths and page.locator("mjx-container").count() > 0, f"{name}: maths present but not typeset"

    images = page.evaluate(IMAGES)
    assert all(complete and width > 0 for _, complete, width in images), f"{name}: images not loaded {images}"

    assert len(widgets["heights"]) == widgets["expected"], f"{name}: widget views not drawn: {widgets}"
    assert all(height > 0 for height in widgets["heights"]), f"{name}: an empty widget view: {widgets}"
    assert page.get_by_text("Error displaying widget").count() == 0, f"{name}: a widget failed to display"
    if name in EXPLORER_PAGES:
        explorers = page.locator(".widget-subarea:has(.widget-slider):has(img)")
        assert explorers.count() >= 1, f"{name}: no explorer (sliders and its figure) drawn"
        assert page.locator(".saved-view").count() >= 1, f"{name}: no word that the explorer cannot redraw here"

    shown = page.evaluate(EXERCISE_OUTPUTS)
    assert not [index for index, has_output in shown if has_output], f"{name}: an exercise or checker shows outputs"
    assert len(shown) == 2 * EXERCISES.get(name, 0), (
        f"{name}: {len(shown) // 2} exercises shown, not {EXERCISES.get(name)}"
    )
    if name == "search.html":  # searching works from the folder too
        assert page.locator("#search-results li a", has_text="06 · Convolution").count() == 1
    if name[:2].isdigit():
        assert page.locator("a.download").count() == 1, f"{name}: no download link to the student notebook"


def test_the_book_opens_on_the_welcome_page_with_the_map(book, reader):
    page, blocked, failed, errors = reader
    page.goto((book / "index.html").as_uri())
    page.wait_for_url("**/00_welcome.html")
    page.get_by_role("heading", name="The map").wait_for()
    assert page.locator("nav.bd-links a[href='01_mlp_forward.html']").count() == 1, "the navigation lists notebook 01"
    assert not blocked and not failed and not errors, (blocked, failed, errors)
