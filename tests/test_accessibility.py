"""Accessibility of the notebooks themselves (issue 29): every figure described, the course style in force,
explorers usable by keyboard and screen reader, headings in order, descriptive links.

The committed outputs are what the book shows and what a student opens first, so they are checked here;
tests/site/test_accessibility.py and tests/browser/test_accessibility_lab.py run axe-core on the pages.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import figures, style  # noqa: E402
from course_utils.figures import META_KEY, alt_text, is_real_description, show  # noqa: E402
from course_utils.widgets import conv_explorer, conv_stepper, mlp_explorer, with_number_box  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VAGUE_LINKS = {"here", "click here", "this", "this link", "link", "more", "read more", "this page"}


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alts: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))


def _outputs(nb: dict):
    """Every output of the notebook: the cells' and those saved inside widget views (explorers' figures)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            yield from ((cell.get("id"), o) for o in cell.get("outputs", []))
    for model in nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}).values():
        yield from (("widget", o) for o in model.get("state", {}).get("outputs", []))


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def figure_outputs(path: Path) -> list[tuple[str, dict]]:
    """(cell id, output) of every output that shows a picture."""
    nb = json.loads(path.read_text())
    found = []
    for cell_id, output in _outputs(nb):
        data = output.get("data", {})
        if any(key.startswith("image/") for key in data) or "<img" in "".join(data.get("text/html", "")):
            found.append((cell_id, output))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_output_figure_has_a_real_description(path):
    """No bare image/png output (it has no alt text in JupyterLab or the book); every <img> has alt text that
    says something (not empty, not a file name, at least figures.MIN_WORDS words)."""
    for cell_id, output in figure_outputs(path):
        data = output["data"]
        assert not any(key.startswith("image/") for key in data), (
            f"{path.name} cell {cell_id}: a bare {[k for k in data if k.startswith('image/')]} output; "
            "show figures with course_utils.viz.show(fig, takeaway)"
        )
        parser = _Images()
        parser.feed("".join(data["text/html"]))
        for alt in parser.alts:
            assert is_real_description(alt), f"{path.name} cell {cell_id}: alt text {alt!r} describes nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_course_style_was_in_force_for_every_figure(path):
    """show() records, with each figure, whether the course style was in force and what in the figure breaks it
    (a map that is not lightness-ordered, a line outside the palette, two lines told apart by hue alone)."""
    for cell_id, output in figure_outputs(path):
        record = output.get("metadata", {}).get(META_KEY)
        assert record is not None, f"{path.name} cell {cell_id}: a figure not shown by course_utils.viz.show"
        assert record["style"], f"{path.name} cell {cell_id}: drawn without the course style"
        assert record["problems"] == [], f"{path.name} cell {cell_id}: {record['problems']}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_shows_a_figure_without_its_description(path):
    code = [_source(c) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert not [c for c in code if "plt.show()" in c or re.search(r"display\(fig\b", c)], path.name
    assert any("course_utils.viz import" in c for c in code), f"{path.name} never imports the course style"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_headings_read_in_order_and_links_say_where_they_go(path):
    levels, links = [], []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in _source(cell).splitlines():
            fenced ^= line.lstrip().startswith("```")
            match = re.match(r"(#{1,6})\s", line)
            if match and not fenced:
                levels.append(len(match.group(1)))
        links += re.findall(r"(?<!!)\[([^\]]*)\]\(([^)]*)\)", _source(cell))
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{path.name}: headings {levels[:5]}"
    skipped = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not skipped, f"{path.name}: heading levels skipped {skipped}"
    vague = [text for text, _ in links if text.strip().lower() in VAGUE_LINKS or re.match(r"https?://", text)]
    assert not vague, f"{path.name}: links whose text does not say where they go: {vague}"


def test_the_figure_count_is_what_the_report_says():
    """All figures the notebooks show carry a real description: the count behind the accessibility statement."""
    total = sum(len(figure_outputs(p)) for p in NOTEBOOKS)
    assert total >= 45, f"only {total} figures found: did a run drop outputs?"


# --- the mechanism itself ---------------------------------------------------------------------------------------


def test_show_writes_an_img_with_alt_text_and_records_the_style(monkeypatch):
    shown = []
    monkeypatch.setattr(figures, "display", lambda data, raw, metadata: shown.append((data, metadata)))
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 2, 1], label="loss")
    assert show(fig, "The loss falls from 3 to 1.") is None  # nothing more to display after the figure
    ((data, metadata),) = shown
    alt = metadata[META_KEY]["alt"]
    assert data["text/html"].startswith('<img src="data:image/png;base64,') and f'alt="{alt}"' in data["text/html"]
    assert "loss from 3 at 1 to 1 at 3" in alt and alt.endswith("The loss falls from 3 to 1.")
    assert data["text/plain"] == f"Figure: {alt}"
    assert metadata[META_KEY] == {"alt": alt, "style": style.style_in_force(), "problems": []}
    assert not plt.fignum_exists(fig.number), "show() closes the figure (no second copy from the inline backend)"


def test_a_takeaway_must_say_something():
    fig, _ = plt.subplots()
    for bad in ("", "ok", None, 3):
        with pytest.raises(ValueError, match="takeaway"):
            alt_text(fig, bad)
    plt.close(fig)


@pytest.mark.parametrize("alt", ["", None, "_images/1c9563b2f4d1.png", "figure.png", "image 3", "Figure", "a plot"])
def test_file_names_and_stubs_are_not_descriptions(alt):
    assert not is_real_description(alt)


def test_style_problems_catch_hue_only_and_rainbow_maps():
    style.use_course_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], "-", color="tab:red", label="a")
    ax.plot([0, 1], [1, 0], "-", color=style.POSITIVE, label="b")
    ax.imshow(np.zeros((2, 2)), cmap="jet")
    problems = style.style_problems(fig)
    assert any("'jet'" in p for p in problems) and any("not the palette" in p for p in problems)
    assert any("differ by colour only" in p for p in problems)
    plt.close(fig)
    fig, ax = plt.subplots()
    for k in range(len(style.CATEGORICAL)):  # the cycle alone: every line differs by dash pattern too
        ax.plot([0, 1], [k, k + 1], label=f"line {k}")
    assert style.style_problems(fig) == []
    plt.close(fig)


def test_the_palette_is_okabe_ito_with_one_line_style_per_colour():
    assert len(set(style.CATEGORICAL)) == len(style.CATEGORICAL) == len(style.LINESTYLES)
    assert len({str(s) for s in style.LINESTYLES}) == len(style.LINESTYLES)
    assert set(style.CATEGORICAL) <= set(style.OKABE_ITO.values())
    style.use_course_style()
    assert style.style_in_force()


def _sliders(widget) -> list:
    found = [widget] if "Slider" in type(widget).__name__ else []
    for child in getattr(widget, "children", ()):
        found += _sliders(child)
    return found


@pytest.mark.parametrize(
    "build", [lambda: mlp_explorer([1, 2], [[1, 0], [0, 1]], [[1, -1]]), conv_stepper, conv_explorer]
)
def test_every_explorer_slider_has_a_named_keyboard_twin(build):
    """Each slider sits after a number box (or menu) that has its name as label and is linked to it."""
    explorer = build()
    rows = {}

    def walk(widget):
        children = list(getattr(widget, "children", ()))
        for first, second in zip(children, children[1:], strict=False):
            if "Slider" in type(second).__name__:
                rows[second.model_id] = first
        for child in children:
            walk(child)

    walk(explorer)
    sliders = _sliders(explorer)
    assert sliders
    for slider in sliders:
        twin = rows.get(slider.model_id)
        assert twin is not None and twin.description and twin.description == slider.tooltip, slider
        assert not slider.readout
    plt.close("all")


def test_with_number_box_names_a_selection_slider_with_a_menu():
    slider = widgets.SelectionSlider(options=[("0", 0.0), ("1", 1.0)], description="λ")
    row = with_number_box(slider)
    menu, same = row.children
    assert same is slider and isinstance(menu, widgets.Dropdown) and menu.description == "λ"


def test_a_saved_view_is_put_in_words_for_the_book():
    from course_utils.instructor.site_widgets import in_words

    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_x", "IPY_MODEL_menu", "IPY_MODEL_out"]}},
        "x": {"model_name": "BoundedFloatTextModel", "state": {"description": "x1", "value": 1.5}},
        "menu": {"model_name": "DropdownModel", "state": {"description": "g", "index": 1, "_options_labels": ["a", "b"]}},  # noqa: E501
        "out": {"model_name": "OutputModel", "state": {"outputs": [
            {"output_type": "display_data", "metadata": {META_KEY: {"alt": "A diagram of x."}}, "data": {}},
            {"output_type": "stream", "name": "stdout", "text": "f = 2\n"},
        ]}},
    }  # fmt: skip
    text = in_words(state, "box")
    assert text.count("<li>") == 4 and "<li>x1: 1.5</li>" in text and "<li>g: b</li>" in text
    assert "<li>Figure: A diagram of x.</li>" in text and "<li>f = 2</li>" in text
