"""Exercises 9.1-9.2 (notebook 09, CNN pipelines): each head's negative log-likelihood as a torch loss.

9.1 the Gaussian head (regression), 9.2 the Bernoulli head (binary, from a logit, stable); 9.3, the
Categorical head, is in ``nb09b`` and shares the helpers here. Each returns one torch scalar, the mean
over the batch, that carries a gradient (training calls .backward() on it). The public ``gaussian_loss``
and ``bernoulli_loss`` are the course's versions: the notebook's later cells use them while a student's
own has not passed its checker.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, Tensor, compare, describe
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "gaussian_loss", "bernoulli_loss"]


# --- the course's versions (torch's own losses; the exercises ask for the formulas) ---------------------


def gaussian_loss(mu, y):
    """Gaussian NLL with σ = 1 without its constant, mean over the batch; mu, y (B,): half PyTorch's MSE loss."""
    import torch.nn.functional as F

    return F.mse_loss(mu, y.to(mu.dtype)) / 2


def bernoulli_loss(z, y):
    """Bernoulli NLL from logits z (B,) and labels y (B,) in {0, 1}, mean over the batch: PyTorch's own."""
    import torch.nn.functional as F

    return F.binary_cross_entropy_with_logits(z, y.to(z.dtype))


# --- calling and judging ----------------------------------------------------------------------------


def _call(loss, case):
    """Kernel side: the arrays become torch tensors, the network's outputs with requires_grad (as in training)."""
    import torch

    outputs, targets = case
    return loss(torch.tensor(outputs, requires_grad=True), torch.tensor(targets))


def _call_graph(loss, case):
    """Kernel side, for 9.2 and 9.3: the loss, and the names of the autograd nodes it was computed by (which say
    whether a built-in loss did the work, and how an overflow came about)."""
    value = _call(loss, case)
    nodes, seen, todo = set(), set(), [getattr(value, "grad_fn", None)]
    while todo and len(seen) < 10_000:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.add(type(node).__name__)
        todo.extend(next_node for next_node, _ in getattr(node, "next_functions", ()))
    return {"loss": value, "graph": sorted(nodes)}


# autograd node -> the built-in loss behind it, which the statements of 9.2 and 9.3 rule out
_BUILT_INS = {
    "BinaryCrossEntropyWithLogitsBackward0": "F.binary_cross_entropy_with_logits (or nn.BCEWithLogitsLoss)",
    "BinaryCrossEntropyBackward0": "F.binary_cross_entropy (or nn.BCELoss)",
    "NllLossBackward0": "F.cross_entropy or F.nll_loss (or nn.CrossEntropyLoss)",
}


def _unwrap(got):
    """(the loss, the autograd node names) from what _call_graph returned."""
    if isinstance(got, dict) and "loss" in got:
        return got["loss"], [str(name) for name in got.get("graph") or []]
    return got, []


def _built_in(graph, head: str, write: str) -> str | None:
    """The message for a loss made by a built-in, or by no operation at all (a new leaf tensor), else None."""
    if not graph:
        return (
            f"the {head} loss has the right value but was computed by no torch operation: it is a new tensor "
            "(torch.tensor(..., requires_grad=True)?), not connected to the outputs, so .backward() gives them no "
            f"gradient. Compute it from the outputs ({write})."
        )
    used = [_BUILT_INS[name] for name in graph if name in _BUILT_INS]
    if not used:
        return None
    return (
        f"the {head} loss is right, but it is computed by {used[0]}, a built-in loss; the exercise asks you to write "
        f"it with torch's elementwise operations ({write}). The cell after the checkers compares yours with it."
    )


def _check_tensor(got, head: str) -> str | None:
    """The message when ``got`` is not a torch scalar carrying a gradient."""
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    if not isinstance(got, Tensor):
        return (
            f"the {head} loss is {describe(got)}, not a torch tensor. Training calls .backward() on it: compute it "
            "with torch operations on the tensors you are given (no numpy, no .item(), no float(...))."
        )
    if not got.requires_grad:
        return (
            f"the {head} loss carries no gradient (requires_grad is False): it was cut off from the outputs "
            "(.detach(), .numpy(), .item() or a new torch.tensor(...)). Compute it from the outputs with torch "
            "operations."
        )
    if got.array.shape != ():
        return (
            f"the {head} loss must be one number, the mean over the batch, got shape {got.array.shape}: one loss per "
            "example. Take the mean (.mean())."
        )
    return None


def _softplus(z):
    return np.logaddexp(0.0, z)


def _log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _judge_gaussian(case, got):
    mu, y = (np.asarray(a, dtype=np.float64) for a in case)
    message = _check_tensor(got, "Gaussian")
    if message:
        return message
    answers = _gaussian_answers(mu, y)
    return compare(
        got,
        answers["loss"],
        f"μ and y of {len(y)} examples",
        what="the Gaussian loss",
        rtol=1e-5,
        atol=1e-7,
        mistakes=answers["mistakes"],
    )


@oracle
def _gaussian_answers(mu, y):
    """The right loss and each known mistake's, on one case (plain data)."""
    squared = (y - mu) ** 2
    return dict(
        loss=0.5 * squared.mean(),
        mistakes={
            "the ½ is missing: the Gaussian NLL with σ = 1 is ½ (y − μ)² plus a constant. (The lecture's squared loss "
            "(o − y)² is twice it: the same minimum, but the exercise asks for the NLL, the pipeline's loss.)": (
                squared.mean()
            ),
            "the squared errors are summed over the batch. The lecture's L(θ) sums over examples; training here "
            "averages (it divides the step by B, notebook 04): take the mean.": 0.5 * squared.sum(),
            "the lecture's squared loss summed: take ½ of it and the mean over the batch.": squared.sum(),
            "the constant ½ log 2π is included; drop it (it does not change the gradient).": (
                0.5 * squared.mean() + 0.5 * np.log(2 * np.pi)
            ),
        },
    )  # fmt: skip


def _judge_bernoulli(case, got):
    z, y = (np.asarray(a, dtype=np.float64) for a in case)
    got, graph = _unwrap(got)
    message = _check_tensor(got, "Bernoulli")
    if message:
        return message
    answers = _bernoulli_answers(z, y)
    per = answers["per"]
    got_value = float(got.array)
    if not np.isfinite(got_value):
        return _not_finite_bernoulli(got_value, float(np.abs(z).max()), graph)
    message = compare(
        got, per.mean(), f"{len(z)} logits (largest |z| {np.abs(z).max():.0f})", what="the Bernoulli loss",
        rtol=1e-5, atol=1e-6, mistakes=answers["mistakes"],
    )  # fmt: skip
    if message and "Likely mistake" not in message:
        message += _capped(got_value, per, z, "log σ(z) or log(1 − σ(z))", "log(1 + e^z) − y·z (F.softplus)")
    return message or _built_in(graph, "Bernoulli", "F.softplus(z) − y * z, then .mean()")


@oracle
def _bernoulli_answers(z, y):
    """The right per-example losses and each known mistake's loss, on one case (plain data)."""
    per = _softplus(z) - y * z
    sigma = 1 / (1 + np.exp(-z))
    with np.errstate(all="ignore"):
        clamped = -(y * np.maximum(np.log(sigma), -100) + (1 - y) * np.maximum(np.log1p(-sigma), -100))
    return dict(
        per=per,
        mistakes={
            "the sigmoid is applied twice: the formula (or binary_cross_entropy_with_logits) takes the logit z itself, "
            "not σ(z).": (_softplus(sigma) - y * sigma).mean(),
            "the (1 − y) log(1 − σ(z)) term is missing: the Bernoulli NLL is −y log σ(z) − (1 − y) log(1 − σ(z)).": (
                (y * _softplus(-z)).mean()
            ),
            "the losses are summed over the batch: take the mean, as training here does.": per.sum(),
            "log(σ(z)) was clipped at −100 (as F.binary_cross_entropy on probabilities does), which is wrong for large "
            "|z|: use the logit form log(1 + e^z) − y·z.": clamped.mean(),
            "the sign is flipped: the negative log-likelihood is −log p, a number ≥ 0.": -per.mean(),
            "the sign of the y·z term is flipped: −log σ(z) = log(1 + e^z) − z, so the loss is log(1 + e^z) − y·z.": (
                _softplus(z) + y * z
            ).mean(),
            "the labels are swapped: σ(z) is the probability of y = 1, so y = 1 must pay −log σ(z) and y = 0 "
            "−log(1 − σ(z)).": (_softplus(z) - (1 - y) * z).mean(),
        },
    )  # fmt: skip


def _not_finite_bernoulli(got_value: float, largest: float, graph: list[str]) -> str:
    """Which overflow made the loss inf or nan, told apart by the operations that computed it."""
    stable = "Use the stable form log(1 + e^z) − y·z, with F.softplus(z) (or torch.logaddexp) for log(1 + e^z)."
    if "ExpBackward0" in graph and "SigmoidBackward0" not in graph:
        return (
            f"for logits up to |z| = {largest:.0f} the Bernoulli loss is {got_value}: e^z overflows (float32 holds "
            "numbers up to about 3.4e38, so e^z is inf once z > 88.7), and log(1 + e^z) of inf is inf. Nothing "
            f"rounded to 0 here: the exp overflowed. {stable} It computes log(1 + e^z) as max(z, 0) + "
            "log(1 + e^(−|z|)), whose exp never overflows."
        )
    return (
        f"for logits up to |z| = {largest:.0f} the Bernoulli loss is {got_value}: log(σ(z)) or log(1 − σ(z)) of a "
        f"probability that rounded to 0 gives −inf. {stable}"
    )


def _capped(got_value: float, per: np.ndarray, z: np.ndarray, what: str, stable: str) -> str:
    """The hint for a finite loss below the NLL, the mark of a clamp or an ε inside the log."""
    expected = per.mean()
    if np.abs(z).max() >= 100 and got_value < expected - 1:
        return (
            f" Likely mistake: the loss is too small on the confidently wrong logits: a clamp or an ε inside {what} "
            f"caps each example's loss at about −log ε, but the true loss grows with |z| (here up to {per.max():.0f}). "
            f"Use the stable form {stable}, with no ε."
        )
    if 0 < expected - got_value < 1e-3 * max(1.0, expected):
        return (
            f" Likely mistake: the loss is slightly below the NLL: an ε added inside {what} (or a clamp of the "
            f"probabilities) changes it. The stable form {stable} needs no ε."
        )
    return ""


# --- cases --------------------------------------------------------------------------------------------


def _regression_cases(rng, batches):
    return [(rng.normal(size=b).astype(np.float32), rng.normal(size=b).astype(np.float32)) for b in batches]


def _binary_cases(rng, batches, large: float):
    cases = []
    for b in batches:
        z = (3 * rng.normal(size=b)).astype(np.float32)
        cases.append((z, rng.integers(0, 2, b).astype(np.float32)))
    # confident answers, right and wrong: a naive log(σ(z)) gives −inf in float32 here
    z = np.array([large, -large, large, -large, 2.0], dtype=np.float32)
    cases.append((z, np.array([0, 1, 1, 0, 1], dtype=np.float32)))
    return cases


_EXPLAIN = "on batches of 4 and 64 and on large logits"

EXERCISES = [
    Exercise(
        number="9.1",
        target="gaussian_loss",
        cases=lambda: _regression_cases(np.random.default_rng(91), (4, 64)),
        fresh=lambda rng: _regression_cases(rng, (7, 33)),
        judge=_judge_gaussian,
        call=_call,
        passed="Exercise {number}: the Gaussian loss is right on batches of 4 and 64.",
        fallback="course_utils.instructor.exercises.nb09.gaussian_loss",
    ),
    Exercise(
        number="9.2",
        target="bernoulli_loss",
        cases=lambda: _binary_cases(np.random.default_rng(92), (4, 64), 150.0),
        fresh=lambda rng: _binary_cases(rng, (9, 31), float(rng.uniform(120, 200))),
        judge=_judge_bernoulli,
        call=_call_graph,
        passed=f"Exercise {{number}}: the Bernoulli loss is right {_EXPLAIN}.",
        references=("course_utils.losses.bernoulli_nll",),
        fallback="course_utils.instructor.exercises.nb09.bernoulli_loss",
    ),
]
