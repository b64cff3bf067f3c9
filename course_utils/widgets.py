"""Interactive explorers (ipywidgets) used in the notebooks.

Each explorer is a thin layer over a plain function that is tested on its
own: the widget only reads sliders, calls that function and draws.
Introduced in notebook 01 (``mlp_explorer``).

Everyone can use them: each slider comes with a number box (``with_number_box``) that carries its
name (a labelled ``<input>``: ipywidgets gives the slider's own handle no accessible name), is
reached with Tab and moved with the arrow keys like the slider; every figure is shown with its
description (``course_utils.figures.show``) and each explorer also writes its result as text.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils.figures import describe, set_description, show
from course_utils.layers import conv_layer_cost
from course_utils.mlp import ACTIVATIONS, OUTPUTS, mlp_forward
from course_utils.viz import draw_conv_step, draw_mlp

__all__ = [
    "mlp_explorer",
    "slider",
    "with_number_box",
    "show_figure",
    "conv_stepper",
    "conv_explorer",
    "describe_conv_layer",
    "LECTURE_CASES",
]

# The lecture's four padding/stride cases on a 5×5 input with a 3×3 filter: (W, F, P, S).
LECTURE_CASES = {
    "P0 S1 (no padding)": (5, 3, 0, 1),
    "P1 S2 (padding, stride 2)": (5, 3, 1, 2),
    "P1 S1 (same size)": (5, 3, 1, 1),
    "P2 S1 (full padding)": (5, 3, 2, 1),
}


def slider(value: float, description: str, low: float = -3.0, high: float = 3.0, step: float = 0.1):
    """A float slider with the course's layout (continuous_update off: redraws on release)."""
    return widgets.FloatSlider(
        value=float(value),
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".2f",
        layout=widgets.Layout(width="260px"),
        style={"description_width": "40px"},
    )


def with_number_box(control, width: str = "150px") -> widgets.HBox:
    """``control`` (a slider) after a number box (or, for a SelectionSlider, a menu) linked to it in the
    browser: the box takes the slider's description as its label, so it names the pair for a screen reader,
    and moves with the arrow keys. The slider keeps its name as a tooltip and shows no readout of its own."""
    name, layout = control.description, widgets.Layout(width=width)
    style = {"description_width": control.style.description_width or "initial"}
    if isinstance(control, widgets.SelectionSlider):
        twin = widgets.Dropdown(options=control.options, index=control.index, description=name, layout=layout)
        widgets.jslink((twin, "index"), (control, "index"))
    else:
        kind = widgets.BoundedIntText if isinstance(control, widgets.IntSlider) else widgets.BoundedFloatText
        twin = kind(value=control.value, min=control.min, max=control.max, step=control.step, description=name,
                    layout=layout, style=style, continuous_update=True)  # fmt: skip
        widgets.jslink((twin, "value"), (control, "value"))
        widgets.jslink((twin, "max"), (control, "max"))
    control.description, control.tooltip, control.readout = "", name, False
    control.layout.width = "140px"
    return widgets.HBox([twin, control])


def mlp_explorer(x, W, V, g: str = "relu", o: str = "identity") -> widgets.Widget:
    """Sliders for x (D,), W (H, D) and V (K, H), menus for g and o; the diagram and the output f update live.

    Returns the widget (display it, or make it the last expression of a cell).
    """
    x, W, V = np.asarray(x, float), np.asarray(W, float), np.atleast_2d(np.asarray(V, float))
    x_sliders = [slider(v, f"x{i + 1}") for i, v in enumerate(x)]
    # The lecture's w_ij joins input i to hidden unit j: it is W[j - 1, i - 1] (row j holds unit j's weights).
    w_sliders = [[slider(W[j, i], f"w{i + 1}{j + 1}") for i in range(W.shape[1])] for j in range(W.shape[0])]
    v_sliders = [[slider(V[k, j], f"v{j + 1}" if V.shape[0] == 1 else f"v{k + 1}{j + 1}") for j in range(V.shape[1])]
                 for k in range(V.shape[0])]  # fmt: skip
    menu_layout = widgets.Layout(width="200px")
    g_menu = widgets.Dropdown(options=sorted(ACTIVATIONS), value=g, description="g", layout=menu_layout)
    o_menu = widgets.Dropdown(options=sorted(OUTPUTS), value=o, description="o", layout=menu_layout)
    result = widgets.HTML()
    picture = widgets.Output()

    def redraw(*_):
        xv = np.array([s.value for s in x_sliders])
        Wv = np.array([[s.value for s in row] for row in w_sliders])
        Vv = np.array([[s.value for s in row] for row in v_sliders])
        Y, cache = mlp_forward(xv[None, :], {"W": Wv, "V": Vv}, g=g_menu.value, o=o_menu.value)
        result.value = "<b>f = " + ", ".join(f"{value:.4f}" for value in Y[0]) + "</b>"
        fig = draw_mlp(xv, Wv, Vv, cache["A"][0], cache["H"][0], cache["Z"][0], Y[0], g_menu.value, o_menu.value)
        show_figure(picture, fig, "Move a slider or type in its box: the numbers along the path to f change.")

    for control in [*x_sliders, *sum(w_sliders, []), *sum(v_sliders, []), g_menu, o_menu]:
        control.observe(redraw, names="value")
    redraw()
    rows = [with_number_box(s, "110px") for s in [*x_sliders, *sum(w_sliders, []), *sum(v_sliders, [])]]
    n_x, n_w = len(x_sliders), W.size
    columns = widgets.HBox(
        [
            widgets.VBox([widgets.HTML("<b>input x</b>"), *rows[:n_x]]),
            widgets.VBox([widgets.HTML("<b>weights W</b>"), *rows[n_x : n_x + n_w]]),
            widgets.VBox([widgets.HTML("<b>weights V</b>"), *rows[n_x + n_w :], g_menu, o_menu, result]),
        ]
    )
    return widgets.VBox([columns, picture])


def show_figure(output: widgets.Output, fig, takeaway: str) -> None:
    """Replace what ``output`` shows with the matplotlib figure ``fig`` and its alt text (then close it)."""
    with output:
        output.clear_output(wait=True)
        show(fig, takeaway)


def conv_stepper(cases: dict | None = None) -> widgets.Widget:
    """A menu of (W, F, P, S) cases and a step slider drawing ``viz.draw_conv_step`` (notebook 06)."""
    cases = dict(cases or LECTURE_CASES)
    menu = widgets.Dropdown(options=list(cases), description="case", layout=widgets.Layout(width="320px"))
    step = widgets.IntSlider(value=0, min=0, max=0, description="step", continuous_update=True)
    picture, text = widgets.Output(), widgets.HTML()

    def redraw(*_):
        W, F, P, S = cases[menu.value]
        fig = draw_conv_step(W, F, P, S, min(step.value, step.max))
        text.value = f"<p>{describe(fig)}.</p>"
        show_figure(picture, fig, "Each step moves the window by the stride S and writes one output cell.")

    def new_case(*_):
        W, F, P, S = cases[menu.value]
        out = conv_layer_cost(W, F, P, S, 1, 1)["out"]
        step.max = out * out - 1
        step.value = 0
        redraw()

    menu.observe(new_case, names="value")
    step.observe(redraw, names="value")
    new_case()
    return widgets.VBox([widgets.HBox([menu, with_number_box(step, "120px")]), text, picture])


def describe_conv_layer(W: int, F: int, P: int, S: int, C: int, K: int) -> str:
    """The explorer's text: output size, parameters and multiply-adds, or why the combination is invalid."""
    try:
        cost = conv_layer_cost(W, F, P, S, C, K)
    except ValueError as err:
        return f"Invalid: {err}."
    out = cost["out"]
    return (
        f"output {K}×{out}×{out} since W_out = ({W} − {F} + 2·{P})/{S} + 1 = {out};  "
        f"parameters K·(F·F·C + 1) = {K}·({F}·{F}·{C} + 1) = {cost['params']:,};  "
        f"multiply-adds per image K·W_out²·F·F·C = {cost['mult_adds']:,}"
    )


def conv_explorer(W: int = 32, F: int = 5, P: int = 0, S: int = 1, C: int = 3, K: int = 6) -> widgets.Widget:
    """Sliders for W, F, P, S, C and K: the input and output drawn to scale, sizes and costs (notebook 06)."""

    def int_slider(value, name, low, high):
        return widgets.IntSlider(value=value, min=low, max=high, description=name, continuous_update=False,
                                 layout=widgets.Layout(width="300px"))  # fmt: skip

    sliders = {
        "W": int_slider(W, "W (input)", 1, 64),
        "F": int_slider(F, "F (filter)", 1, 11),
        "P": int_slider(P, "P (padding)", 0, 5),
        "S": int_slider(S, "S (stride)", 1, 4),
        "C": int_slider(C, "C (channels)", 1, 16),
        "K": int_slider(K, "K (filters)", 1, 64),
    }
    for control in sliders.values():
        control.style = {"description_width": "90px"}
    rows = [with_number_box(control, "160px") for control in sliders.values()]
    text = widgets.HTML()
    picture = widgets.Output()

    def redraw(*_):
        v = {name: control.value for name, control in sliders.items()}
        text.value = "<b>" + describe_conv_layer(**v) + "</b>"
        fig, ax = plt.subplots(figsize=(6, 3.2))
        padded = v["W"] + 2 * v["P"]
        ax.add_patch(plt.Rectangle((0, 0), padded, padded, facecolor="0.85", edgecolor="0.5"))
        ax.add_patch(plt.Rectangle((v["P"], v["P"]), v["W"], v["W"], facecolor="white", edgecolor="black"))
        ax.add_patch(plt.Rectangle((0, padded - v["F"]), v["F"], v["F"], facecolor="#6fa8dc", alpha=0.8))
        # shapes written K×H×W as in the notebooks; input label below its box, output label above its box
        ax.text(padded / 2, -2, f"input {v['C']}×{v['W']}×{v['W']} (+ padding)", ha="center", va="top", fontsize=8)
        try:
            out = conv_layer_cost(**v)["out"]
            ax.add_patch(plt.Rectangle((padded + 8, 0), out, out, facecolor="#cfe2f3", edgecolor="#0b5394"))
            ax.text(padded + 8 + out / 2, out + 2, f"output {v['K']}×{out}×{out}", ha="center", va="bottom", fontsize=8)
        except ValueError:
            ax.text(padded + 8, padded / 2, "no valid output", color="black", fontsize=10)
        ax.set_xlim(-1, 2 * 74 + 10)
        ax.set_ylim(-8, 84)
        ax.set_aspect("equal")
        ax.axis("off")
        set_description(fig, f"Input and output drawn to scale: {describe_conv_layer(**v)}")
        show_figure(picture, fig, "Larger F or S shrinks the output; P adds a border of zeros.")

    for control in sliders.values():
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([widgets.VBox(rows), text]), picture])
