"""Plots the notebooks share: network diagrams, loss curves, image grids.

Introduced in notebook 01 (``draw_mlp``); each function says which notebook uses it.
Every function returns the Figure it drew (tests inspect it) with its description, from the numbers
drawn, for ``show(fig, takeaway)``: how every cell displays a figure with its alt text. Importing this
module puts the course style in force.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from course_utils.figures import set_description, show
from course_utils.layers import conv_output_size
from course_utils.style import DIVERGING, NEGATIVE, POSITIVE, use_course_style

__all__ = [
    "show",
    "DIVERGING",
    "draw_mlp",
    "draw_graph",
    "plot_curves",
    "image_grid",
    "draw_conv_step",
    "feature_maps",
    "plot_confusion",
    "draw_architecture",
    "text_color_on",
    "annotate_cells",
]
use_course_style()


def _numbers(values) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in np.ravel(values)) + ")"


def _node(ax, xy, value, label, color="white"):
    ax.add_patch(plt.Circle(xy, 0.28, facecolor=color, edgecolor="black", lw=1.5, zorder=3))
    ax.text(xy[0], xy[1] + 0.04, f"{value:.3g}", ha="center", va="center", fontsize=11, zorder=4, weight="bold")
    ax.text(xy[0], xy[1] - 0.45, label, ha="center", va="top", fontsize=10, color="0.3")


def draw_mlp(x, W, V, hidden_pre, hidden, z, y, g_name: str = "g", o_name: str = "o"):
    """The lecture's network drawn with its numbers (notebook 01).

    Args:
        x: (D,) input. W: (H, D). V: (K, H).
        hidden_pre: (H,) W x. hidden: (H,) g(W x). z: (K,) V h. y: (K,) the output f = o(z).
    Edges are labelled with their weights, blue solid for positive and vermillion dashed for
    negative, thicker for larger magnitude.
    """
    x, hidden_pre, hidden, z, y = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (x, hidden_pre, hidden, z, y))
    W, V = np.atleast_2d(W), np.atleast_2d(V)
    layers = [x, hidden, y]
    xs = [0.0, 3.0, 6.0]
    positions = [[(xs[i], (len(layer) - 1) / 2 - j) for j in range(len(layer))] for i, layer in enumerate(layers)]
    fig, ax = plt.subplots(figsize=(7.5, 1.6 + 1.2 * max(map(len, layers))))
    for weights, src, dst in ((W, positions[0], positions[1]), (V, positions[1], positions[2])):
        biggest = max(np.max(np.abs(weights)), 1e-9)
        for j, end in enumerate(dst):
            for i, start in enumerate(src):
                w = weights[j, i]
                color, style = (POSITIVE, "-") if w >= 0 else (NEGATIVE, "--")
                ax.plot(*zip(start, end, strict=True), color=color, ls=style, lw=0.5 + 3 * abs(w) / biggest)
                # All labels of W sit near the inputs, where the edges have not crossed yet (they cross mid-way).
                t = 0.3 if weights is W else 0.5
                mid = (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
                # The lecture's names: w_ij joins input i to hidden unit j (stored in W[j, i]); v_j hidden j to f.
                if weights is W:
                    name = f"w_{{{i + 1}{j + 1}}}"
                else:
                    name = f"v_{{{i + 1}}}" if len(V) == 1 else f"v_{{{j + 1}{i + 1}}}"
                ax.text(*mid, f"${name}$ = {w:.2g}", fontsize=7.5, ha="center", va="center",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=2)  # fmt: skip
    for j, pos in enumerate(positions[0]):
        _node(ax, pos, x[j], f"$x_{j + 1}$", "#f2f2f2")
    for j, pos in enumerate(positions[1]):
        _node(ax, pos, hidden[j], f"$h_{j + 1} = {g_name}({hidden_pre[j]:.3g})$", "#dbe9f6")
    for j, pos in enumerate(positions[2]):
        _node(ax, pos, y[j], f"$f_{j + 1} = {o_name}({z[j]:.3g})$", "#fde0c5")
    for x_pos, title in zip(xs, ("input x", "hidden h = g(W x)", "output f = o(V h)"), strict=True):
        ax.text(x_pos, (max(map(len, layers)) - 1) / 2 + 0.7, title, ha="center", fontsize=11)
    ax.set_xlim(-0.8, 6.8)
    ax.set_ylim(-(max(map(len, layers)) - 1) / 2 - 1.0, (max(map(len, layers)) - 1) / 2 + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    negative = int((W < 0).sum() + (V < 0).sum())
    return set_description(fig, f"Network diagram, {len(x)} inputs, {len(hidden)} hidden units, {len(y)} "
        f"output{'s' * (len(y) > 1)}: input x = {_numbers(x)}; hidden pre-activations W x = {_numbers(hidden_pre)}, "
        f"after {g_name}: h = {_numbers(hidden)}; V h = {_numbers(z)}, output f = {o_name}(V h) = {_numbers(y)}. "
        f"Each edge is labelled with its weight, {W.size + V.size - negative} positive (blue, solid) and "
        f"{negative} negative (vermillion, dashed), thicker for larger magnitude")  # fmt: skip


def draw_graph(nodes: dict, edges: list, title: str = "", backward: bool = False):
    """A computational graph (notebook 03): forward values above each node, gradients below.

    Args:
        nodes: name -> (x, y, forward_text, backward_text); positions in data units.
        edges: (from, to, operation label) triples; arrows point forward.
        backward: also draw each edge's gradient flow, a red arrow from ``to`` back to ``from``.
    """
    fig, ax = plt.subplots(figsize=(11, 3.6))
    for start, end, label in edges:
        (x0, y0), (x1, y1) = nodes[start][:2], nodes[end][:2]
        ax.annotate("", xy=(x1 - 0.42, y1), xytext=(x0 + 0.42, y0),
                    arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 1.5})  # fmt: skip
        if backward:  # the gradient travels the same edge the other way, drawn just below it
            ax.annotate("", xy=(x0 + 0.42, y0 - 0.1), xytext=(x1 - 0.42, y1 - 0.1),
                        arrowprops={"arrowstyle": "->", "color": NEGATIVE, "lw": 1.2, "ls": "--"})  # fmt: skip
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, label, ha="center", fontsize=9, color="0.3")
    for name, (x, y, forward_text, backward_text) in nodes.items():
        ax.add_patch(plt.Rectangle((x - 0.4, y - 0.22), 0.8, 0.44, facecolor="#dbe9f6", edgecolor="black"))
        ax.text(x, y, name, ha="center", va="center", fontsize=12, weight="bold")
        ax.text(x, y + 0.32, forward_text, ha="center", va="bottom", fontsize=9, color=POSITIVE)
        ax.text(x, y - 0.32, backward_text, ha="center", va="top", fontsize=9, color=NEGATIVE)
    xs = [v[0] for v in nodes.values()]
    ys = [v[1] for v in nodes.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.9)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    said = "; ".join(f"{name}: forward {f or '-'}, gradient {b or '-'}" for name, (_, _, f, b) in nodes.items())
    flow = " Dashed vermillion arrows carry the gradients back along each edge." if backward else ""
    edges_said = ", ".join(f"{a} to {b}" + (f" by {label}" if label else "") for a, b, label in edges)
    return set_description(fig, f"Computational graph{f' “{title}”' if title else ''}, {len(nodes)} nodes, "
        f"edges {edges_said}. Values above each node (blue), gradients below (vermillion): {said}.{flow}")  # fmt: skip


def plot_curves(curves: dict, xlabel: str = "step", ylabel: str = "loss", title: str = "", logy: bool = False, ax=None):
    """Several named curves on one axis (notebooks 02, 04, 05): ``{"label": values, ...}``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def image_grid(images, titles=None, ncols: int = 8, size: float = 1.2, cmap: str = "gray"):
    """A grid of images (N, H, W) or (N, H, W, 3) with optional titles (notebooks 05, 08)."""
    images = [np.asarray(image) for image in images]
    nrows = -(-len(images) // ncols)
    # Room above every image for its title's lines (about 0.17 inch per line at fontsize 9).
    lines = max((str(title).count("\n") + 1 for title in titles), default=0) if titles is not None else 0
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.17 * lines + 0.1) * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images, strict=False)):
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    kind = "colour images" if images and images[0].ndim == 3 else "greyscale images"
    named = f", titled {', '.join(str(t).replace(chr(10), ' ') for t in titles[:12])}" if titles is not None else ""
    more = "…" if titles is not None and len(titles) > 12 else ""
    return set_description(fig, f"A grid of {len(images)} {kind} of {images[0].shape[0]}×{images[0].shape[1]} "
                                f"pixels in {nrows} row{'s' * (nrows > 1)}{named}{more}")  # fmt: skip


def _grid(ax, origin_x, size, cell_color, edge="0.6"):
    for r in range(size):
        for c in range(size):
            color = cell_color(r, c)
            ax.add_patch(plt.Rectangle((origin_x + c, -r - 1), 1, 1, facecolor=color, edgecolor=edge, lw=0.8))


def draw_conv_step(W: int, F: int, P: int, S: int, step: int, ax=None):
    """One step of a convolution on a W×W input (notebook 06): padding, filter window, output cell.

    Left: the input padded with P zeros on each side (padding grey, the window blue). Right: the
    output, W_out×W_out with W_out = (W - F + 2P)/S + 1; the cells written so far light blue, the
    one being written now dark blue. ``step`` counts output cells row by row, from 0.
    Raises ValueError for an invalid (W, F, P, S) or a step outside 0 .. W_out² - 1.
    """
    out = conv_output_size(W, F, P, S)
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step < out * out:
        raise ValueError(f"step must be an int from 0 to W_out² - 1 = {out * out - 1}, got {step!r}")
    i, j = divmod(int(step), out)
    top, left = i * S, j * S  # the window's corner in padded coordinates
    padded = W + 2 * P
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.8, 0.32 * (padded + out + 3) + 0.5), 0.32 * padded + 1.0))
    else:
        fig = ax.figure

    def input_color(r, c):
        inside = P <= r < P + W and P <= c < P + W
        in_window = top <= r < top + F and left <= c < left + F
        if in_window:
            return "#6fa8dc" if inside else "#9fb9cf"
        return "white" if inside else "0.85"

    def output_color(r, c):
        index = r * out + c
        return "#0b5394" if index == step else ("#cfe2f3" if index < step else "white")

    _grid(ax, 0, padded, input_color)
    _grid(ax, padded + 2, out, output_color)
    ax.add_patch(plt.Rectangle((left, -top - F), F, F, fill=False, edgecolor="#0b5394", lw=2.5))
    ax.annotate("", xy=(padded + 2 + j + 0.5, -i - 0.5), xytext=(left + F, -top - F / 2),
                arrowprops={"arrowstyle": "->", "color": "#0b5394", "lw": 1.2})  # fmt: skip
    ax.set_xlim(-0.5, padded + out + 2.5)
    ax.set_ylim(-padded - 0.5, 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        f"W={W}, F={F}, P={P}, S={S}:  W_out = ({W} − {F} + 2·{P})/{S} + 1 = {out}\n"
        f"step {step + 1} of {out * out}: output cell ({i}, {j})",
        fontsize=9,
    )
    return set_description(fig, f"Convolution step {step + 1} of {out * out}: a {W}×{W} input padded with {P} "
        f"zero{'s' * (P != 1)} per side ({padded}×{padded}, padding grey), the {F}×{F} filter window (outlined) "
        f"at rows {top}–{top + F - 1}, columns {left}–{left + F - 1} of the padded input, writing output cell "
        f"({i}, {j}) of the {out}×{out} output (dark), cells written before shaded; "
        f"W_out = ({W} − {F} + 2·{P})/{S} + 1 = {out}")  # fmt: skip


def feature_maps(maps, titles=None, ncols: int = 6, size: float = 1.6, cmap: str = "magma"):
    """Activation maps (K, H, W) side by side, each with its own colour scale (notebooks 06, 07, 10)."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"maps must be (K, H, W), got shape {maps.shape}")
    nrows = -(-len(maps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, image) in enumerate(zip(axes.flat, maps, strict=False)):
        ax.imshow(image, cmap=cmap)
        ax.set_title(titles[k] if titles is not None else f"map {k}", fontsize=9)
    fig.tight_layout()
    ranges = "; ".join(f"{titles[k] if titles is not None else f'map {k}'} {m.min():.3g} to {m.max():.3g}"
                       for k, m in enumerate(maps[:8]))  # fmt: skip
    return set_description(fig, f"{len(maps)} activation maps of {maps.shape[1]}×{maps.shape[2]} in {cmap} "
        f"(dark low, bright high), each on its own scale: {ranges}{'; …' if len(maps) > 8 else ''}")  # fmt: skip


def plot_confusion(matrix, ax=None, title: str = ""):
    """A confusion matrix (K, K) of counts (rows: true class, columns: predicted), counts written in (05, 08)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square (K, K), got shape {matrix.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.2))
    mistakes = matrix.copy()
    np.fill_diagonal(mistakes, 0)
    image = ax.imshow(mistakes, cmap="Reds")
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            if matrix[i, j]:
                color = "0.5" if i == j else text_color_on(image.to_rgba(mistakes[i, j]))
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"{int(mistakes.sum())} mistakes of {int(matrix.sum())} (colour: mistakes only)", fontsize=9)
    true, predicted = np.unravel_index(np.argmax(mistakes), mistakes.shape)
    set_description(ax.figure, f"Confusion matrix of {len(matrix)} classes (rows true, columns predicted), counts "
        f"written in each cell: {int(np.trace(matrix))} of {int(matrix.sum())} on the diagonal (right), "
        f"{int(mistakes.sum())} mistakes, shaded darker the more; the most common: true {true} read as {predicted}, "
        f"{int(mistakes[true, predicted])} times")  # fmt: skip
    return ax


def draw_architecture(summary, ax=None):
    """A CNN drawn from a ``course_utils.models.ModelSummary``: each conv/pool output as a stack of
    squares (side ∝ height, depth ∝ maps), each dense layer as a bar (height ∝ √units) (notebook 08)."""
    rows = [r for r in summary.rows if r.kind not in ("ReLU", "ScaledTanh", "Flatten", "ZeroPad2d", "Tanh")]
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.2))
    shapes = [("input", summary.input_shape)] + [(r.name, r.output_shape) for r in rows]
    x = 0.0
    for name, shape in shapes:
        if len(shape) == 3:
            maps, height = shape[0], shape[1]
            side = 0.6 + 2.4 * height / max(summary.input_shape[1], 1)
            layers = min(maps, 8)
            for i in range(layers):
                offset = 0.12 * i
                ax.add_patch(
                    plt.Rectangle((x + offset, -side / 2 + offset), side, side, facecolor="#cfe2f3", edgecolor="0.3")
                )
            width = side + 0.12 * layers
            label = "×".join(str(s) for s in shape)
        else:
            height = 0.4 + 0.11 * np.sqrt(shape[0])
            ax.add_patch(plt.Rectangle((x, -height / 2), 0.35, height, facecolor="#f9cb9c", edgecolor="0.3"))
            width, label = 0.35, str(shape[0])
        ax.text(x + width / 2, -2.1, f"{name}\n{label}", ha="center", va="top", fontsize=8)
        x += width + 0.7
    ax.set_xlim(-0.3, x)
    ax.set_ylim(-2.9, 2.2)
    ax.set_aspect("equal")
    ax.axis("off")
    chain = " → ".join(f"{name} {'×'.join(str(s) for s in shape)}" for name, shape in shapes)
    set_description(ax.figure, f"The network drawn layer by layer, left to right, each feature map stack sized "
                               f"by its height and depth, each dense layer a bar: {chain}")  # fmt: skip
    return ax


def text_color_on(rgba) -> str:
    """ "black" or "white", whichever reads better on a cell of colour rgba (relative luminance, sRGB)."""
    r, g, b = (((c / 12.92) if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4) for c in rgba[:3])
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 else "white"


def annotate_cells(ax, values, image, fmt: str = "{:g}", fontsize: int = 10):
    """Write values (H, W) on the cells of ``image`` (what ``ax.imshow(values, ...)`` returned),
    each in black or white by its cell's luminance (notebooks 07, 08)."""
    values = np.asarray(values)
    for (r, c), value in np.ndenumerate(values):
        color = text_color_on(image.to_rgba(value))
        ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=fontsize, color=color)
