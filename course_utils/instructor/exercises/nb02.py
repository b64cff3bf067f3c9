"""Exercises 2.1-2.3 (notebook 02, probabilistic losses): the three NLLs and their gradients, stably.

Each function returns a pair (mean loss over the batch, gradient with respect to its first argument).
"""

from __future__ import annotations

import numpy as np

from course_utils import losses
from course_utils.checking import Exercise, as_array, compare, describe
from course_utils.checking.oracle import oracle
from course_utils.instructor.exercises.nb02eps import EPS_FIX, bernoulli_with_eps, categorical_with_eps, epsilon_hint

__all__ = ["EXERCISES"]

_PASSED = "Exercise {number}: all {n} checks passed, for the loss and for its gradient."
_MISSING_MEAN = (
    "the mean over the batch is missing: the loss and its gradient are N times too large (divide by N = len(y))."
)
_MISSING_MEAN_GRADIENT = (
    "the gradient is N times too large: the loss is the mean over the batch, so the gradient of each entry "
    "carries a factor 1/N (divide by N = len(y))."
)
_UNSTABLE_BERNOULLI = (
    "the formula overflows for large logits: exp(1000) is inf, and σ(−1000) rounds to 0, so log σ(z) = −inf. "
    "Use the stable form max(z, 0) − y z + log(1 + exp(−|z|))."
)
_UNSTABLE_SOFTMAX = (
    "exp of a large logit overflows to inf. Subtract each row's maximum m before exp: softmax and "
    "cross-entropy do not change, and the largest exponent becomes exp(0) = 1."
)
_LOG_OF_SOFTMAX = (
    "the loss is inf. If you subtracted the row maximum m and then took log(softmax): a probability like "
    "exp(−2000) is 0 in floating point and log 0 = −inf. If you did not subtract m, exp of a large logit "
    "overflowed first. Never compute the probability first: the log-softmax is (z − m) − log Σ exp(z − m), "
    "finite for any logits."
)


def _summed(fn):
    def summed(*args):
        loss, grad = fn(*args)
        return loss * len(args[1]), grad * len(args[1])

    return summed


def _loss_judge(reference, mistakes, unstable=None, epsilon=None):
    """A judge for a (loss, gradient) pair: shape and finiteness first, then loss, then gradient.
    epsilon(case, loss): the sentence for a loss some ε (clipping, or ε in the log) explains, else None."""

    def judge(case, got):
        if got is None:
            return "your function returned None. Did you forget the `return` statement?"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return f"return a pair (loss, gradient); your function returned {describe(got)}."
        loss, grad = (as_array(part, what) for part, what in zip(got, ("the loss", "the gradient"), strict=True))
        for part in (loss, grad):
            if isinstance(part, str):
                return part
        if unstable and not (np.isfinite(loss).all() and np.isfinite(grad).all()):
            big = float(np.max(np.abs(case[0])))
            return f"with logits as large as {big:g} the result is not finite. Likely mistake: {unstable(loss, grad)}"
        expected = reference(*case)
        message = compare(
            got[0],
            expected[0],
            case,
            what="the loss",
            mistakes={sentence: (lambda fn=fn: fn(*case)[0]) for sentence, fn in mistakes.items()},
            rtol=1e-6,
            atol=1e-9,
        )
        if message and "Likely mistake" not in message and epsilon and loss.shape == ():
            hint = epsilon(case, float(loss))
            message += f" Likely mistake: {hint}" if hint else ""
        if message:
            return message
        # The loss is right, so only a mistake that leaves the loss right can explain a wrong gradient.
        gradient_mistakes = {_MISSING_MEAN_GRADIENT: expected[1] * len(case[1])}
        for sentence, fn in mistakes.items():
            try:
                with np.errstate(all="ignore"):
                    loss, grad = fn(*case)
            except Exception:  # a mistake that cannot be computed on this case is simply not it
                continue
            if np.allclose(loss, expected[0], rtol=1e-6, atol=1e-9):
                gradient_mistakes[sentence] = grad
        return compare(got[1], expected[1], case, what="the gradient", mistakes=gradient_mistakes, rtol=1e-6, atol=1e-9)

    return judge


def _naive_bernoulli(z, y):
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-z))
        return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


def _categorical_whole_array(z, y):
    shifted = z - z.max()
    log_probs = shifted - np.log(np.exp(shifted).sum())
    n = len(y)
    grad = np.exp(log_probs)
    grad[np.arange(n), y] -= 1
    return float(-np.mean(log_probs[np.arange(n), y])), grad / n


def _categorical_over_batch(z, y):
    p = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
    return float(-np.mean(np.log(p[np.arange(len(y)), y]))), (p - np.eye(z.shape[1])[y]) / len(y)


def _softmax_hint(loss, grad):
    # exp(1000) overflows to inf and inf/inf is nan; a shifted softmax is finite but log(0) is −inf
    return _LOG_OF_SOFTMAX if np.isposinf(loss).any() and np.isfinite(grad).all() else _UNSTABLE_SOFTMAX


def _gaussian_cases():
    rng = np.random.default_rng(21)
    cases = [(np.array([1.0, 2.0, -0.5]), np.array([0.0, 4.0, 0.5]), 1.0)]  # N = 3: no factor is N by chance
    return cases + [(rng.normal(size=n), rng.normal(size=n), s) for n, s in ((5, 1.0), (7, 0.5), (3, 2.0))]


def _bernoulli_cases():
    rng = np.random.default_rng(22)
    cases = [(np.array([0.0, 2.0, -1.0]), np.array([1.0, 1.0, 0.0]))]
    cases += [(3 * rng.normal(size=n), rng.integers(0, 2, n).astype(float)) for n in (6, 11)]
    return cases + [(np.array([-1000.0, 1000.0, 40.0, -40.0]), np.array([1.0, 0.0, 1.0, 0.0]))]


def _categorical_cases():
    rng = np.random.default_rng(23)
    cases = [(np.array([[2.0, 1.0, 0.0]]), np.array([0]))]
    cases += [(2 * rng.normal(size=(n, k)), rng.integers(0, k, n)) for n, k in ((4, 3), (6, 10))]
    return cases + [(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), np.array([2, 1]))]


@oracle
def _gaussian_mistakes():
    ref = losses.gaussian_nll
    return {
        _MISSING_MEAN: _summed(ref),
        "the constant ½ log(2πσ²) is missing. It does not change the minimiser, but without it the value is "
        "not the negative log-likelihood.": lambda p, y, s: (
            ref(p, y, s)[0] - 0.5 * np.log(2 * np.pi * s**2),
            ref(p, y, s)[1],
        ),
        "the factor ½ is missing: −log N(y; f, σ²) has (y − f)²/(2σ²).": lambda p, y, s: (
            np.mean((p - y) ** 2) / s**2 + 0.5 * np.log(2 * np.pi * s**2),
            2 * (p - y) / (s**2 * len(p)),
        ),
        "σ is used where σ² belongs.": lambda p, y, s: (
            np.mean((p - y) ** 2) / (2 * s) + 0.5 * np.log(2 * np.pi * s**2),
            (p - y) / (s * len(p)),
        ),
        "the gradient has the wrong sign: d/df (y − f)² = −2(y − f) = 2(f − y).": lambda p, y, s: (
            ref(p, y, s)[0],
            -ref(p, y, s)[1],
        ),
        "the gradient is twice too large: the 2 from differentiating (f − y)² cancels the ½ of (f − y)²/(2σ²).": (
            lambda p, y, s: (ref(p, y, s)[0], 2 * ref(p, y, s)[1])
        ),
        "σ is ignored (as if σ = 1): the density has σ² in the exponent's denominator and in the constant.": (
            lambda p, y, s: ref(p, y, 1.0)
        ),
        "the constant is ½ log(2πσ), but the density's 1/√(2πσ²) gives ½ log(2πσ²) = log σ + ½ log 2π.": (
            lambda p, y, s: (ref(p, y, s)[0] - 0.5 * np.log(s), ref(p, y, s)[1])
        ),
    }


@oracle
def _bernoulli_mistakes():
    ref = losses.bernoulli_nll
    return {
        _MISSING_MEAN: _summed(ref),
        _UNSTABLE_BERNOULLI: _naive_bernoulli,
        "the labels are swapped: the loss of label 1 is −log σ(z), of label 0 is −log(1 − σ(z)).": (
            lambda z, y: ref(z, 1 - y)
        ),
        "the gradient has the wrong sign: it is (σ(z) − y) / N.": lambda z, y: (ref(z, y)[0], -ref(z, y)[1]),
        "the gradient is σ'(z) = σ(z)(1 − σ(z)), the derivative of σ, not of the loss. Differentiate "
        "log(1 + e^z) − y z with respect to z.": lambda z, y: (
            ref(z, y)[0],
            1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z))) / len(z),
        ),
    }


@oracle
def _categorical_mistakes():
    ref = losses.categorical_nll
    return {
        _MISSING_MEAN: _summed(ref),
        "the one-hot term is missing from the gradient: it is (softmax(z) − onehot(y)) / N.": lambda z, y: (
            ref(z, y)[0],
            ref(z, y)[1] + np.eye(z.shape[1])[y] / len(y),
        ),
        "the softmax is taken over the batch (axis 0) instead of over the classes (axis 1).": _categorical_over_batch,
        "the maximum and the log Σ exp are taken over the whole array; softmax is over the classes of each row "
        "(axis=1, keepdims=True).": _categorical_whole_array,
        "the loss is averaged over all N × K entries; the loss of example n is one number, average over the N "
        "examples only.": lambda z, y: (ref(z, y)[0] / z.shape[1], ref(z, y)[1]),
        "the gradient has the wrong sign: it is (softmax(z) − onehot(y)) / N.": lambda z, y: (
            ref(z, y)[0],
            -ref(z, y)[1],
        ),
    }


def _fresh_gaussian(rng):
    return [(rng.normal(size=n), rng.normal(size=n), float(s)) for n, s in ((4, 1.5), (9, 0.8), (2, 3.0))]


def _fresh_bernoulli(rng):
    cases = [(4 * rng.normal(size=n), rng.integers(0, 2, n).astype(float)) for n in (5, 13)]
    return cases + [(np.array([800.0, -900.0, 3.0]), np.array([0.0, 1.0, 1.0]))]


def _fresh_categorical(rng):
    cases = [(3 * rng.normal(size=(n, k)), rng.integers(0, k, n)) for n, k in ((3, 4), (7, 5))]
    return cases + [(np.array([[0.0, -1200.0, 1200.0]]), np.array([1]))]


EXERCISES = [
    Exercise(
        number="2.1",
        target="gaussian_nll",
        cases=_gaussian_cases,
        fresh=_fresh_gaussian,
        judge=_loss_judge(oracle(losses.gaussian_nll), _gaussian_mistakes()),
        passed=_PASSED,
        fallback="course_utils.losses.gaussian_nll",
    ),
    Exercise(
        number="2.2",
        target="bernoulli_nll",
        cases=_bernoulli_cases,
        fresh=_fresh_bernoulli,
        judge=_loss_judge(
            oracle(losses.bernoulli_nll),
            _bernoulli_mistakes(),
            unstable=lambda loss, grad: _UNSTABLE_BERNOULLI,
            epsilon=epsilon_hint(bernoulli_with_eps, EPS_FIX["2.2"]),
        ),
        passed=_PASSED,
        fallback="course_utils.losses.bernoulli_nll",
    ),
    Exercise(
        number="2.3",
        target="categorical_nll",
        cases=_categorical_cases,
        fresh=_fresh_categorical,
        judge=_loss_judge(
            oracle(losses.categorical_nll),
            _categorical_mistakes(),
            unstable=_softmax_hint,
            epsilon=epsilon_hint(categorical_with_eps, EPS_FIX["2.3"]),
        ),
        passed=_PASSED,
        fallback="course_utils.losses.categorical_nll",
        references=("course_utils.losses.log_softmax",),
    ),
]
