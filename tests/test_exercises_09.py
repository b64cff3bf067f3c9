"""Exercises 9.1-9.3 (notebook 09): each head's loss as a torch loss; the right answers pass, each
recognised mistake gets its own message, and the course's fallbacks are right answers."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.checking import check, decode, encode, judge_case, run_case
from course_utils.checks import ExerciseFailure, check_bernoulli_loss, check_categorical_loss, check_gaussian_loss
from course_utils.instructor.exercises import EXERCISES
from course_utils.instructor.exercises.nb09 import bernoulli_loss, gaussian_loss
from course_utils.instructor.exercises.nb09b import categorical_loss


def _right_gaussian(mu, y):
    return 0.5 * F.mse_loss(mu, y)


def _right_bernoulli(z, y):
    return (torch.clamp(z, min=0) - y * z + torch.log1p(torch.exp(-z.abs()))).mean()


def _right_categorical(z, k):
    return (-torch.log_softmax(z, dim=1)[torch.arange(len(k)), k]).mean()


RIGHT = {"9.1": _right_gaussian, "9.2": _right_bernoulli, "9.3": _right_categorical}
CHECKERS = {"9.1": check_gaussian_loss, "9.2": check_bernoulli_loss, "9.3": check_categorical_loss}
FALLBACKS = {"9.1": gaussian_loss, "9.2": bernoulli_loss, "9.3": categorical_loss}


@pytest.mark.parametrize("number", list(RIGHT))
def test_right_answers_and_fallbacks_pass_on_visible_and_fresh_cases(number, capsys):
    """The right answers pass; so does 9.1's fallback. 9.2's and 9.3's fallbacks are PyTorch's built-in losses,
    the other form the student edition ships, which the exercises rule out as an answer: the checker says so."""
    exercise, rng = EXERCISES[number], np.random.default_rng(0)
    CHECKERS[number](RIGHT[number])
    assert f"Exercise {number}: the" in capsys.readouterr().out
    for case in [*exercise.cases(), *exercise.fresh(rng)]:
        for answer in (RIGHT[number], FALLBACKS[number]):
            message = judge_case(exercise, case, decode(*encode(run_case(exercise, answer, case))))
            if answer is FALLBACKS[number] and number != "9.1":
                assert message is not None and "a built-in loss" in message, (case, message)
            else:
                assert message is None, (case, message)


@pytest.mark.parametrize("number", list(RIGHT))
def test_wrong_answer_binds_the_fallback_and_says_so(number):
    namespace = {}
    with pytest.raises(ExerciseFailure, match=f"Using the course's `{EXERCISES[number].target}`.*{number}"):
        check(EXERCISES[number], lambda a, b: None, namespace)
    assert namespace[EXERCISES[number].target] is FALLBACKS[number]


def test_unsolved_raises_the_students_error():
    def unsolved(a, b):
        raise NotImplementedError("Exercise 9.2")

    with pytest.raises(NotImplementedError):
        check_bernoulli_loss(unsolved)


# --- shared: what is not a differentiable scalar -------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda mu, y: None, "returned None"),
        (lambda mu, y: 0.5 * ((mu - y) ** 2).mean().item(), "not a torch tensor"),
        (lambda mu, y: float(np.mean(0.5 * (mu.detach().numpy() - y.numpy()) ** 2)), "not a torch tensor"),
        (lambda mu, y: (0.5 * ((mu - y) ** 2).mean()).detach(), "carries no gradient"),
        (lambda mu, y: 0.5 * (mu - y) ** 2, "must be one number, the mean"),
    ],
)
def test_not_a_differentiable_scalar(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_gaussian_loss(wrong)


# --- 9.1 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda mu, y: ((y - mu) ** 2).mean(), "½ is missing"),
        (lambda mu, y: 0.5 * ((y - mu) ** 2).sum(), "summed over the batch.*mean"),
        (lambda mu, y: ((y - mu) ** 2).sum(), "squared loss summed"),
        (lambda mu, y: 0.5 * ((y - mu) ** 2).mean() + 0.5 * np.log(2 * np.pi), "constant ½ log 2π"),
    ],
)
def test_gaussian_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_gaussian_loss(wrong)


# --- 9.2 ----------------------------------------------------------------------------------------------


def _clamped_at_100(z, y):
    """What F.binary_cross_entropy does to probabilities, written out (the built-in itself is refused)."""
    p = torch.sigmoid(z)
    return -(y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log(1 - p), min=-100)).mean()


def _naive_bernoulli(z, y):
    p = torch.sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def _eps_bernoulli(z, y):
    p = torch.sigmoid(z)
    return -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)).mean()


def _clamped_bernoulli(z, y):
    p = torch.sigmoid(z).clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_naive_bernoulli, r"log\(σ\(z\)\).*−inf.*softplus"),
        (lambda z, y: F.binary_cross_entropy_with_logits(torch.sigmoid(z), y), "sigmoid is applied twice"),
        (lambda z, y: (y * F.softplus(-z)).mean(), r"\(1 − y\) log\(1 − σ\(z\)\) term is missing"),
        (lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="sum"), "summed over the batch"),
        (_clamped_at_100, "clipped at −100"),
        (lambda z, y: -F.binary_cross_entropy_with_logits(z, y), "sign is flipped"),
        (lambda z, y: (F.softplus(z) - y * z).detach().mean(), "carries no gradient"),
        (lambda z, y: (F.softplus(z) + y * z).mean(), "sign of the y·z term is flipped"),
        (lambda z, y: (F.softplus(z) - (1 - y) * z).mean(), "labels are swapped"),
        (_eps_bernoulli, r"slightly below the NLL: an ε.*log\(1 \+ e\^z\) − y·z"),
        (_clamped_bernoulli, r"too small on the confidently wrong logits.*ε.*log\(1 \+ e\^z\) − y·z"),
    ],
)
def test_bernoulli_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_bernoulli_loss(wrong)


# --- 9.3 ----------------------------------------------------------------------------------------------


def _naive_categorical(z, k):
    p = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(k)), k]).mean()


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_naive_categorical, "overflows.*logsumexp"),
        (lambda z, k: -torch.log(torch.softmax(z, 1)[torch.arange(len(k)), k]).mean(), "rounded to 0.*logsumexp"),
        (lambda z, k: F.cross_entropy(torch.softmax(z, 1), k), "softmax is applied twice"),
        (lambda z, k: F.cross_entropy(z, k, reduction="sum"), "summed over the batch"),
        (lambda z, k: -torch.log_softmax(z, 0)[torch.arange(len(k)), k].mean(), r"over the batch \(dim=0\)"),
        (lambda z, k: -torch.softmax(z, 1)[torch.arange(len(k)), k].mean(), "the log is missing"),
        (lambda z, k: -F.cross_entropy(z, k), "sign is flipped"),
        (lambda z, k: F.cross_entropy(z, k, reduction="none"), "one number, the mean"),
        (lambda z, k: (torch.logsumexp(z, 1) - z[:, k]).mean(), r"logits\[:, k\] picks all B rows"),
        (lambda z, k: -z[torch.arange(len(k)), k].mean(), "log Σ e\\^\\(z_c\\) term is missing"),
        (lambda z, k: -torch.log(torch.softmax(z, 1)[torch.arange(len(k)), k] + 1e-8).mean(), "ε.*logsumexp"),
    ],
)
def test_categorical_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_categorical_loss(wrong)


def test_fresh_cases_differ_from_the_visible_ones():
    for number in RIGHT:
        exercise = EXERCISES[number]
        visible = [tuple(a.shape for a in case) for case in exercise.cases()]
        fresh = [tuple(a.shape for a in case) for case in exercise.fresh(np.random.default_rng(1))]
        assert any(shape not in visible for shape in fresh), number


# --- issue 28: built-in losses refused, an overflow named as one ------------------------------------


@pytest.mark.parametrize(
    ("checker", "answer", "named"),
    [
        (check_bernoulli_loss, F.binary_cross_entropy_with_logits, "F.binary_cross_entropy_with_logits"),
        (check_bernoulli_loss, lambda z, y: torch.nn.BCEWithLogitsLoss()(z, y), "nn.BCEWithLogitsLoss"),
        (check_bernoulli_loss, lambda z, y: F.binary_cross_entropy(torch.sigmoid(z), y), "F.binary_cross_entropy "),
        (check_categorical_loss, F.cross_entropy, "F.cross_entropy or F.nll_loss"),
        (check_categorical_loss, lambda z, k: F.nll_loss(torch.log_softmax(z, 1), k), "F.nll_loss"),
    ],
)
def test_built_in_losses_are_refused(checker, answer, named):
    with pytest.raises(ExerciseFailure, match=f"loss is right, but it is computed by .*{named}.*a built-in loss"):
        checker(answer)


@pytest.mark.parametrize("checker", [check_bernoulli_loss, check_categorical_loss])
def test_a_new_leaf_tensor_is_refused(checker):
    right = {check_bernoulli_loss: _right_bernoulli, check_categorical_loss: _right_categorical}[checker]
    with pytest.raises(ExerciseFailure, match="computed by no torch operation.*not connected to the outputs"):
        checker(lambda a, b: torch.tensor(right(a, b).item(), requires_grad=True))


def test_log1p_of_exp_is_reported_as_the_overflow_it_is():
    with pytest.raises(ExerciseFailure, match=r"e\^z overflows.*Nothing rounded to 0 here") as info:
        check_bernoulli_loss(lambda z, y: (torch.log1p(torch.exp(z)) - y * z).mean())
    assert "rounded to 0 gives" not in str(info.value)
    with pytest.raises(ExerciseFailure, match=r"probability that rounded to 0 gives −inf"):
        check_bernoulli_loss(_naive_bernoulli)
