"""Exercises 4.1-4.3 (notebook 04, SGD): one SGD step with weight decay (on the weights, not on the biases),
an initialisation that breaks the symmetry, and counting the hidden units that are still distinct.

``sgd_step`` and ``count_distinct_units`` are the course's versions the notebook falls back on; 4.2 falls
back on ``course_utils.mlp.init_params``.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.checking import Exercise, as_array, compare, describe
from course_utils.checking.oracle import oracle

__all__ = ["EXERCISES", "sgd_step", "count_distinct_units"]

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


def _distinct(rows, exact=False):
    kept = []
    for row in rows:
        same = (lambda r, row=row: np.array_equal(r, row)) if exact else (
            lambda r, row=row: np.allclose(r, row, rtol=0, atol=_TOLERANCE)
        )  # fmt: skip
        if not any(map(same, kept)):
            kept.append(row)
    return len(kept)


def count_distinct_units(params: dict) -> int:
    """The course's answer: hidden units that differ in their row of W, their bias or their column of V."""
    W, V = np.asarray(params["W"]), np.asarray(params["V"])
    b = np.asarray(params.get("b", np.zeros(len(W))))
    return _distinct(np.column_stack([W, b, V.T]))


def _units_cases():
    rng = np.random.default_rng(43)
    W, b, V, c = rng.normal(size=(10, 11)), rng.normal(size=10), rng.normal(size=(3, 10)), rng.normal(size=3)
    W[:, 3] = W[:, 1]  # two inputs with the same weights: columns are not units
    W[1], b[1], V[:, 1] = W[0], b[0], V[:, 0]  # unit 1 is a copy of unit 0
    W[2] = W[0]  # unit 2: same incoming weights as unit 0, but its own bias and outgoing weights
    W[3], b[3] = W[0], b[0]  # unit 3: same incoming weights and bias as unit 0, its own outgoing weights
    W[5], b[5], V[:, 5] = W[4] + 1e-13, b[4], V[:, 4]  # unit 5 = unit 4 up to rounding
    W[6], b[6], V[:, 6] = W[4], b[4], V[:, 4]  # unit 6 is a copy of unit 4
    W[7] = W[4]  # unit 7: same incoming weights as unit 4 only
    W[8], V[:, 8] = W[4], V[:, 4]  # unit 8: differs from unit 4 only in its bias
    W[9], b[9] = W[4], b[4]  # unit 9: differs from unit 4 only in its outgoing weights
    mixed = {"W": W, "b": b, "V": V, "c": c}
    zeros = {"W": np.zeros((32, 49)), "b": np.zeros(32), "V": np.zeros((10, 32)), "c": np.zeros(10)}
    same = {"W": np.full((8, 3), 0.1), "b": np.zeros(8), "V": np.full((2, 8), 0.1), "c": np.zeros(2)}
    fresh = {"W": rng.normal(size=(7, 4)), "b": np.zeros(7), "V": rng.normal(size=(2, 7)), "c": np.zeros(2)}
    return [(mixed,), (zeros,), (same,), (fresh,)]


def _fresh_units(rng):
    cases = []
    for hidden, inputs, outputs in ((12, 15, 3), (14, 17, 2)):  # more inputs than units: columns are no units
        W, b, V = rng.normal(size=(hidden, inputs)), rng.normal(size=hidden), rng.normal(size=(outputs, hidden))
        pairs = rng.choice(hidden, size=(6, 2), replace=False)
        (a, z), (a2, z2), (a3, z3), (a4, z4), (a5, z5), (a6, z6) = pairs
        W[z5], V[:, z5] = (
            W[a5],
            V[:, a5],
        )  # only the bias differs (twice, so that no other mistake gives the same count)
        W[z6], V[:, z6] = W[a6], V[:, a6]
        W[z], b[z], V[:, z] = W[a], b[a], V[:, a]  # a copy
        W[z2] = W[a2]  # same incoming weights only
        W[z3], b[z3] = W[a3], b[a3]  # same incoming weights and bias
        W[z4], b[z4], V[:, z4] = W[a4] * (1 + 1e-14), b[a4], V[:, a4]  # a copy up to rounding
        cases.append(({"W": W, "b": b, "V": V, "c": np.zeros(outputs)},))
    return cases


def _judge_units(case, got):
    (params,) = case
    W, b, V = params["W"], params["b"], params["V"]
    if isinstance(got, (np.ndarray, list, tuple)) and np.ndim(got) > 0:
        return f"return the number of distinct hidden units (one int), not the units themselves; got {describe(got)}."
    rows_only_exact, copies = _distinct(W, exact=True), len(W) - count_distinct_units(params)
    exact_rows = (
        "b and V are left out and the comparison is exact: np.unique(W, axis=0) counts the distinct rows of W with "
        "==, but a unit is its row of W, its bias b_j and its column of V, and units that differ only by rounding "
        "(1e-13) are one (compare with np.allclose(..., rtol=0, atol=1e-9))."
    )
    counted_copies = "you counted the copies (units equal to an earlier one), not the distinct units."
    return compare(
        got,
        count_distinct_units(params),
        f"W {W.shape}, b {b.shape}, V {V.shape}",
        what="the number of distinct hidden units",
        mistakes={
            # where both give the same count, both are named: the count alone cannot tell them apart
            **({f"either {exact_rows[:-1]}; or {counted_copies}": copies} if rows_only_exact == copies else {}),
            exact_rows: rows_only_exact,
            "you compared the columns of W, which belong to the inputs; in the lecture's layout W is "
            "(hidden units, inputs) and row j holds the weights into hidden unit j.": lambda: _distinct(W.T),
            "only the incoming weights (rows of W) are compared; a unit also has its bias b_j and its outgoing "
            "weights (column j of V): two units that differ there compute different things.": lambda: _distinct(W),
            "the incoming weights and the bias are compared, but not the outgoing weights (column j of V, "
            "whose shape is (outputs, hidden units)).": lambda: _distinct(np.column_stack([W, b])),
            "the incoming and outgoing weights are compared, but not the bias b_j: two units that differ only "
            "in their bias switch on for different inputs.": lambda: _distinct(np.column_stack([W, V.T])),
            "the comparison is exact (==); units that differ only by rounding (1e-13) count as one: compare "
            "with a tolerance, np.allclose(..., rtol=0, atol=1e-9).": lambda: _distinct(
                np.column_stack([W, b, V.T]), exact=True
            ),
            counted_copies: copies,
        },
        rtol=0,
        atol=0,
    )


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
    Exercise(
        number="4.3",
        target="count_distinct_units",
        cases=_units_cases,
        fresh=_fresh_units,
        judge=_judge_units,
        fallback="course_utils.instructor.exercises.nb04.count_distinct_units",
    ),
]
