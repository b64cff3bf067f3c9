"""Exercise 9.3 (notebook 09, CNN pipelines): the Categorical head's negative log-likelihood as a torch loss,
from logits (B, K) and class indices (B,), stable, the mean over the batch. The public ``categorical_loss`` is
the course's version: the notebook's later cells use it while a student's own has not passed its checker.
The calling and the checks shared with 9.1 and 9.2 are in ``nb09``.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare
from course_utils.checking.oracle import oracle
from course_utils.instructor.exercises.nb09 import (
    _EXPLAIN,
    _built_in,
    _call_graph,
    _capped,
    _check_tensor,
    _log_softmax,
    _unwrap,
)

__all__ = ["EXERCISES", "categorical_loss"]


def categorical_loss(logits, k):
    """Categorical NLL from logits (B, K) and class indices k (B,) int64, mean over the batch: PyTorch's own."""
    import torch.nn.functional as F

    return F.cross_entropy(logits, k)


def _judge_categorical(case, got):
    z, k = np.asarray(case[0], dtype=np.float64), np.asarray(case[1])
    got, graph = _unwrap(got)
    message = _check_tensor(got, "Categorical")
    if message:
        return message
    answers = _categorical_answers(z, k)
    per = answers["per"]
    got_value = float(got.array)
    if not np.isfinite(got_value):
        return (
            f"for logits up to {np.abs(z).max():.0f} the Categorical loss is {got_value}: exp of a large logit "
            "overflows, or log of a probability that rounded to 0 is −inf. Compute log softmax directly: "
            "z_k − logsumexp(z) (torch.logsumexp subtracts the maximum for you)."
        )
    message = compare(
        got, per.mean(), f"{len(k)} examples of {z.shape[1]} logits (largest |z| {np.abs(z).max():.0f})",
        what="the Categorical loss", rtol=1e-5, atol=1e-6, mistakes=answers["mistakes"],
    )  # fmt: skip
    if message and "Likely mistake" not in message:
        message += _capped(got_value, per, z, "the log of the softmax", "logsumexp(z) − z_k (torch.logsumexp)")
    return message or _built_in(graph, "Categorical", "torch.logsumexp and indexing, then .mean()")


@oracle
def _categorical_answers(z, k):
    """The right per-example losses and each known mistake's loss, on one case (plain data)."""
    rows = np.arange(len(k))
    per = -_log_softmax(z)[rows, k]
    p = np.exp(_log_softmax(z))
    logsumexp = (z - _log_softmax(z))[:, 0]
    return dict(
        per=per,
        mistakes={
            "softmax is applied twice (probabilities passed where logits belong): the loss takes the logits and "
            "applies (log-)softmax itself.": (-_log_softmax(p)[rows, k]).mean(),
            "the softmax runs over the batch (dim=0): normalise each example's logits over the classes (dim=1).": (
                -_log_softmax(z.T).T[rows, k]
            ).mean(),
            "the losses are summed over the batch: take the mean, as training here does.": per.sum(),
            "the log is missing: the NLL is −log softmax(z)[k], not −softmax(z)[k].": -p[rows, k].mean(),
            "the sign is flipped: the negative log-likelihood is −log p, a number ≥ 0.": -per.mean(),
            "logits[:, k] picks all B rows at every example's class, a (B, B) matrix: pair row i with its own class "
            "k[i], logits[torch.arange(B), k].": (logsumexp[:, None] - z[:, k]).mean(),
            "the log Σ e^(z_c) term is missing: −log softmax(z)_k = −z_k + log Σ_c e^(z_c).": -z[rows, k].mean(),
        },
    )  # fmt: skip


def _categorical_cases(rng, batches, classes, large: float):
    cases = []
    for b, c in zip(batches, classes, strict=True):
        cases.append(((2 * rng.normal(size=(b, c))).astype(np.float32), rng.integers(0, c, b).astype(np.int64)))
    z = rng.normal(size=(3, 10)).astype(np.float32)
    z[0, 3], z[1, 7], z[2, 0] = large, -large, large
    cases.append((z, np.array([3, 7, 5], dtype=np.int64)))  # right and confident, very wrong, confidently wrong
    return cases


EXERCISES = [
    Exercise(
        number="9.3",
        target="categorical_loss",
        cases=lambda: _categorical_cases(np.random.default_rng(93), (4, 64), (10, 10), 150.0),
        fresh=lambda rng: _categorical_cases(rng, (5, 40), (3, 10), float(rng.uniform(120, 200))),
        judge=_judge_categorical,
        call=_call_graph,
        passed=f"Exercise {{number}}: the Categorical loss is right {_EXPLAIN}.",
        references=("course_utils.losses.categorical_nll", "course_utils.losses.log_softmax"),
        fallback="course_utils.instructor.exercises.nb09b.categorical_loss",
    ),
]
