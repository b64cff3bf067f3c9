"""The ε hint of exercises 2.2 and 2.3 (notebook 02): a loss that clipping, or an ε inside the log, explains.

A student who writes the naive loss and keeps it finite with an ε gets a loss that is right for small logits
and wrong for large ones; the hint finds the ε (any ε in [1e-300, 1e-2], by a scan and bisection in log ε)
and says so. The losses with ε are computed from the probabilities σ(z) and softmax(z)'s, oracles: the
student edition has them baked for the visible cases, so it finds any ε as the instructor's checker does.
Split from nb02.py (which uses it) to keep each module small; it declares no exercise.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking.oracle import OracleMiss, oracle

__all__ = ["EXERCISES", "EPS_FIX", "bernoulli_with_eps", "categorical_with_eps", "epsilon_hint"]

EXERCISES: list = []  # the hint serves 2.2 and 2.3, declared in nb02.py


@oracle
def _sigmoid_of(z):
    """σ(z) as the ε forms below take it: an oracle, so the student edition has it (baked for the visible
    cases) and finds the ε of any clipped loss as the instructor's checker does, computing no loss itself."""
    return 1 / (1 + np.exp(-z))


@oracle
def _label_probabilities(z, y):
    """softmax(z)'s probability of each row's label y, as the ε forms below take it (see _sigmoid_of)."""
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return (shifted / shifted.sum(axis=1, keepdims=True))[np.arange(len(y)), y]


def bernoulli_with_eps(z, y, eps, form):
    """The loss with ε: the probabilities clipped to [ε, 1 − ε], or ε added inside each log."""
    p = _sigmoid_of(z)
    if form == "clip":
        p = np.clip(p, eps, 1 - eps)
        return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p)))
    return float(np.mean(-y * np.log(p + eps) - (1 - y) * np.log(1 - p + eps)))


def categorical_with_eps(z, y, eps, form):
    p = _label_probabilities(z, y)
    return float(-np.mean(np.log(np.clip(p, eps, 1 - eps) if form == "clip" else p + eps)))


_EPS_FORMS = {
    "clip": "the probabilities are clipped to [ε, 1 − ε] before the log",
    "log": "an ε is added inside the log, log(p + ε)",
}
EPS_FIX = {
    "2.2": "Use the stable form max(z, 0) − y z + log(1 + exp(−|z|)), which needs no ε.",
    "2.3": "Use the log-softmax (z − m) − log Σ exp(z − m), which needs no ε.",
}


def _solve_eps(loss_with_eps, case, form, got) -> float | None:
    """An ε in [1e-300, 1e-2] whose loss is ``got`` (a scan, then bisection in log ε), or None."""
    grid = 10.0 ** np.linspace(-300, -2, 597)  # a larger ε is no ε but a blunder
    with np.errstate(all="ignore"):
        gaps = np.array([loss_with_eps(*case, e, form) - got for e in grid])
    for i in np.flatnonzero(np.sign(gaps[:-1]) * np.sign(gaps[1:]) <= 0):
        low, high = np.log10(grid[i]), np.log10(grid[i + 1])
        for _ in range(60):
            middle = (low + high) / 2
            with np.errstate(all="ignore"):
                same_side = np.sign(loss_with_eps(*case, 10**middle, form) - got) == np.sign(gaps[i])
            low, high = (middle, high) if same_side else (low, middle)
        with np.errstate(all="ignore"):
            if np.isclose(loss_with_eps(*case, 10**low, form), got, rtol=1e-6, atol=1e-9):
                return float(10**low)
    return None


def epsilon_hint(loss_with_eps, fix):
    """A function (case, the student's loss) -> the sentence for a loss that some ε (any ε) explains, or None.
    On large logits clipping and an ε in the log give the same loss: then both are named."""

    def hint(case, got):
        if not np.isfinite(got):
            return None
        try:
            found = {form: e for form in _EPS_FORMS if (e := _solve_eps(loss_with_eps, case, form, got)) is not None}
        except OracleMiss:  # the student edition, on a case it has no probabilities of (none of the visible)
            return None
        if not found:
            return None
        how = " or ".join(f"{_EPS_FORMS[form]} (ε = {eps:.2g})" for form, eps in found.items())
        wrong = "which stays finite but is wrong for large |z| (it should grow like |z|)"
        return f"{how}: that gives your loss, {wrong}. {fix}"

    return hint
