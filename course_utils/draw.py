"""Draw a digit with the mouse and watch a trained LeNet read it.

Introduced in notebook 08 (LeNet). The pad is an ipycanvas ``Canvas``; every stroke is
kept in Python as a list of points, so the same code path runs with a mouse in
JupyterLab and with method calls in a test:

    pad = DigitPad(model)       # shows a canvas, a Clear button, the probabilities, the feature maps
    pad.start(x, y); pad.move(x, y); ...; pad.end()     # what the mouse handlers call

A drawing is turned into an MNIST-like digit the way MNIST's digits were made: the ink's
bounding box scaled (keeping its aspect ratio) to fit a 20×20 box, placed in a 28×28
field so that its centre of mass sits at the centre.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from ipycanvas import Canvas
from PIL import Image

from course_utils.data import MNIST_MEAN, MNIST_STD
from course_utils.figures import set_description
from course_utils.style import OKABE_ITO
from course_utils.widgets import show_figure

__all__ = ["CANVAS_SIZE", "PEN_WIDTH", "render_strokes", "mnist_preprocess", "read_digit", "DigitPad"]

CANVAS_SIZE = 280  # on screen: 10 canvas pixels per MNIST pixel
PEN_WIDTH = 22  # canvas pixels; about the stroke width of an MNIST digit after scaling

Point = tuple[float, float]


def render_strokes(strokes: list[list[Point]], size: int = CANVAS_SIZE, width: float = PEN_WIDTH) -> np.ndarray:
    """Strokes (lists of (x, y) canvas points) → ink image (size, size), float32 in [0, 1].

    Each stroke is drawn as a round pen of diameter ``width`` moved along its segments
    (a single point is a dot). Computed at half resolution, then enlarged.
    """
    half = size // 2
    rows, cols = np.mgrid[0:half, 0:half].astype(np.float32) + 0.5
    image = np.zeros((half, half), dtype=np.float32)
    radius = width / 4  # in half-resolution pixels
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float32).reshape(-1, 2) / 2
        if len(points) == 0:
            continue
        segments = zip(points[:-1], points[1:], strict=True) if len(points) > 1 else [(points[0], points[0])]
        for (x0, y0), (x1, y1) in segments:
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            # distance of every pixel centre to the segment: project, clamp, measure
            t = np.zeros_like(rows) if length2 == 0 else np.clip(((cols - x0) * dx + (rows - y0) * dy) / length2, 0, 1)
            distance = np.hypot(cols - (x0 + t * dx), rows - (y0 + t * dy))
            np.maximum(image, np.clip(radius + 0.5 - distance, 0, 1), out=image)  # anti-aliased edge
    return np.kron(image, np.ones((2, 2), dtype=np.float32))[:size, :size]


def mnist_preprocess(ink: np.ndarray) -> np.ndarray:
    """An ink image (H, W) in [0, 1] (1 = ink) → a 28×28 MNIST-style digit, float32 in [0, 1].

    As in MNIST: crop to the ink's bounding box, scale it to fit a 20×20 box keeping the
    aspect ratio (anti-aliased), then place it in 28×28 with its centre of mass at the centre.
    Raises ValueError for an image with no ink.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2:
        raise ValueError(f"ink must be one grey image (H, W), got shape {ink.shape}")
    if not np.isfinite(ink).all() or ink.max(initial=0) <= 0.05:
        raise ValueError("the drawing is empty: there is no ink to read")
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    cols = np.flatnonzero(ink.max(axis=0) > 0.05)
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = box.shape
    scale = 20.0 / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    small = np.asarray(Image.fromarray(box, mode="F").resize((new_w, new_h), Image.Resampling.BOX), dtype=np.float32)
    small = np.clip(small, 0, 1)
    # centre of mass of the small image, then shift it to (14, 14), where MNIST puts it (pixel indices 0..27)
    total = small.sum()
    com_r = (small.sum(axis=1) * np.arange(new_h)).sum() / total
    com_c = (small.sum(axis=0) * np.arange(new_w)).sum() / total
    top = int(np.clip(round(14.0 - com_r), 0, 28 - new_h))
    left = int(np.clip(round(14.0 - com_c), 0, 28 - new_w))
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[top : top + new_h, left : left + new_w] = small
    return digit


def read_digit(model: torch.nn.Module, digit: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A LeNet's class probabilities (10,) for one 28×28 digit in [0, 1], and its conv feature maps
    ("conv1": (6, 28, 28) and "conv2": (16, 10, 10), after ReLU)."""
    digit = np.asarray(digit, dtype=np.float32)
    if digit.shape != (28, 28):
        raise ValueError(f"digit must be (28, 28), got {digit.shape}")
    device = next(model.parameters()).device
    x = ((torch.from_numpy(digit) - MNIST_MEAN) / MNIST_STD)[None, None].to(device)
    model.eval()
    features = model.features(x)
    probabilities = features["fc3"].softmax(dim=1)[0].cpu().numpy()
    maps = {"conv1": features["relu1"][0].cpu().numpy(), "conv2": features["relu2"][0].cpu().numpy()}
    return probabilities, maps


class DigitPad:
    """A drawing pad wired to a trained LeNet (see the module docstring); display it as the last line of a cell.

    Attributes after each stroke: ``digit`` (the 28×28 input the model saw), ``probabilities``
    (10,), ``prediction`` (int); all None while the pad is empty.
    """

    def __init__(self, model: torch.nn.Module):
        if not hasattr(model, "features"):
            raise TypeError(f"DigitPad needs a course_utils.models.LeNet, got {type(model).__name__}")
        self.model = model
        self.strokes: list[list[Point]] = []
        self.drawing = False
        self.digit = self.probabilities = self.prediction = None
        self.canvas = Canvas(width=CANVAS_SIZE, height=CANVAS_SIZE, layout=widgets.Layout(border="1px solid #888"))
        self.canvas.line_width = PEN_WIDTH
        self.canvas.line_cap = "round"
        self.canvas.line_join = "round"
        self.canvas.on_mouse_down(self.start)
        self.canvas.on_mouse_move(self.move)
        self.canvas.on_mouse_up(self.end)
        self.canvas.on_mouse_out(self.end)
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.clear_button.on_click(lambda _button: self.clear())
        self.answer = widgets.HTML()
        self.chart = widgets.Output()
        self.maps = widgets.Output()
        self.widget = widgets.VBox(
            [
                widgets.HBox([widgets.VBox([self.canvas, widgets.HBox([self.clear_button, self.answer])]), self.chart]),
                self.maps,
            ]
        )
        self.clear()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def start(self, x: float, y: float) -> None:
        """Pen down at canvas point (x, y)."""
        self.drawing = True
        self.strokes.append([(x, y)])
        self.canvas.fill_style = "white"
        self.canvas.fill_circle(x, y, PEN_WIDTH / 2)

    def move(self, x: float, y: float) -> None:
        """The pen moved to (x, y); draws only while it is down."""
        if not self.drawing:
            return
        x0, y0 = self.strokes[-1][-1]
        self.strokes[-1].append((x, y))
        self.canvas.stroke_style = "white"
        self.canvas.stroke_line(x0, y0, x, y)

    def end(self, x: float | None = None, y: float | None = None) -> None:
        """Pen up: the drawing changed, so the model reads it again."""
        if not self.drawing:
            return
        self.drawing = False
        self.update()

    def clear(self) -> None:
        """Wipe the pad and the model's answer."""
        self.strokes, self.drawing = [], False
        self.digit = self.probabilities = self.prediction = None
        self.canvas.fill_style = "black"
        self.canvas.fill_rect(0, 0, CANVAS_SIZE, CANVAS_SIZE)
        self.answer.value = "<b>Draw a digit</b> with the mouse."
        for output in (self.chart, self.maps):
            output.clear_output()

    def update(self) -> None:
        """Preprocess the drawing, run the model, redraw the probabilities and feature maps."""
        try:
            self.digit = mnist_preprocess(render_strokes(self.strokes))
        except ValueError:
            return  # nothing drawn yet
        self.probabilities, maps = read_digit(self.model, self.digit)
        self.prediction = int(self.probabilities.argmax())
        self.answer.value = f"LeNet reads: <b>{self.prediction}</b> ({self.probabilities[self.prediction]:.0%})"
        self._draw_chart()
        self._draw_maps(maps)

    def _draw_chart(self) -> None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(5.6, 2.6), gridspec_kw={"width_ratios": [1, 1.6]})
        left.imshow(self.digit, cmap="gray")
        left.set_title("what LeNet sees (28×28)", fontsize=9)
        left.axis("off")
        colors = [OKABE_ITO["vermillion"] if k == self.prediction else OKABE_ITO["blue"] for k in range(10)]
        hatches = ["//" if k == self.prediction else "" for k in range(10)]  # the answer: hatched, not hue alone
        right.bar(range(10), self.probabilities, color=colors, hatch=hatches)
        right.set_xticks(range(10))
        right.set_ylim(0, 1)
        right.set_title("probabilities", fontsize=9)
        fig.tight_layout()
        others = ", ".join(f"{k}: {p:.0%}" for k, p in enumerate(self.probabilities) if k != self.prediction)
        best = f"{self.prediction} (hatched) {self.probabilities[self.prediction]:.0%}"
        set_description(
            fig, f"The drawn digit as LeNet sees it (28×28), and LeNet's ten probabilities: {best}; {others}"
        )
        show_figure(self.chart, fig, f"LeNet reads {self.prediction}.")

    def _draw_maps(self, maps: dict[str, np.ndarray]) -> None:
        fig, axes = plt.subplots(2, 16, figsize=(12, 1.8))
        for ax in axes.flat:
            ax.axis("off")
        for k, image in enumerate(maps["conv1"]):
            axes[0, k].imshow(image, cmap="magma")
        for k, image in enumerate(maps["conv2"]):
            axes[1, k].imshow(image, cmap="magma")
        axes[0, 0].set_title("conv1 maps (after ReLU)", fontsize=8, loc="left")
        axes[1, 0].set_title("conv2 maps", fontsize=8, loc="left")
        show_figure(self.maps, fig, "Where the strokes of the drawing are, the maps light up.")
