"""Every course figure shown with its description, in JupyterLab and in the book alike (notebook 00 on).

JupyterLab has no standard for alt text on an ``image/png`` output, and myst-nb takes alt text only from
cell metadata, so ``show(fig, takeaway)`` displays the figure as an HTML ``<img>`` whose ``alt`` carries
the description: both render that output as it is. The description is the figure's own (a course helper
such as ``viz.draw_mlp`` sets it with ``set_description``, computed from the numbers drawn) or, failing
that, one read off the axes (titles, axis labels and ranges, the curves' first and last values), then the
cell's takeaway: what to see. The output's text/plain is the same description, and its metadata records
whether the course style was in force and what in the figure breaks it (tests read both).
"""

from __future__ import annotations

import base64
import html
import io
import re

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.style import style_in_force, style_problems

__all__ = ["set_description", "describe", "alt_text", "figure_html", "show", "is_real_description", "META_KEY"]

META_KEY = "course_figure"  # the output metadata key show() writes
_FILE_NAME = re.compile(r"^\S*\.(png|jpe?g|svg|gif)$|^_images/|^(image|figure|plot|img)\s*\d*$", re.I)
MIN_WORDS = 8


def set_description(fig, text: str):
    """Attach ``text`` (what the figure shows, from the numbers drawn) to ``fig``; returns ``fig``."""
    fig.course_description = str(text).strip()
    return fig


def _n(value) -> str:
    return f"{float(value):.3g}"


def _describe_axes(ax) -> str:
    bar = getattr(ax, "_colorbar", None)
    if bar is not None:  # a colour bar: its scale, not its drawing coordinates
        return f"colour bar {bar.ax.get_ylabel() or bar.ax.get_xlabel() or ''} from {_n(bar.vmin)} to {_n(bar.vmax)}"
    parts = []
    title = ax.get_title() or ax.get_title("left")
    images = [im for im in ax.get_images() if im.get_array() is not None]
    lines = [line for line in ax.get_lines() if len(np.atleast_1d(line.get_xdata())) > 1]
    if images:
        shape = np.shape(images[0].get_array())
        kind = "colour image" if len(shape) == 3 else f"map in {images[0].get_cmap().name}"
        data = np.asarray(images[0].get_array(), dtype=float)
        values = "" if len(shape) == 3 else f", values {_n(np.nanmin(data))} to {_n(np.nanmax(data))}"
        parts.append(f"a {shape[0]}×{shape[1]} {kind}{values}")
    if lines:
        curves = []
        for line in lines[:6]:
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            label = line.get_label()
            name = label if not label.startswith("_") else "a curve"
            if np.ptp(x) == 0 or np.ptp(y) == 0:  # a marker line (axvline, axhline): where it is
                kind, where = ("vertical", f"x = {_n(x[0])}") if np.ptp(x) == 0 else ("horizontal", f"y = {_n(y[0])}")
                curves.append(f"{'' if name == 'a curve' else name + ', '}a {kind} line at {where}")
            else:
                curves.append(f"{name} from {_n(y[0])} at {_n(x[0])} to {_n(y[-1])} at {_n(x[-1])}")
        more = f" and {len(lines) - 6} more" if len(lines) > 6 else ""
        parts.append(f"{len(lines)} line{'s' * (len(lines) > 1)}: " + "; ".join(curves) + more)
    if ax.axison and (lines or ax.patches or ax.collections) and not images:
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        xlabel, ylabel = ax.get_xlabel() or "x", ax.get_ylabel() or "y"
        log = " (log scale)" if ax.get_yscale() == "log" else ""
        parts.append(f"{xlabel} from {_n(x0)} to {_n(x1)}, {ylabel}{log} from {_n(min(y0, y1))} to {_n(max(y0, y1))}")
    text = ", ".join(parts)
    return f"“{title}”: {text}" if title else text


def describe(fig) -> str:
    """What ``fig`` shows: its own description if a helper set one, else one read off its axes."""
    own = getattr(fig, "course_description", "")
    if own:
        return own
    described = [d for d in (_describe_axes(ax) for ax in fig.axes if ax.get_visible()) if d]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    head = f"Figure “{suptitle}”" if suptitle else "Figure"
    if len(described) > 4:  # a grid: say how many panels, then the first few
        return f"{head}, {len(described)} panels; the first four: " + "; ".join(described[:4])
    return f"{head}: " + "; ".join(described) if described else head


def alt_text(fig, takeaway: str) -> str:
    """The alt text: the description, then the takeaway (what to see)."""
    if not isinstance(takeaway, str) or len(takeaway.split()) < 3:
        raise ValueError(f"takeaway must say in a sentence what to see in the figure, got {takeaway!r}")
    description = describe(fig).rstrip(". ")
    return " ".join(f"{description}. {takeaway.strip()}".split())  # one line: no line breaks from titles


def figure_html(fig, alt: str) -> str:
    """``<img>`` of ``fig`` as a PNG data URL with ``alt``, at the figure's size in CSS pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" style="max-width: 100%"/>'


def is_real_description(alt) -> bool:
    """Not empty, not a file name, at least MIN_WORDS words: what the tests ask of every output figure."""
    return isinstance(alt, str) and not _FILE_NAME.search(alt.strip()) and len(alt.split()) >= MIN_WORDS


def show(fig, takeaway: str) -> None:
    """Display ``fig`` with its alt text (description + ``takeaway``) and close it.

    Use it instead of ``plt.show()``: every figure the course shows goes through here. It returns None, so
    that a cell ending with it shows the figure once (``alt_text`` gives the text).
    """
    alt = alt_text(fig, takeaway)
    metadata = {META_KEY: {"alt": alt, "style": style_in_force(), "problems": style_problems(fig)}}
    display({"text/html": figure_html(fig, alt), "text/plain": f"Figure: {alt}"}, raw=True, metadata=metadata)
    plt.close(fig)
