"""The course in a real JupyterLab: every notebook with widgets, run in Chromium.

nbval executes notebooks but never renders them. Here each notebook that shows widgets is
opened in JupyterLab, run top to bottom (fast mode), and checked as a student sees it: no
error outputs (student copies may stop at their first exercise's NotImplementedError),
no "Error displaying widget", every widget and figure rendered; one slider of each
explorer is moved and what it drives must change; on notebook 08 a digit is drawn with
the mouse and a prediction must appear. A screenshot of each notebook goes to
tests/browser/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "browser" / "artifacts"

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_AREA = ".jp-OutputArea-output:has(> .jupyter-widgets)"  # an output showing a widget view


def _notebooks_with_widgets() -> list[str]:
    names = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
        if any(WIDGET_MIME in o.get("data", {}) for o in outputs):
            names.append(path.name)
    return names


WIDGET_NOTEBOOKS = _notebooks_with_widgets()
# notebooks whose explorers have sliders: at least one must be moved and respond
EXPLORER_NOTEBOOKS = {"01_mlp_forward.ipynb", "02_probabilistic_losses.ipynb", "06_convolution.ipynb"}
CASES = [f"{folder}/{name}" for folder in ("notebooks", "student") for name in WIDGET_NOTEBOOKS]

CURRENT = "window.jupyterapp.shell.currentWidget"
KERNEL_READY = f"""() => {{
    if (!window.jupyterapp || !window.jupyterapp.shell) return false;
    const w = {CURRENT};
    return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
              && w.sessionContext.session.kernel.status === 'idle' && w.content && w.content.widgets.length);
}}"""
RUN_STATE = f"""() => {{
    const w = {CURRENT};
    const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
    const pending = w.content.widgets.filter(c => c.model.type === 'code' &&
        c.promptNode && c.promptNode.textContent.includes('*')).length;
    return {{status: kernel ? kernel.status : 'none', pending}};
}}"""
WIDGET_OUTPUTS = f"""() => {{
    let count = 0;
    for (const cell of {CURRENT}.content.widgets) {{
        if (cell.model.type !== 'code') continue;
        for (const output of cell.model.outputs.toJSON()) {{
            if (output.data && output.data['{WIDGET_MIME}']) count += 1;
        }}
    }}
    return count;
}}"""
ERRORS = f"""() => {{
    const errors = [];
    for (const cell of {CURRENT}.content.widgets) {{
        if (cell.model.type !== 'code') continue;
        for (const output of cell.model.outputs.toJSON()) {{
            if (output.output_type === 'error') errors.push([output.ename, output.evalue]);
        }}
    }}
    return errors;
}}"""


def _run_all(page, timeout: float = 600) -> None:
    page.evaluate(f"{CURRENT}.content.activeCellIndex = 0")
    # not awaited: the command's promise only settles when every cell has run (or never, if a dialog opens)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE)
        if state["status"] == "idle" and state["pending"] == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 3:  # idle, and nothing queued, for 3 s
                return
        else:
            quiet_since = None
        page.wait_for_timeout(500)
    raise AssertionError(f"the notebook was still running after {timeout:.0f} s: {page.evaluate(RUN_STATE)}")


def _open(page, lab, case: str) -> None:
    page.goto(lab.notebook_url(case))
    page.wait_for_function(KERNEL_READY, timeout=120_000)


def _check_rendered(page, case: str) -> None:
    page.wait_for_timeout(1500)  # let widget views and images finish rendering
    assert page.get_by_text("Error displaying widget").count() == 0, f"{case}: a widget failed to display"
    assert page.get_by_text("Loading widget...").count() == 0, f"{case}: a widget never rendered"
    # config/jupyterlab-overrides.json, installed by make setup, turns JupyterLab's news question off
    assert page.get_by_text("official Jupyter news").count() == 0, f"{case}: the Jupyter news pop-up is shown"
    expected = page.evaluate(WIDGET_OUTPUTS)  # widget views among the cells' outputs
    sizes = page.eval_on_selector_all(WIDGET_AREA, "nodes => nodes.map(n => n.getBoundingClientRect().height)")
    assert len(sizes) == expected, f"{case}: {expected} widget outputs but {len(sizes)} rendered widget areas"
    assert all(height > 0 for height in sizes), f"{case}: an empty widget area: heights {sizes}"
    images = page.eval_on_selector_all(
        ".jp-OutputArea-output img", "nodes => nodes.map(n => [n.complete, n.naturalWidth])"
    )
    assert all(complete and width > 0 for complete, width in images), f"{case}: a figure did not render: {images}"


def _what_it_shows(area) -> tuple:
    """The texts and the output HTML (figures included) of an explorer's widget area."""
    texts = area.locator(".widget-output, .widget-html-content, .widget-label").all_inner_texts()
    html = area.locator(".widget-output").evaluate_all("nodes => nodes.map(n => n.innerHTML).join('')")
    return texts, html


def _move_sliders(page, case: str) -> int:
    """Drag the first slider of each explorer; what the explorer draws must change. Returns how many."""
    areas = page.locator(f"{WIDGET_AREA}:has(.widget-slider)")
    for index in range(areas.count()):
        area = areas.nth(index)
        area.scroll_into_view_if_needed()
        before = _what_it_shows(area)
        handle = area.locator(".widget-slider .noUi-handle").first
        box = handle.bounding_box()
        assert box is not None, f"{case}: explorer {index} has a slider that is not visible"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y, steps=5)
        page.mouse.up()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _what_it_shows(area) != before:
                break
            page.wait_for_timeout(300)
        else:
            raise AssertionError(f"{case}: moving a slider of explorer {index} changed nothing it shows")
    return areas.count()


def _draw_a_digit(page, case: str) -> None:
    canvas = page.locator(f"{WIDGET_AREA} canvas").last  # ipycanvas stacks its layers: the top one gets the mouse
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None, f"{case}: the drawing pad is not visible"
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 0.12 * box["height"])
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + step * 0.3, box["y"] + (0.12 + 0.04 * step) * box["height"])
        page.wait_for_timeout(20)
    page.mouse.up()
    page.get_by_text("LeNet reads:").wait_for(timeout=30_000)


@pytest.mark.parametrize("case", CASES)
def test_notebook_renders_and_responds_in_jupyterlab(case, lab, page):
    started = time.monotonic()
    _open(page, lab, case)
    try:
        _run_and_check(page, case)
    finally:  # free the kernel's memory for the next notebook (not awaited)
        page.evaluate(f"() => {{ {CURRENT}.sessionContext.shutdown(); }}")
    print(f"{case}: {time.monotonic() - started:.0f} s")


def _run_and_check(page, case: str) -> None:
    _run_all(page)
    errors = page.evaluate(ERRORS)
    if case.startswith("student/"):
        unexpected = [e for e in errors if not (e[0] == "NotImplementedError" and e[1].startswith("Exercise"))]
        assert not unexpected, f"{case}: errors other than the first exercise's NotImplementedError: {unexpected}"
        assert len(errors) <= 1, f"{case}: run-all should stop at the first exercise: {errors}"
    else:
        assert not errors, f"{case}: error outputs {errors}"
    _check_rendered(page, case)
    if case.startswith("notebooks/"):
        moved = _move_sliders(page, case)
        assert moved or Path(case).name not in EXPLORER_NOTEBOOKS, f"{case}: no explorer slider found"
        if Path(case).name == "08_lenet.ipynb":
            _draw_a_digit(page, case)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (case.replace("/", "__") + ".png")))
