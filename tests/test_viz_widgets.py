"""The functions behind the figures and explorers of notebooks 05-07 (widgets themselves are not run here)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.data import sample_photo  # noqa: E402
from course_utils.layers import conv_layer_cost, example_filters  # noqa: E402
from course_utils.viz import draw_conv_step, feature_maps  # noqa: E402
from course_utils.widgets import LECTURE_CASES, conv_explorer, conv_stepper, describe_conv_layer  # noqa: E402


def test_draw_conv_step_titles_and_window():
    fig = draw_conv_step(5, 3, 1, 2, step=5)  # P1 S2: output (1, 2), window at padded (2, 4)
    title = fig.axes[0].get_title()
    assert "= 3" in title and "step 6 of 9" in title and "output cell (1, 2)" in title
    thick = [p for p in fig.axes[0].patches if p.get_linewidth() == 2.5]
    assert len(thick) == 1 and thick[0].get_xy() == (4, -2 - 3)
    plt.close(fig)


@pytest.mark.parametrize(
    ("args", "message"),
    [((5, 3, 0, 1, 9), "from 0 to W_out² - 1 = 8, got 9"), ((5, 3, 0, 3, 0), "not divisible by S = 3")],
)
def test_draw_conv_step_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        draw_conv_step(*args)


def test_lecture_cases_give_the_lecture_sizes():
    sizes = [conv_layer_cost(W, F, P, S, 1, 1)["out"] for W, F, P, S in LECTURE_CASES.values()]
    assert sizes == [3, 3, 5, 7]


def test_describe_conv_layer():
    assert "6×28×28" in describe_conv_layer(32, 5, 0, 1, 3, 6) and "456" in describe_conv_layer(32, 5, 0, 1, 3, 6)
    assert describe_conv_layer(32, 5, 0, 2, 3, 6).startswith("Invalid: (W - F + 2P) = (32 - 5 + 2·0) = 27")
    assert describe_conv_layer(3, 5, 0, 1, 3, 6).startswith("Invalid: the filter (F = 5) is larger")


def test_explorers_build():
    stepper = conv_stepper()
    menu, (box, step) = stepper.children[0].children[0], stepper.children[0].children[1].children
    assert box.description == "step" and step.tooltip == "step"  # the number box names the slider
    assert step.max == 8
    menu.value = "P2 S1 (full padding)"
    assert step.max == 48 and step.value == 0
    explorer = conv_explorer()
    sliders = [row.children[1] for row in explorer.children[0].children[0].children]
    text = explorer.children[0].children[1]
    assert "456" in text.value
    sliders[3].value = 2  # stride 2 on 32 with F=5: invalid
    assert text.value.startswith("<b>Invalid")
    plt.close("all")


def test_feature_maps_and_filters():
    names, w, b = example_filters()
    assert len(names) == 6 and w.shape == (6, 3, 5, 5) and w.dtype == np.float32 and b.shape == (6,)
    assert abs(w[2].sum() - 1) < 1e-6 and abs(w[0].sum()) < 1e-6  # blur keeps brightness; edges sum to 0
    fig = feature_maps(np.random.default_rng(0).random((6, 4, 4)), titles=names)
    assert [ax.get_title() for ax in fig.axes[:6]] == list(names)
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(K, H, W\)"):
        feature_maps(np.zeros((4, 4)))


def test_sample_photo():
    photo = sample_photo(32)
    assert photo.shape == (32, 32, 3) and photo.dtype == np.uint8 and 20 < photo.mean() < 235
    with pytest.raises(ValueError, match="positive int"):
        sample_photo(0)


def test_text_on_cells_takes_its_colour_from_the_cells_luminance():
    import matplotlib.pyplot as plt

    from course_utils.viz import annotate_cells, text_color_on

    assert text_color_on((0, 0, 0, 1)) == "white" and text_color_on((1, 1, 1, 1)) == "black"
    assert text_color_on((1, 1, 0, 1)) == "black" and text_color_on((0, 0, 0.6, 1)) == "white"
    fig, ax = plt.subplots()
    values = np.array([[0.0, 7.0]])
    annotate_cells(ax, values, ax.imshow(values, cmap="Greys", vmin=0, vmax=7))
    assert [t.get_color() for t in ax.texts] == ["black", "white"]  # the 7 sits on a black cell
    plt.close(fig)
