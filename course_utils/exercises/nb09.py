"""Exercise 9.1 (notebook 09, CNN pipelines): the three heads' negative log-likelihoods as torch losses."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, Tensor, describe

__all__ = ["EXERCISES"]

_HEADS = ("Gaussian (regression)", "Bernoulli (binary)", "Categorical (multiclass)")


def _call(head_losses, case):
    """Kernel side: the arrays become torch tensors, the outputs with requires_grad (as in training)."""
    import torch

    outputs, targets = case
    return head_losses(torch.tensor(outputs, requires_grad=True), torch.tensor(targets))


def _reference(outputs, targets):
    import torch
    import torch.nn.functional as F

    outputs, targets = torch.tensor(outputs), torch.tensor(targets)
    mu, z, logits = outputs[:, 0], outputs[:, 1], outputs[:, 2:]
    y, b, k = targets[:, 0], targets[:, 1], targets[:, 2].long()
    right = (0.5 * F.mse_loss(mu, y), F.binary_cross_entropy_with_logits(z, b), F.cross_entropy(logits, k))
    mistakes = (
        {
            "the ½ is missing: the Gaussian NLL with σ = 1 is ½ (y − μ)² (plus a constant we drop).": F.mse_loss(mu, y),
            "the squared errors are summed over the batch; take the mean, as the other two heads do.": (
                0.5 * ((y - mu) ** 2).sum()
            ),
            "the constant ½ log 2π is included; this notebook drops it (it does not change the gradient).": (
                0.5 * F.mse_loss(mu, y) + 0.5 * np.log(2 * np.pi)
            ),
        },
        {
            "the sigmoid is applied twice: binary_cross_entropy_with_logits takes the logit z itself.": (
                F.binary_cross_entropy_with_logits(torch.sigmoid(z), b)
            ),
            "the Bernoulli NLL is −y log σ(z) − (1 − y) log(1 − σ(z)); the (1 − y) term is missing.": (
                -(b * F.logsigmoid(z)).mean()
            ),
        },
        {
            "softmax is applied before cross_entropy, which applies log-softmax itself.": (
                F.cross_entropy(torch.softmax(logits, dim=1), k)
            ),
            "the class logits are columns 2 to 11 (outputs[:, 2:]); columns 0 and 1 belong to the other heads.": (
                F.cross_entropy(outputs[:, :10], k)
            ),
        },
    )
    return [float(v) for v in right], [{s: float(v) for s, v in m.items()} for m in mistakes]


def _judge(case, got):
    batch = len(case[0])
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        return f"return the three losses as a tuple (gaussian, bernoulli, categorical), got {describe(got)}."
    right, mistakes = _reference(*case)
    for name, value, expected, wrong in zip(_HEADS, got, right, mistakes, strict=True):
        if not isinstance(value, Tensor):
            return (
                f"the {name} loss is {describe(value)}, not a torch tensor. Training calls .backward() on it: compute "
                "it with torch operations on the tensors you are given (no numpy, no .item())."
            )
        if not value.requires_grad:
            return (
                f"the {name} loss carries no gradient (requires_grad is False): it was cut off from the outputs "
                "(.detach(), .item() or a new torch.tensor(...)). Compute it from `outputs` with torch operations."
            )
        if value.array.shape != ():
            return f"the {name} loss must be one number (a mean over the batch), got shape {value.array.shape}."
        number = float(value.array)
        if not np.isclose(number, expected, rtol=1e-5, atol=1e-6):
            hint = next((why for why, v in wrong.items() if np.isclose(number, v, rtol=1e-5)), "")
            message = f"for a batch of {batch}, the {name} loss is {number:.6g}, expected {expected:.6g}."
            return message + (f" Likely mistake: {hint}" if hint else "")
    return None


def _cases_from(rng, batches):
    cases = []
    for batch in batches:
        outputs = (2 * rng.normal(size=(batch, 12))).astype(np.float32)
        targets = np.stack(
            [rng.normal(size=batch), rng.integers(0, 2, batch), rng.integers(0, 10, batch)], axis=1
        ).astype(np.float32)
        cases.append((outputs, targets))
    return cases


EXERCISES = [
    Exercise(
        number="9.1",
        target="head_losses",
        cases=lambda: _cases_from(np.random.default_rng(9), (4, 64)),
        fresh=lambda rng: _cases_from(rng, (7, 33)),
        judge=_judge,
        call=_call,
        passed="Exercise 9.1: all three losses are right on batches of 4 and 64.",
    )
]
