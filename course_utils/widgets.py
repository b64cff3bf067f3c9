"""Interactive explorers (ipywidgets) used in the notebooks.

Each explorer is a thin layer over a plain function that is tested on its
own: the widget only reads sliders, calls that function and draws.
Introduced in notebook 01 (``mlp_explorer``).
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.mlp import ACTIVATIONS, OUTPUTS, mlp_forward
from course_utils.viz import draw_mlp

__all__ = ["mlp_explorer", "slider"]


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


def mlp_explorer(x, W, V, g: str = "relu", o: str = "sigmoid") -> widgets.Widget:
    """Sliders for x (D,), W (H, D) and V (K, H), menus for g and o; the diagram and y update live.

    Returns the widget (display it, or make it the last expression of a cell).
    """
    x, W, V = np.asarray(x, float), np.asarray(W, float), np.atleast_2d(np.asarray(V, float))
    x_sliders = [slider(v, f"x{i + 1}") for i, v in enumerate(x)]
    w_sliders = [[slider(W[j, i], f"w{j + 1}{i + 1}") for i in range(W.shape[1])] for j in range(W.shape[0])]
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
        result.value = "<b>y = " + ", ".join(f"{value:.4f}" for value in Y[0]) + "</b>"
        with picture:
            picture.clear_output(wait=True)
            fig = draw_mlp(xv, Wv, Vv, cache["A"][0], cache["H"][0], cache["Z"][0], Y[0], g_menu.value, o_menu.value)
            display(fig)
            plt.close(fig)

    for control in [*x_sliders, *sum(w_sliders, []), *sum(v_sliders, []), g_menu, o_menu]:
        control.observe(redraw, names="value")
    redraw()
    columns = widgets.HBox(
        [
            widgets.VBox([widgets.HTML("<b>input x</b>"), *x_sliders]),
            widgets.VBox([widgets.HTML("<b>weights W</b>"), *sum(w_sliders, [])]),
            widgets.VBox([widgets.HTML("<b>weights V</b>"), *sum(v_sliders, []), g_menu, o_menu, result]),
        ]
    )
    return widgets.VBox([columns, picture])
