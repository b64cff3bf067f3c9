"""Notebook 02's MLE/MAP fits: every head × penalty × λ its explorer offers, through the function behind it."""

import functools

import numpy as np
import pytest

from course_utils.data import DataNotFoundError, load_mnist
from course_utils.env import set_seed
from course_utils.mapfit import EXPLORER_LAMBDAS, HEADS, PENALTIES, fit_map, head_data, map_summary, step_size


@pytest.fixture(scope="module")
def data():
    """The notebook's split: 300 training and 2,000 validation digits, from set_seed(0)'s permutation."""
    try:
        images, labels = load_mnist("train", download=False)
    except DataNotFoundError:
        pytest.skip("MNIST is not available (set COURSE_DATA)")
    order = set_seed(0).permutation(len(images))
    images, labels = images.numpy(), labels.numpy()
    return {"train": head_data(images[order[:300]], labels[order[:300]]),
            "val": head_data(images[order[300:2300]], labels[order[300:2300]])}  # fmt: skip


@pytest.fixture(scope="module")
def summary(data):
    """map_summary with its results kept: each setting is fitted once for all the tests below."""
    return functools.cache(lambda head, penalty, lam: map_summary(data, head, penalty, lam))


def test_explorer_offers_mle_and_a_log_grid():
    assert EXPLORER_LAMBDAS[0] == 0.0 and len(EXPLORER_LAMBDAS) == 16
    np.testing.assert_allclose(np.log10(EXPLORER_LAMBDAS[1:]), np.arange(-1, 2.51, 0.25))


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("penalty", PENALTIES)
def test_every_explorer_setting_gives_a_finite_decreasing_objective(summary, head, penalty):
    for lam in EXPLORER_LAMBDAS:
        text, weights, numbers = summary(head, penalty, lam)
        history = numbers["objective"]
        assert np.all(np.isfinite(history)) and np.all(np.isfinite(weights)), (head, penalty, lam)
        rises = np.diff(history) > 1e-9 * np.abs(history[:-1])
        assert not rises.any(), f"{head} {penalty} λ={lam}: the objective rose at step {np.argmax(rises)}"
        assert history[-1] < history[0], (head, penalty, lam)
        assert np.isfinite(numbers["val_loss"]) and numbers["val_loss"] < 10, (head, penalty, lam, text)


def test_the_old_fixed_step_diverged_and_the_problem_step_is_below_it(data):
    X, t = data["train"]["regression"]
    assert step_size(X, "regression", "L2", 0.0) < 0.2 / len(X)  # 0.2 on the mean = 0.2 / N on the sum
    largest = np.linalg.eigvalsh(np.hstack([X, np.ones((len(X), 1))]).T @ np.hstack([X, np.ones((len(X), 1))]))[-1]
    assert 0.2 / len(X) > 2 / largest  # the old step broke the 2 / λ_max limit: that is why it diverged


def test_map_helps_every_head_and_the_binary_head_most(summary):
    """The sentences of notebook 02, in numbers (validation loss, best λ against λ = 0; the regression loss
    without its constant ½ log 2π, which no λ changes)."""
    gains = {}
    for head in HEADS:
        losses = np.array([summary(head, "L2", lam)[2]["val_loss"] for lam in EXPLORER_LAMBDAS])
        if head == "regression":
            losses -= 0.5 * np.log(2 * np.pi)
        gains[head] = (losses[0] - losses.min()) / losses[0]
    assert min(gains.values()) > 0.01
    assert gains["binary"] > 5 * max(gains["regression"], gains["multiclass"])


def test_fit_map_rejects_bad_settings():
    X, t = np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match="head must be one of"):
        fit_map(X, t, "poisson")
    with pytest.raises(ValueError, match="penalty must be 'L2' or 'L1', got 'L3'"):
        fit_map(X, t, "binary", "L3")
    with pytest.raises(ValueError, match="lam must be >= 0, got -1"):
        fit_map(X, t, "binary", "L2", -1)
