"""The explorers of notebooks 01, 02 and 06 in JupyterLab, by keyboard only, and axe-core on what the course shows.

Each notebook is opened and run (fast mode), then, for each explorer: JupyterLab's command-mode shortcut
(ArrowDown) walks to its cell, focus goes to the cell's output, Tab moves into the explorer until a control
that moves has focus (first its first number box or slider, then, again from the cell, a slider's handle), an
arrow key moves it, and what the explorer shows must change. Then axe-core (WCAG 2.0/2.1 A and AA) runs on
the page: violations inside the notebook's outputs are the course's and fail the test, except those only an
upstream change can fix (UPSTREAM, each with its reason); JupyterLab's own violations are listed in the
output and in tests/browser/artifacts/axe-lab/.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.axe import axe_version, blocking, run_axe
from tests.browser.test_lab import CURRENT, WIDGET_AREA, _open, _run_all, _what_it_shows

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "browser" / "artifacts" / "axe-lab"
CASES = ["notebooks/01_mlp_forward.ipynb", "notebooks/02_probabilistic_losses.ipynb", "notebooks/06_convolution.ipynb"]
MOVABLE = "input[type=number], [role=slider]"  # a <select> is native; headless Chromium ignores its arrows
# Violations inside the course's outputs that only an upstream change can fix: (rule, CSS the node matches, why).
UPSTREAM = [
    (
        "aria-input-field-name",
        ".noUi-handle",
        "ipywidgets gives a slider's handle (noUiSlider, role=slider) no accessible name; the course names "
        "each slider through the labelled number box beside it (jupyter-widgets/ipywidgets: no upstream issue found)",
    ),
]
IN_OUTPUTS = (
    "(selector) => { const e = document.querySelector(selector); return !!(e && e.closest('.jp-OutputArea')); }"
)
ACTIVE_CELL = f"() => {CURRENT}.content.activeCellIndex"
FOCUS = """() => { const a = document.activeElement; if (!a) return null;
    return {tag: a.tagName, role: a.getAttribute('role'), type: a.getAttribute('type'),
            explorer: !!a.closest('.jp-OutputArea-output:has(> .jupyter-widgets)')}; }"""


def _explorer_cells(page) -> list[int]:
    return page.evaluate(
        f"""() => {CURRENT}.content.widgets.map((cell, i) => [i, cell.node.querySelector(
            '.jp-OutputArea-output .widget-slider')]).filter(([i, s]) => s).map(([i]) => i)"""
    )


def _walk_to(page, index: int) -> None:
    """Command mode, then ArrowDown/ArrowUp (JupyterLab's shortcuts) until cell ``index`` is active. Focus is
    handed back to the notebook first (a widget control keeps it, and would take the arrow keys itself)."""
    page.evaluate(f"() => {{ document.activeElement && document.activeElement.blur(); {CURRENT}.content.activate(); }}")
    page.keyboard.press("Escape")
    for _ in range(200):
        active = page.evaluate(ACTIVE_CELL)
        if active == index:
            return
        page.keyboard.press("ArrowDown" if active < index else "ArrowUp")
    raise AssertionError(f"could not reach cell {index} with the arrow keys (at {page.evaluate(ACTIVE_CELL)})")


def _drive_by_keyboard(page, case: str, index: int, target: str) -> str:
    """Tab into the explorer of cell ``index`` until a control matching CSS ``target`` has focus, move it with
    an arrow key; returns what had focus and the key. Fails unless what the explorer shows changes."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    area = cell.locator(WIDGET_AREA).first
    area.scroll_into_view_if_needed()
    before = _what_it_shows(area)
    # Focus the output area itself (as clicking its prompt would), then only the keyboard.
    area.evaluate("node => { node.setAttribute('tabindex', '-1'); node.focus(); }")
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus and focus["explorer"] and page.evaluate(f"() => document.activeElement.matches('{target}')"):
            break
    else:
        raise AssertionError(f"{case}: Tab never reached a control of the explorer in cell {index}: {focus}")
    key = "ArrowRight" if focus["role"] == "slider" else ("ArrowDown" if focus["tag"] == "SELECT" else "ArrowUp")
    page.keyboard.press(key)
    if focus["tag"] == "INPUT":
        page.keyboard.press("Enter")  # a number box sends its value on Enter as well as on each step
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _what_it_shows(area) != before:
            return f"{focus['tag'].lower()}{'[role=slider]' if focus['role'] == 'slider' else ''} + {key}"
        page.wait_for_timeout(300)
    raise AssertionError(f"{case}: {key} on the focused {focus} changed nothing the explorer in cell {index} shows")


def _split(page, violations: list[dict]) -> tuple[list, list, list]:
    """(the course's, upstream's inside the course's outputs, JupyterLab's own) violations, node by node."""
    course, upstream, lab = [], [], []
    for violation in violations:
        for node in violation["nodes"]:
            entry = {**{k: violation[k] for k in ("id", "impact", "help")}, **node}
            if not page.evaluate(IN_OUTPUTS, node["target"]):
                lab.append(entry)
            elif any(violation["id"] == rule and page.evaluate(
                    "([t, css]) => document.querySelector(t).matches(css)", [node["target"], css])
                    for rule, css, _ in UPSTREAM):  # fmt: skip
                upstream.append(entry)
            else:
                course.append(entry)
    return course, upstream, lab


@pytest.mark.parametrize("case", CASES)
def test_explorers_work_by_keyboard_and_the_course_passes_axe(case, lab, page):
    _open(page, lab, case)
    try:
        _run_all(page)
        page.wait_for_timeout(1500)
        cells = _explorer_cells(page)
        assert cells, f"{case}: no explorer found"
        driven = []
        for index in cells:  # the first control that moves (a named number box or menu), then a slider's handle
            for target in (MOVABLE, "[role=slider]"):
                _walk_to(page, index)
                driven.append(_drive_by_keyboard(page, case, index, target))
        print(f"{case}: explorers in cells {cells} driven by keyboard: {driven}")

        violations = blocking(run_axe(page))
        course, upstream, jupyterlab = _split(page, violations)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        record = {"axe-core": axe_version(), "course": course, "upstream": upstream, "jupyterlab": jupyterlab}
        (ARTIFACTS / (Path(case).stem + ".json")).write_text(json.dumps(record, indent=1, ensure_ascii=False))
        by_rule = dict(Counter(f"{v['id']} ({v['impact']})" for v in jupyterlab))
        print(f"{case}: JupyterLab's own serious/critical (not the course's): {by_rule}")
        print(f"{case}: upstream (ipywidgets) inside the course's outputs: {len(upstream)} nodes")
        assert not course, f"{case}: axe-core {axe_version()} on the course's outputs: " + "; ".join(
            f"{v['id']}: {v['html'][:120]}" for v in course
        )
    finally:
        page.evaluate(f"() => {{ {CURRENT}.sessionContext.shutdown(); }}")
