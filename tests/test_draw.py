"""The draw-a-digit pad without a browser: rendering, MNIST-style preprocessing, the pad's handlers."""

import numpy as np
import pytest
import torch

from course_utils.data import find_mnist, load_mnist
from course_utils.draw import CANVAS_SIZE, DigitPad, mnist_preprocess, read_digit, render_strokes
from course_utils.env import set_seed
from course_utils.models import LeNet


def _centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def test_render_draws_a_round_pen_along_the_stroke():
    ink = render_strokes([[(140, 40), (140, 240)]])
    assert ink.shape == (CANVAS_SIZE, CANVAS_SIZE) and ink.dtype == np.float32
    assert ink[140, 140] == 1 and ink[140, 20] == 0 and ink[20, 140] == 0
    assert 0 < ink.max() <= 1
    assert render_strokes([[(50, 50)]])[50, 50] == 1  # a click is a dot
    assert render_strokes([]).max() == 0


def test_preprocess_fits_a_20_pixel_box_centred_by_mass():
    digit = mnist_preprocess(render_strokes([[(60, 30), (200, 250)], [(60, 250), (120, 200)]]))
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    rows, cols = np.flatnonzero(digit.max(axis=1) > 0.05), np.flatnonzero(digit.max(axis=0) > 0.05)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20
    r, c = _centre_of_mass(digit)
    assert abs(r - 14) <= 0.75 and abs(c - 14) <= 0.75
    tall = mnist_preprocess(render_strokes([[(140, 20), (140, 260)]]))  # a "1": 20 tall, thin, centred
    assert np.flatnonzero(tall.max(axis=1) > 0.05).size == 20 and np.flatnonzero(tall.max(axis=0) > 0.05).size < 8


@pytest.mark.skipif(find_mnist() is None, reason="MNIST is not available")
def test_preprocess_leaves_an_mnist_digit_nearly_as_it_was():
    images, _ = load_mnist("test")
    for image in images[:20].float().div(255).numpy():
        big = np.kron(image, np.ones((10, 10), dtype=np.float32))  # as if drawn on the canvas
        again = mnist_preprocess(big)
        assert np.corrcoef(image.ravel(), again.ravel())[0, 1] > 0.95


def test_preprocess_rejects_empty_and_malformed_drawings():
    with pytest.raises(ValueError, match="empty"):
        mnist_preprocess(np.zeros((280, 280)))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        mnist_preprocess(np.zeros((2, 28, 28)))


def test_read_digit_gives_probabilities_and_maps():
    set_seed(0)
    probabilities, maps = read_digit(LeNet(), np.zeros((28, 28)))
    assert probabilities.shape == (10,) and abs(probabilities.sum() - 1) < 1e-5
    assert maps["conv1"].shape == (6, 28, 28) and maps["conv2"].shape == (16, 10, 10)
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        read_digit(LeNet(), np.zeros((32, 32)))


def test_pad_handlers_draw_predict_and_clear():
    set_seed(0)
    pad = DigitPad(LeNet())
    assert pad.prediction is None and "Draw a digit" in pad.answer.value
    pad.move(10, 10)  # moving with the pen up draws nothing
    pad.end()
    assert pad.strokes == [] and pad.prediction is None
    pad.start(140, 40)
    for y in range(60, 260, 20):
        pad.move(140, y)
    pad.end(140, 240)
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 11
    assert pad.digit.shape == (28, 28) and 0 <= pad.prediction <= 9
    assert abs(pad.probabilities.sum() - 1) < 1e-5
    assert pad.answer.value.startswith(f"LeNet reads: <b>{pad.prediction}</b>")
    pad.clear()
    assert pad.strokes == [] and pad.prediction is None and "Draw a digit" in pad.answer.value
    with pytest.raises(TypeError, match="LeNet"):
        DigitPad(torch.nn.Linear(2, 2))
