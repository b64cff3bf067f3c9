"""The book's pages (course_utils.instructor.site), without building the book: what each page holds.

`make test-site` builds the book and checks the HTML itself (tests/site/).
"""

import re
from pathlib import Path

import pytest

from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.release import find_exercises
from course_utils.instructor.site import (
    BUILTIN_WIDGETS,
    SLIDES,
    WIDGET_STATE,
    WIDGET_VIEW,
    _toc,
    book_notebook,
    page_lines,
    solution_lines,
    stage,
)

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted((REPO / "notebooks").glob("*.ipynb"))
LECTURE = REPO.parent / "shared" / "lecture" / "README.md"


def _views(nb) -> list[dict]:
    return [o["data"][WIDGET_VIEW] for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_page_shows_exercises_as_released_and_everything_else_with_outputs(source):
    instructor = read_notebook(source)
    page = book_notebook(instructor, source.name)
    exercises = find_exercises(instructor, source.name)
    blank = {i for e in exercises for i in (e.cell_id, e.checker_id)}
    cells = {c.get("id"): c for c in page.cells}
    for exercise in exercises:
        released = cells[exercise.cell_id].source
        assert "raise NotImplementedError(" in released or f"# Exercise {exercise.number}: your answer" in released
        assert cells[exercise.cell_id].outputs == [] and cells[exercise.checker_id].outputs == []
    for cell in instructor.cells:
        if cell.cell_type == "code" and cell.id not in blank:
            assert cells[cell.id].source == cell.source
            if not any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs):
                assert cells[cell.id].outputs == cell.outputs, f"{source.name} {cell.id}: outputs lost"
    sources = {line.strip() for c in page.cells for line in c.source.splitlines()}
    assert not [line for line in solution_lines(instructor) if line in sources]
    assert f"<downloads/{source.name}>" in page.cells[1].source and "make lab" in page.cells[1].source
    assert page.cells[0].source.startswith("# "), "the page title stays first"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_page_keeps_only_widgets_the_bundled_manager_draws(source):
    instructor = read_notebook(source)
    page = book_notebook(instructor, source.name)
    state = page.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert all(model["model_module"] in BUILTIN_WIDGETS for model in state.values())
    assert all(view["model_id"] in state for view in _views(page))
    if source.name == "08_lenet.ipynb":  # the ipycanvas drawing pad cannot be drawn from saved state
        assert len(_views(page)) < len(_views(instructor))
        assert "runs in JupyterLab" in str(page.cells)


def test_a_view_needing_other_widget_code_is_replaced_and_its_models_dropped():
    nb = read_notebook(REPO / "notebooks" / "08_lenet.ipynb")
    state = nb.metadata.widgets[WIDGET_STATE]["state"]
    assert any(m["model_module"] == "ipycanvas" for m in state.values()), "the fixture lost its canvas"
    page = book_notebook(nb, "08_lenet.ipynb")
    assert not any(m["model_module"] == "ipycanvas" for m in page.metadata.widgets[WIDGET_STATE]["state"].values())


def test_navigation_lists_every_notebook_under_its_slide_titles():
    names = [p.name for p in SOURCES]
    toc = _toc(names)
    assert toc["root"] == "00_welcome"
    assert [part["chapters"][0]["file"] for part in toc["parts"]] == [Path(n).stem for n in names[1:]]
    for part in toc["parts"]:
        assert part["caption"].startswith("Slides: ")
    with pytest.raises(ValueError, match="99_new.ipynb: no lecture slides"):
        _toc(names + ["99_new.ipynb"])


@pytest.mark.skipif(not LECTURE.exists(), reason="the lecture's README is not beside the repository")
def test_slide_titles_are_the_lecture_s_own():
    listed = re.findall(r"^\d+\. (.+)$", LECTURE.read_text(), re.MULTILINE)
    for number, titles in SLIDES.items():
        for title in titles:
            assert any(line.startswith(title) for line in listed), f"notebook {number}: {title!r} is no slide title"


def test_page_lines_sees_code_through_syntax_highlighting():
    page = '<pre><span class="n">loss</span> <span class="o">=</span> <span class="n">x</span><span class="o">.</span>'
    page += 'sum<span class="p">()</span>\n<span class="k">return</span> &lt;y&gt;</pre><p>text</p>'
    assert page_lines(page) == {"loss = x.sum()", "return <y>", "text"}


def test_stage_says_how_to_get_the_scripts_when_npm_did_not_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm ci"):
        stage(REPO / "notebooks", tmp_path / "src", node_modules=tmp_path / "none")


def test_a_view_the_book_cannot_draw_stands_in_with_what_its_outputs_showed():
    import nbformat

    from course_utils.instructor.site import _prune_widgets

    image = {
        "output_type": "display_data",
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
        "metadata": {},
    }
    state = {
        "box": {"model_module": "@jupyter-widgets/controls", "model_name": "VBoxModel",
                "state": {"children": ["IPY_MODEL_canvas", "IPY_MODEL_out"]}},
        "canvas": {"model_module": "ipycanvas", "model_name": "CanvasModel", "state": {}},
        "out": {"model_module": "@jupyter-widgets/output", "model_name": "OutputModel", "state": {"outputs": [image]}},
        "slider": {"model_module": "@jupyter-widgets/controls", "model_name": "IntSliderModel", "state": {}},
    }  # fmt: skip
    nb = nbformat.v4.new_notebook(metadata={"widgets": {WIDGET_STATE: {"state": state}}})
    for model in ("box", "slider"):
        view = {"version_major": 2, "version_minor": 0, "model_id": model}
        nb.cells.append(
            nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", {WIDGET_VIEW: view})])
        )
    _prune_widgets(nb)
    pad, slider = nb.cells[0].outputs, nb.cells[1].outputs
    assert "runs in JupyterLab" in pad[0]["data"]["text/html"] and pad[1]["data"]["image/png"] == "iVBORw0KGgo="
    assert slider[0]["data"][WIDGET_VIEW]["model_id"] == "slider"
    assert "only JupyterLab" in slider[1]["data"]["text/html"], "a saved explorer must say it cannot redraw"
    assert set(nb.metadata.widgets[WIDGET_STATE]["state"]) == {"slider"}


def test_assert_only_cells_collapsed_in_the_lab_are_collapsed_in_the_book():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · Title\n\nText."), nbformat.v4.new_code_cell("x = 1")]
    nb.cells.append(nbformat.v4.new_code_cell("assert x == 1", metadata={"jupyter": {"source_hidden": True}}))
    page = book_notebook(nb, "99_title.ipynb")
    assert [c.source for c in page.cells[:3]] == ["# 99 · Title", page.cells[1].source, "Text."]
    assert "make lab" in page.cells[1].source
    assert page.cells[-1].metadata["tags"] == ["hide-input"] and "tags" not in page.cells[-2].metadata
