"""The course's figure style: colours everyone can tell apart, and never colour alone (notebook 00 on).

Categorical colours are Okabe and Ito's colour-blind-safe palette, each paired with its own line style,
so two curves differ by dash pattern as well as hue (and read in greyscale). Maps: viridis for
magnitudes, ``DIVERGING`` (red-blue, CVD-safe) for signed values such as weights, grey for images.
``use_course_style()`` puts it in force (importing ``course_utils.viz`` does); ``style_problems(fig)``
lists what in a drawn figure breaks it, which ``course_utils.figures.show`` records with every figure.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.colors import to_hex

__all__ = [
    "OKABE_ITO",
    "CATEGORICAL",
    "LINESTYLES",
    "POSITIVE",
    "NEGATIVE",
    "SEQUENTIAL",
    "DIVERGING",
    "APPROVED_MAPS",
    "course_cycle",
    "use_course_style",
    "style_in_force",
    "style_problems",
]

OKABE_ITO = {
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "bluish green": "#009e73",
    "orange": "#e69f00",
    "reddish purple": "#cc79a7",
    "sky blue": "#56b4e9",
    "black": "#000000",
    "yellow": "#f0e442",  # too light for lines on white: fills only
}
_ORDER = ("blue", "vermillion", "bluish green", "orange", "reddish purple", "sky blue", "black")
CATEGORICAL = [OKABE_ITO[name] for name in _ORDER]
# One dash pattern per colour: solid, dashed, dash-dot, dotted, then three more distinct patterns.
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3))]
POSITIVE, NEGATIVE = OKABE_ITO["blue"], OKABE_ITO["vermillion"]  # signed quantities: blue ≥ 0, vermillion < 0
SEQUENTIAL, DIVERGING = "viridis", "RdBu"  # RdBu: negative red, positive blue, as POSITIVE/NEGATIVE
# Maps ordered by lightness a figure may use (perceptually uniform, single-hue, grey for pictures, two
# CVD-safe diverging ones); anything else (jet, rainbow, hue-only) is a problem.
APPROVED_MAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "gray", "gray_r", "Greys", "binary"}
APPROVED_MAPS |= {f"{hue}{end}" for hue in ("Reds", "Blues", "Greens", "Oranges", "Purples") for end in ("", "_r")}
APPROVED_MAPS |= {"RdBu", "RdBu_r", "PuOr", "PuOr_r"}
_GREYS_OK = 0.02  # a colour whose r, g, b differ by less than this is a grey: always allowed


def course_cycle():
    """The property cycle: CATEGORICAL colours with LINESTYLES, one style per colour."""
    return cycler(color=CATEGORICAL) + cycler(linestyle=LINESTYLES)


def use_course_style() -> None:
    """Put the course style in force in this kernel (matplotlib's rcParams)."""
    mpl.rcParams["axes.prop_cycle"] = course_cycle()
    mpl.rcParams["image.cmap"] = SEQUENTIAL
    mpl.rcParams["lines.linewidth"] = 1.8


def style_in_force() -> bool:
    """Whether matplotlib draws with the course's cycle and default map right now."""
    return mpl.rcParams["axes.prop_cycle"] == course_cycle() and mpl.rcParams["image.cmap"] == SEQUENTIAL


def _allowed_colour(colour) -> bool:
    rgba = mpl.colors.to_rgba(colour)
    return rgba[3] == 0 or np.ptp(rgba[:3]) < _GREYS_OK or to_hex(rgba) in OKABE_ITO.values()


def style_problems(fig) -> list[str]:
    """What in ``fig`` breaks the style: a map outside APPROVED_MAPS on a one-channel image, a line in a
    colour outside the palette (greys allowed), or two labelled lines of one axes told apart by colour only."""
    problems = []
    for index, ax in enumerate(fig.axes):
        for image in ax.get_images():
            data = image.get_array()
            if data is not None and np.ndim(data) == 2 and image.get_cmap().name not in APPROVED_MAPS:
                problems.append(f"axes {index}: colour map {image.get_cmap().name!r} is not one of the course's")
        looks = {}
        for line in ax.get_lines():
            if not _allowed_colour(line.get_color()):
                problems.append(f"axes {index}: line {line.get_label()!r} in {line.get_color()!r}, not the palette")
            if line.get_label().startswith("_"):
                continue
            look = (str(line._unscaled_dash_pattern), str(line.get_marker()))  # dash pattern and marker
            other = looks.get(look)
            if other is not None and to_hex(other.get_color()) != to_hex(line.get_color()):
                problems.append(
                    f"axes {index}: lines {other.get_label()!r} and {line.get_label()!r} differ by colour only"
                )
            looks.setdefault(look, line)
    return problems
