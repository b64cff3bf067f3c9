"""The built book as files: no solution in it, nothing fetched from a CDN, each page linked to its
student notebook and listed under its lecture slides."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.site import SLIDES, page_lines, solution_lines

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "notebooks").glob("*.ipynb"))
# A resource the page loads (not a link the reader may follow) from another host.
REMOTE_RESOURCE = re.compile(
    r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*\b(src|href)=[\"'](https?:)?//", re.I
)
CDN_HOSTS = re.compile(
    r"jsdelivr|cdnjs|unpkg|googleapis|gstatic|mathjax\.org|polyfill\.io|bootstrapcdn|jquery\.com", re.I
)


def _pages(book: Path) -> list[Path]:
    return sorted(book.rglob("*.html"))


def _notebook_lines(paths) -> set[str]:
    lines = set()
    for path in paths:
        for cell in json.loads(path.read_text())["cells"]:
            lines |= {line.strip() for line in "".join(cell["source"]).splitlines()}
    return lines


def test_no_line_of_any_solution_is_in_the_book(book):
    """Every line of a solution block, looked for in every page and download of the book. A line that the
    student copies show anyway is not a leak (a ``return out`` of another notebook's code); tests/test_release.py
    checks that a student copy holds no line of its own notebook's solutions."""
    shown = set().union(*(page_lines(p.read_text(encoding="utf-8")) for p in _pages(book))) | _notebook_lines(
        book.rglob("*.ipynb")
    )
    public = _notebook_lines(sorted((REPO / "student").glob("*.ipynb")))
    for source in SOURCES:
        leaked = [line for line in solution_lines(read_notebook(source)) if line in shown and line not in public]
        assert not leaked, f"{source.name}: solution lines in the book: {leaked}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_the_leak_check_sees_code_lines_of_the_page(book, source):
    """The check above is blind if a page's code cannot be read back line by line: read back every line
    of the first code cell that is no exercise."""
    nb = read_notebook(source)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "### BEGIN SOLUTION" not in c.source)
    shown = page_lines((book / f"{source.stem}.html").read_text(encoding="utf-8"))
    missing = [line.strip() for line in cell.source.splitlines() if line.strip() and line.strip() not in shown]
    assert not missing, f"{source.name}: code lines not found in the page: {missing}"


def test_no_page_loads_anything_from_another_host(book):
    for page in _pages(book):
        text = page.read_text(encoding="utf-8")
        assert not REMOTE_RESOURCE.search(text), f"{page.name}: {REMOTE_RESOURCE.search(text).group(0)}"
        assert not CDN_HOSTS.search(text), (
            f"{page.name} names a CDN: {text[CDN_HOSTS.search(text).start() - 80 :][:200]}"
        )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_page_links_its_student_notebook(book, source):
    text = (book / f"{source.stem}.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="reference download internal" download="" href="([^"]+)"', text)
    assert len(links) == 1 and links[0].endswith(f"/{source.name}"), links
    assert (book / links[0]).read_bytes() == (REPO / "student" / source.name).read_bytes(), (
        f"{links[0]} is not student/{source.name}"
    )
    assert any("make lab" in line for line in page_lines(text))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_navigation_shows_the_lecture_slides(book, source):
    text = html.unescape((book / f"{source.stem}.html").read_text(encoding="utf-8"))
    for titles in SLIDES.values():
        assert "Slides: " + " / ".join(titles) in text


def test_the_welcome_page_with_the_map_is_the_landing_page(book):
    assert 'url=00_welcome.html"' in (book / "index.html").read_text()
    assert "The map" in (book / "00_welcome.html").read_text()
