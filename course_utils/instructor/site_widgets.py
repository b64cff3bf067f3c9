"""The book's copy of the explorers' saved views (used by ``course_utils.instructor.site``).

Keep the widget views the bundled html-manager can draw, with just the state they need; stand in for
the rest (the ipycanvas pad) with what it last showed. Under a view with controls, say that in the book
they cannot redraw what they drive, and give the view in words: its controls' values, the texts it
shows and its figures' descriptions (the alt text ``course_utils.figures.show`` recorded).
"""

from __future__ import annotations

import html
import json
import re

import nbformat

__all__ = ["BUILTIN_WIDGETS", "WIDGET_VIEW", "WIDGET_STATE", "CONTROL", "SAVED_VIEW", "IN_WORDS", "in_words"]

# Widget packages whose code the bundled html-manager carries; views needing any other are replaced.
BUILTIN_WIDGETS = ("@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Models a reader can move; the book's copy of such a view cannot recompute what they drive, and says so.
CONTROL = re.compile(r"^(?!.*Style).*(Slider|Dropdown|Button|Checkbox|Text|Select|Radio|Toggle)\w*Model$")
SAVED_VIEW = (
    '<p class="saved-view"><em>The saved view of the course\'s own run: in the book its controls move, '
    "but only JupyterLab (<code>make lab</code>) redraws what they drive.</em></p>"
)
# The saved view in words, for whoever cannot see it: its controls' values, then what it printed and drew.
IN_WORDS = '<div class="saved-view-text"><p><strong>The saved view in words.</strong></p><ul>{items}</ul></div>'


def _model_ids(value) -> set[str]:
    return set(re.findall(r"IPY_MODEL_(\w+)", json.dumps(value)))


def _closure(state: dict, roots: set[str]) -> set[str]:
    """The widget models ``roots`` need: themselves and every model their state refers to."""
    seen, todo = set(), list(roots)
    while todo:
        model = todo.pop()
        if model in seen or model not in state:
            continue
        seen.add(model)
        todo.extend(_model_ids(state[model].get("state", {})))
    return seen


def _in_order(state: dict, root: str) -> list[str]:
    """The models under ``root``, depth first in the order their state names them (the order they show)."""
    order, todo = [], [root]
    while todo:
        model = todo.pop(0)
        if model in order or model not in state:
            continue
        order.append(model)
        todo[:0] = re.findall(r"IPY_MODEL_(\w+)", json.dumps(state[model].get("state", {})))
    return order


def in_words(state: dict, root: str) -> str:
    """A text equivalent of a saved view: each control's name and value, the texts it shows, its figures' alt."""
    items = []
    for model in _in_order(state, root):
        kind, values = state[model]["model_name"], state[model].get("state", {})
        if CONTROL.search(kind) and ("value" in values or "index" in values) and values.get("description"):
            labels, index = values.get("_options_labels"), values.get("index")
            shown = labels[index] if labels and isinstance(index, int) else values.get("value")
            items.append(f"{values['description']}: {shown}")
        elif kind == "HTMLModel" and re.sub(r"<[^>]+>", "", values.get("value", "")).strip():
            items.append(html.unescape(re.sub(r"<[^>]+>", "", values["value"]).strip()))
        elif kind == "OutputModel":
            for output in values.get("outputs", []):
                alt = output.get("metadata", {}).get("course_figure", {}).get("alt")
                text = alt and f"Figure: {alt}" or output.get("text") or output.get("data", {}).get("text/plain", "")
                if isinstance(text, str) and text.strip() and not text.startswith("<Figure"):
                    items.append(text.strip())
    seen = list(dict.fromkeys(item for item in items if not item.startswith("<b>")))
    return IN_WORDS.format(items="".join(f"<li>{html.escape(item)}</li>" for item in seen)) if seen else ""


def _stand_in(state: dict, models: set[str]) -> list:
    """For a view the book cannot draw: a note, then what its Output widgets last showed (figures, text)."""
    shown = [o for m in sorted(models) if state[m]["model_name"] == "OutputModel" for o in state[m]["state"]["outputs"]]
    note = "This interactive widget runs in JupyterLab (<code>make lab</code>)" + (
        "; here is what it showed in the course's own run:" if shown else "; the book cannot show it."
    )
    plain = "(an interactive widget: it runs in JupyterLab, `make lab`)"
    return [nbformat.v4.new_output("display_data", {"text/html": f"<p><em>{note}</em></p>", "text/plain": plain})] + [
        nbformat.from_dict(json.loads(json.dumps(output))) for output in shown
    ]


def _prune_widgets(nb) -> None:
    """Keep the widget views the bundled manager can draw, with just the state they need; stand in for the rest.
    Under a view with controls, say that in the book they cannot redraw what they drive."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    kept = set()
    for cell in nb.cells:
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            models = _closure(state, {view["model_id"]})
            if view["model_id"] not in state or any(state[m]["model_module"] not in BUILTIN_WIDGETS for m in models):
                outputs.extend(_stand_in(state, models))
                continue
            kept |= models
            outputs.append(output)
            if any(CONTROL.search(state[m]["model_name"]) for m in models):
                words = in_words(state, view["model_id"])
                outputs.append(
                    nbformat.v4.new_output("display_data", {"text/html": SAVED_VIEW + words, "text/plain": ""})
                )
        if cell.cell_type == "code":
            cell.outputs = outputs
    if state:
        nb.metadata.widgets[WIDGET_STATE]["state"] = {m: v for m, v in state.items() if m in kept}
