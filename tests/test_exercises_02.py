"""Notebook 02's exercises: 2.4 (the MAP objective) first, then 2.1-2.3 (the three NLLs and their gradients)."""

import numpy as np
import pytest

from course_utils.checking import check
from course_utils.checking.registry import get
from course_utils.checks import ExerciseFailure, check_map_objective
from course_utils.instructor.exercises import nb02b


def _weights_sq(p, names=("W", "V")):
    return sum(np.sum(p[k] ** 2) for k in names)


def _weights_abs(p, names=("W", "V")):
    return sum(np.sum(np.abs(p[k])) for k in names)


def right(losses, params, lam, penalty="L2"):
    omega = 0.5 * _weights_sq(params) if penalty == "L2" else _weights_abs(params)
    return np.sum(losses) + lam * omega


def _with(omega_l2, omega_l1, data=np.sum):
    def answer(losses, params, lam, penalty="L2"):
        return data(losses) + lam * (omega_l2(params) if penalty == "L2" else omega_l1(params))

    return answer


def test_map_objective_right_and_fallback(capsys):
    check_map_objective(right)
    check_map_objective(nb02b.map_objective)
    assert capsys.readouterr().out.count("Exercise 2.4: all 3 checks passed.") == 2


ALL = ("W", "b", "V", "c")


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_with(lambda p: 0.5 * _weights_sq(p, ALL), lambda p: _weights_abs(p, ALL)), "on the biases too"),
        (_with(lambda p: 0.5 * _weights_sq(p), _weights_abs, data=np.mean), "mean of the losses"),
        (_with(_weights_sq, _weights_abs), "the ½ is missing"),
        (_with(lambda p: 0.5 * _weights_sq(p), lambda p: 0.5 * _weights_abs(p)), "L1 penalty has no ½"),
        (_with(_weights_abs, lambda p: 0.5 * _weights_sq(p)), "this is the L1 penalty"),
        (_with(lambda p: 0.5 * _weights_sq(p, ("W",)), lambda p: _weights_abs(p, ("W",))), "only W is penalised"),
        (_with(lambda p: 0.5 * _weights_sq(p, ("V",)), lambda p: _weights_abs(p, ("V",))), "only V is penalised"),
        (_with(lambda p: np.sqrt(_weights_sq(p)), _weights_abs), "norm"),
        (
            lambda losses, params, lam, penalty: np.sum(losses) + right(losses, params, 1.0, penalty) - np.sum(losses),
            "λ is missing",
        ),
        (lambda losses, params, lam, penalty: right(losses, params, lam, penalty) / len(losses), "mean form"),
        (lambda losses, params, lam, penalty: None, "returned None"),
        (lambda losses, params, lam, penalty: [right(losses, params, lam, penalty)] * 2, r"shape \(2,\)"),
    ],
)
def test_map_objective_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_map_objective(wrong)


def test_map_objective_fallback_when_unsolved(capsys):
    namespace = {}

    def unsolved(losses, params, lam, penalty="L2"):
        raise NotImplementedError("Exercise 2.4")

    with pytest.raises(NotImplementedError):
        check(get("2.4"), unsolved, namespace)
    assert namespace["map_objective"] is nb02b.map_objective
    assert "until yours passes 2.4" in capsys.readouterr().out


def test_fresh_cases_differ_and_the_fallback_rejects_a_bad_penalty():
    exercise = get("2.4")
    fresh = exercise.fresh(np.random.default_rng(5))
    assert {case[3] for case in fresh} == {"L1", "L2"}
    assert all(exercise.judge(case, nb02b.map_objective(*case)) is None for case in fresh)
    with pytest.raises(ValueError, match="'L3'"):
        nb02b.map_objective(np.ones(2), {"W": np.ones(1), "V": np.ones(1)}, 1.0, "L3")


# --- 2.1-2.3: the three NLLs ------------------------------------------------------------------------

from course_utils import losses  # noqa: E402
from course_utils.checks import check_bernoulli_nll, check_categorical_nll, check_gaussian_nll  # noqa: E402
from course_utils.instructor.exercises import nb02  # noqa: E402

LOSSES = {
    "2.1": (check_gaussian_nll, losses.gaussian_nll, nb02._gaussian_mistakes),
    "2.2": (check_bernoulli_nll, losses.bernoulli_nll, nb02._bernoulli_mistakes),
    "2.3": (check_categorical_nll, losses.categorical_nll, nb02._categorical_mistakes),
}


@pytest.mark.parametrize("number", list(LOSSES))
def test_loss_right_and_fallback(number, capsys):
    checker, reference, _ = LOSSES[number]
    checker(reference)
    assert f"Exercise {number}: all 4 checks passed" in capsys.readouterr().out
    namespace = {}

    def unsolved(*args):
        raise NotImplementedError(number)

    with pytest.raises(NotImplementedError):
        check(get(number), unsolved, namespace)
    assert namespace[get(number).target] is reference
    assert f"until yours passes {number}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("number", "sentence"),
    [(number, sentence) for number, (_, _, mistakes) in LOSSES.items() for sentence in mistakes()],
)
def test_loss_mistake_is_named(number, sentence):
    checker, _, mistakes = LOSSES[number]
    with pytest.raises(ExerciseFailure) as info:
        checker(mistakes()[sentence])
    assert sentence in str(info.value)


@pytest.mark.parametrize("number", list(LOSSES))
def test_loss_none_and_single_value_are_explained(number):
    checker, reference, _ = LOSSES[number]
    with pytest.raises(ExerciseFailure, match="returned None"):
        checker(lambda *args: None)
    with pytest.raises(ExerciseFailure, match="return a pair"):
        checker(lambda *args: reference(*args)[0])


def _gaussian_right(pred, y, sigma=1.0):
    return losses.gaussian_nll(pred, y, sigma)


@pytest.mark.parametrize(
    ("checker", "wrong", "hint"),
    [
        # the loss is right, only the gradient is off: the message must not blame the loss
        (check_gaussian_nll, lambda p, y, s=1.0: (_gaussian_right(p, y, s)[0], (p - y) / s**2), "gradient is N times"),
        (check_gaussian_nll, lambda p, y, s=1.0: (_gaussian_right(p, y, s)[0], 2 * (p - y) / (s**2 * len(p))), "twice"),
        (
            check_bernoulli_nll,
            lambda z, y: (losses.bernoulli_nll(z, y)[0], 1 / (1 + np.exp(-z)) - y),
            "gradient is N times",
        ),
        (
            check_categorical_nll,
            lambda z, y: (losses.categorical_nll(z, y)[0], losses.categorical_nll(z, y)[1] * len(y)),
            "gradient is N times",
        ),
    ],
)
def test_a_gradient_only_mistake_is_named_as_such(checker, wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint) as info:
        checker(wrong)
    assert "the loss and its gradient" not in str(info.value)


def test_categorical_without_the_shift_is_explained():
    def no_shift(z, y):
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        grad = np.exp(log_probs)
        grad[np.arange(len(y)), y] -= 1
        return -np.mean(log_probs[np.arange(len(y)), y]), grad / len(y)

    with pytest.raises(ExerciseFailure, match="If you did not subtract m"):
        check_categorical_nll(no_shift)


def test_bernoulli_naive_exp_form_is_explained():
    def naive(z, y):
        return float(np.mean(np.log(1 + np.exp(z)) - y * z)), (1 / (1 + np.exp(-z)) - y) / len(z)

    with pytest.raises(ExerciseFailure, match=r"exp\(1000\) is inf"):
        check_bernoulli_nll(naive)


# --- issue 28: clipping or an ε in the log, whatever ε ----------------------------------------------


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _bernoulli_clipped(eps, form):
    def answer(z, y):
        p = _sigmoid(z)
        grad = (p - y) / len(z)
        if form == "clip":
            p = np.clip(p, eps, 1 - eps)
            return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), grad
        return float(np.mean(-y * np.log(p + eps) - (1 - y) * np.log(1 - p + eps))), grad

    return answer


def _categorical_clipped(eps, form):
    def answer(z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        picked = np.clip(p[rows, y], eps, 1 - eps) if form == "clip" else p[rows, y] + eps
        grad = p.copy()
        grad[rows, y] -= 1
        return float(-np.mean(np.log(picked))), grad / len(y)

    return answer


@pytest.mark.parametrize("eps", [1e-4, 1e-8, 3e-9, 1e-10, 1e-13, 1e-15, 1e-30])
@pytest.mark.parametrize("form", ["clip", "log"])
def test_any_epsilon_is_recognised(eps, form):
    from course_utils.checks import check_bernoulli_nll, check_categorical_nll

    for checker, answer in ((check_bernoulli_nll, _bernoulli_clipped), (check_categorical_nll, _categorical_clipped)):
        if checker is check_bernoulli_nll and form == "clip" and 1 - eps == 1:  # clips nothing at the top: log 0
            with pytest.raises(ExerciseFailure, match="not finite"):
                checker(answer(eps, form))
            continue
        with pytest.raises(ExerciseFailure) as failure:
            checker(answer(eps, form))
        message = str(failure.value)
        named = "clipped to [ε, 1 − ε] before the log" if form == "clip" else "an ε is added inside the log, log(p + ε)"
        assert "Likely mistake: " in message and f"{named} (ε = {eps:.2g})" in message, message
