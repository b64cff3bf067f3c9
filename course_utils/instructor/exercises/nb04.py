"""Exercises 4.1-4.2 (notebook 04, SGD): one SGD step with weight decay (on the weights, not on the biases),
and an initialisation that breaks the symmetry; 4.3, counting the hidden units that are still distinct, is
in ``nb04b``.

``sgd_step`` is the course's version the notebook falls back on; 4.2 falls back on
``course_utils.mlp.init_params``.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.checking import Exercise, as_array, compare, describe
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "sgd_step"]

_NAMES = ("W", "b", "V", "c")
_SHAPES = {"W": (3, 4), "b": (3,), "V": (2, 3), "c": (2,)}
_TOLERANCE = 1e-9  # units closer than this count as the same unit (rounding, not learning, separates them)


# --- 4.1 · one SGD step -----------------------------------------------------------------------------


@oracle
def _step(params, grads, lr, decay, *, sign=1.0, decay_biases=False, decay_sign=1.0, scale=True, factor=1.0, frozen=()):
    """θ − η'(g + λ'θ) on W and V, θ − η'g on the biases; the keywords give the typical mistakes."""
    new = {}
    for k, value in params.items():
        term = factor * decay * value if (k in ("W", "V") or decay_biases) else 0.0
        new[k] = value if k in frozen else value - sign * lr * grads[k] - (lr if scale else 1.0) * decay_sign * term
    return new


def sgd_step(params: dict, grads: dict, lr: float, weight_decay: float) -> dict:
    """The course's SGD step (the fallback) by torch.optim.SGD, weight decay on W and V only; a new dict."""
    new = {}
    for name, value in params.items():
        tensor = torch.tensor(np.ascontiguousarray(value), requires_grad=True)
        tensor.grad = torch.tensor(np.ascontiguousarray(grads[name])).to(tensor.dtype)
        torch.optim.SGD([tensor], lr=lr, weight_decay=weight_decay if name in ("W", "V") else 0.0).step()
        new[name] = tensor.detach().numpy().copy()
    return new


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


_STEP_MISTAKES = {
    "the step goes uphill: subtract η·gradient, do not add it.": {"sign": -1.0, "decay_sign": -1.0},
    "weight decay is applied to the biases too; this notebook decays only W and V.": {"decay_biases": True},
    "weight decay has the wrong sign: Ω = ½‖θ‖² has gradient θ, and stepping against it pulls weights towards 0.": {
        "decay_sign": -1.0
    },
    "the weight decay term is missing: besides the loss's gradient, W and V each take a step against "
    "∇Ω(θ) = θ, scaled by λ' (weight_decay).": {"factor": 0.0},
    "the biases did not move: weight decay skips b and c, but the loss's gradient step applies to all four "
    "arrays (θ − η'g for b and c).": {"frozen": ("b", "c")},
    "the decay term is half as large as it should be: the gradient of Ω = ½‖θ‖² is θ (the ½ cancels the 2 "
    "of the square), so the term is λ'θ, not ½λ'θ.": {"factor": 0.5},
    "the decay is not multiplied by the step size: in the mean form η' multiplies the whole gradient of "
    "the objective, the loss's and the regulariser's.": {"scale": False},
}


def _judge_step(case, got):
    params, grads, lr, decay = case
    if got is None:
        return "your function returned None. Did you forget the `return` statement?"
    if not isinstance(got, dict) or set(got) != set(_NAMES):
        return f"return a dict with keys W, b, V, c; got {describe(got)}."
    expected = _step(*case)
    for name in _NAMES:
        wrong = {s: (lambda kw=kw, n=name: _step(*case, **kw)[n]) for s, kw in _STEP_MISTAKES.items()}
        message = compare(
            got[name], expected[name], f"lr={lr}, weight_decay={decay}", what=f"the new {name}",
            mistakes=wrong, rtol=1e-10, atol=1e-12,
        )  # fmt: skip
        if message:
            return message
    return None


# --- 4.2 · an initialisation that breaks the symmetry -----------------------------------------------


def _call_init(init_params, case):
    """Kernel side: the student's init_params twice with the same seed, once with another."""
    n_in, n_hidden, n_out, seed = case
    return tuple(init_params(n_in, n_hidden, n_out, np.random.default_rng(s)) for s in (seed, seed, seed + 1))


def _arrays(params, what):
    if params is None:
        return f"your function returned None{what}. Did you forget the `return` statement?"
    if not isinstance(params, dict) or set(params) != set(_NAMES):
        return f"return a dict with keys W, b, V, c (as the course's MLP); got {describe(params)}{what}."
    arrays = {k: as_array(v, f"params[{k!r}]") for k, v in params.items()}
    bad = next((k for k, a in arrays.items() if not isinstance(a, str) and not np.isfinite(a).all()), None)
    bad = f"params[{bad!r}] holds nan or inf{what}: every weight must be a finite number." if bad else None
    return next((a for a in arrays.values() if isinstance(a, str)), bad or arrays)


def _scale_message(name, w, fan_in, fan_out, n_in):
    """None if the std of ``w`` is 1/sqrt(fan_in) within 10 %, else what is wrong with it."""
    std, target = float(w.std()), 1 / np.sqrt(fan_in)
    if abs(std / target - 1) <= 0.1:
        return None
    known = {
        "the weights are not scaled: standard deviation 1 makes each pre-activation about √fan-in times "
        "larger than its inputs.": 1.0,
        f"the scale uses the fan-out ({fan_out}, the units the layer feeds) instead of the fan-in ({fan_in}, "
        "the inputs each unit sums over).": 1 / np.sqrt(fan_out),
        "the standard deviation is 1/fan-in; it is the *variance* that should be 1/fan-in, so the standard "
        "deviation is 1/√fan-in.": 1 / fan_in,
        "these look like uniform weights on ±1/√fan-in, whose standard deviation is only 1/√(3·fan-in); widen "
        "the interval to ±√3/√fan-in, or draw from a normal distribution.": 1 / np.sqrt(3 * fan_in),
    }
    known["√(2/fan-in) is He initialisation (beyond the lecture): it keeps the *outputs* of ReLUs at the "
          "inputs' scale; this exercise asks for the *pre-activations* at the inputs' scale, 1/√fan-in."] = np.sqrt(
        2 / fan_in
    )  # fmt: skip
    known["√(2/(fan-in + fan-out)) is Glorot (Xavier) initialisation (beyond the lecture), a compromise "
          "between the forward and the backward pass; this exercise asks for 1/√fan-in."] = np.sqrt(
        2 / (fan_in + fan_out)
    )  # fmt: skip
    if name == "V":
        known[f"V is scaled with the first layer's fan-in ({n_in}); V's units each sum over the {fan_in} hidden "
              "units."] = 1 / np.sqrt(n_in)  # fmt: skip
    closest = min(known, key=lambda s: abs(np.log(std / known[s])))
    hint = f" Likely mistake: {closest}" if abs(std / known[closest] - 1) <= 0.1 else ""
    return (
        f"{name} has standard deviation {std:.4g}; expected 1/√fan-in = 1/√{fan_in} = {target:.4g} (within 10 %).{hint}"
    )


def _judge_init(case, got):
    n_in, n_hidden, n_out, _ = case
    sizes = f"init_params({n_in}, {n_hidden}, {n_out}, rng)"
    first, again, other = got
    arrays = _arrays(first, "")
    if isinstance(arrays, str):
        return arrays
    layout = {"W": (n_hidden, n_in, "hidden unit j", "input"), "V": (n_out, n_hidden, "output unit k", "hidden unit")}
    shapes = {"W": (n_hidden, n_in), "b": (n_hidden,), "V": (n_out, n_hidden), "c": (n_out,)}
    for name, shape in shapes.items():
        got_shape = arrays[name].shape
        if got_shape == shape:
            continue
        if name in layout and got_shape == shape[::-1]:
            rows, cols, unit, source = layout[name]
            return (
                f"for {sizes}, {name} has shape {got_shape}; the lecture's layout is ({rows}, {cols}): row j holds "
                f"the weights into {unit}, one column per {source}. Swap the two sizes."
            )
        return f"for {sizes}, {name} has shape {got_shape}, expected {shape}."
    for name in ("b", "c"):
        if np.any(arrays[name] != 0):
            return (
                f"for {sizes}, the bias {name} is not zero. Biases start at 0: the random weights already make "
                "the units different, and a zero bias keeps each pre-activation centred."
            )
    for name, fan_in, fan_out in (("W", n_in, n_hidden), ("V", n_hidden, n_out)):
        w = arrays[name]
        if np.all(w == w.flat[0]):
            return (
                f"for {sizes}, every entry of {name} is {w.flat[0]:g}: all hidden units start identical, get "
                "identical gradients and stay identical. Draw each weight at random."
            )
        if w.size < 500:  # too few numbers to measure a mean and a standard deviation
            continue
        mean, spread = float(w.mean()), float(w.std())
        if abs(mean) > 0.2 * spread:
            return (
                f"for {sizes}, the entries of {name} have mean {mean:.3g} (standard deviation {spread:.3g}): draw "
                "them around 0, half positive, half negative (rng.random() lies in [0, 1))."
            )
        message = _scale_message(name, w, fan_in, fan_out, n_in)
        if message:
            return f"for {sizes}, {message}"
    again_arrays, other_arrays = _arrays(again, " on a second call"), _arrays(other, " on a second call")
    for extra in (again_arrays, other_arrays):
        if isinstance(extra, str):
            return extra
    if any(not np.array_equal(arrays[k], again_arrays[k]) for k in ("W", "V")):
        return (
            "two calls with generators made from the same seed gave different weights: draw every random number "
            "from the `rng` you are given (rng.normal(...)), not from np.random or torch."
        )
    if all(np.array_equal(arrays[k], other_arrays[k]) for k in ("W", "V")):
        return (
            "generators made from different seeds gave the same weights: do not seed a generator of your own "
            "inside the function; draw from the `rng` you are given."
        )
    return None


# --- 4.3 · how many hidden units are still distinct -------------------------------------------------


EXERCISES = [
    Exercise(
        number="4.1",
        target="sgd_step",
        cases=lambda: _cases_from(np.random.default_rng(41), ((0.1, 0.0), (0.1, 0.01), (0.5, 0.3))),
        fresh=lambda rng: _cases_from(
            rng, ((0.05, 0.1), (1.0, 0.02)), {"W": (4, 2), "b": (4,), "V": (3, 4), "c": (3,)}
        ),
        judge=_judge_step,
        fallback="course_utils.instructor.exercises.nb04.sgd_step",
    ),
    Exercise(
        number="4.2",
        target="init_params",
        cases=lambda: [(3, 2, 1, 0), (600, 150, 20, 1), (784, 256, 10, 2), (49, 32, 10, 3)],
        fresh=lambda rng: [
            (int(rng.integers(400, 900)), int(rng.integers(100, 200)), int(rng.integers(10, 30)), int(rng.integers(99)))
            for _ in range(3)
        ],
        judge=_judge_init,
        call=_call_init,
        fallback="course_utils.mlp.init_params",
    ),
]
