"""Exercise 4.1 (notebook 04, SGD): one SGD step with weight decay on the weights, not on the biases."""

from __future__ import annotations

import numpy as np

from course_utils.exercises.core import Exercise, compare, describe

__all__ = ["EXERCISES"]

_NAMES = ("W", "b", "V", "c")
_SHAPES = {"W": (3, 4), "b": (3,), "V": (2, 3), "c": (2,)}


def _cases_from(rng, settings, shapes=_SHAPES):
    return [
        (
            {k: rng.normal(size=shape) for k, shape in shapes.items()},
            {k: rng.normal(size=shape) for k, shape in shapes.items()},
            lr,
            decay,
        )
        for lr, decay in settings
    ]


def _step(params, grads, lr, decay, *, sign=1.0, decay_biases=False, decay_sign=1.0, scale=True):
    """θ − η(g + λθ) on W and V, θ − ηg on b and c; the keywords give the typical mistakes."""
    new = {}
    for k in _NAMES:
        term = decay * params[k] if (k in ("W", "V") or decay_biases) else 0.0
        new[k] = params[k] - sign * lr * grads[k] - (lr if scale else 1.0) * decay_sign * term
    return new


_MISTAKES = {
    "the step goes uphill: subtract η·gradient, do not add it.": {"sign": -1.0, "decay_sign": -1.0},
    "weight decay is applied to the biases too; this notebook decays only W and V.": {"decay_biases": True},
    "weight decay has the wrong sign: it pulls weights towards 0, θ − ηλθ.": {"decay_sign": -1.0},
    "the decay is not multiplied by the step size: θ ← θ − η(g + λθ).": {"scale": False},
}


def _judge(case, got):
    params, grads, lr, decay = case
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    if not isinstance(got, dict) or set(got) != set(_NAMES):
        return f"return a dict with keys W, b, V, c; got {describe(got)}."
    expected = _step(*case)
    for name in _NAMES:
        wrong = {s: (lambda kw=kw, n=name: _step(*case, **kw)[n]) for s, kw in _MISTAKES.items()}
        message = compare(
            got[name], expected[name], f"lr={lr}, weight_decay={decay}", what=f"the new {name}",
            mistakes=wrong, rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        if message:
            return message
    return None


EXERCISES = [
    Exercise(
        number="4.1",
        target="sgd_step",
        cases=lambda: _cases_from(np.random.default_rng(41), ((0.1, 0.0), (0.1, 0.01), (0.5, 0.3))),
        fresh=lambda rng: _cases_from(
            rng, ((0.05, 0.1), (1.0, 0.02)), {"W": (4, 2), "b": (4,), "V": (3, 4), "c": (3,)}
        ),
        judge=_judge,
    )
]
