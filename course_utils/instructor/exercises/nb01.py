"""Exercises 1.1-1.3 (notebook 01, the MLP forward pass).

1.1 the lecture's network by hand (a value); 1.2 the output function o for a task (a value);
1.3 the forward pass for a batch, F = relu(X Wᵀ + b) Vᵀ + c (a function, with a fallback).
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, as_array, compare, describe

__all__ = ["EXERCISES", "forward_cases", "forward_batch", "HAND_X", "HAND_WEIGHTS", "HAND_V", "OUTPUT_TASKS"]


def _relu(a):
    return np.maximum(a, 0)


# --- 1.1 · by hand --------------------------------------------------------------------------------

HAND_X = (1.0, 2.0, -1.0)
# The lecture's names: w_ij joins input i to hidden unit j. Listed in the notebook in this order.
HAND_WEIGHTS = {"w11": 1.0, "w12": 0.5, "w21": 0.5, "w22": -1.0, "w31": 1.0, "w32": 0.5}
HAND_V = (2.0, -1.0)


def _hand_truth():
    w = HAND_WEIGHTS
    W = np.array([[w["w11"], w["w21"], w["w31"]], [w["w12"], w["w22"], w["w32"]]])  # row j: into hidden unit j
    a = W @ np.array(HAND_X)
    return W, a, _relu(a), float(np.array(HAND_V) @ _relu(a))


_HAND_TOLERANCE = 5e-3  # hand-written numbers are rounded (σ(2) written as 0.8808 is still σ(2))


def _hand_compare(got, expected, what, mistakes):
    """None if ``got`` is ``expected`` (to hand rounding), else a message that never states the expected value.

    1.1 is done by hand: a message with the right number in it would give the answer away.
    """
    array = as_array(got, what)
    if isinstance(array, str):
        return array
    expected = np.asarray(expected, dtype=np.float64)
    if expected.shape == () and array.size == 1:
        array = array.reshape(())
    if array.shape != expected.shape:
        count = "a single number" if expected.shape == () else f"{expected.size} numbers"
        return f"{what} should be {count}; yours has shape {array.shape}."
    if np.allclose(array, expected, rtol=_HAND_TOLERANCE, atol=_HAND_TOLERANCE):
        return None
    where = ""
    if expected.shape:
        wrong = [
            f"{what}_{i + 1}"
            for i in range(expected.size)
            if not np.isclose(array[i], expected[i], rtol=_HAND_TOLERANCE, atol=_HAND_TOLERANCE)
        ]
        right = [f"{what}_{i + 1}" for i in range(expected.size) if f"{what}_{i + 1}" not in wrong]
        where = f" ({', '.join(wrong)} wrong" + (f"; {', '.join(right)} right)" if right else ")")
    for sentence, value in mistakes.items():
        if np.shape(value) == array.shape and np.allclose(array, value, rtol=_HAND_TOLERANCE, atol=_HAND_TOLERANCE):
            return f"{what} is not right yet{where}. Likely mistake: {sentence}"
    return f"{what} is not right yet{where}: redo this step from the values of the step before it."


def _judge_hand(case, got):
    if not isinstance(got, dict) or not {"a", "h", "f"} <= set(got):
        return f'by_hand must be a dict {{"a": [a1, a2], "h": [h1, h2], "f": f}}; it is {describe(got)}.'
    empty = [key for key in ("a", "h", "f") if got[key] is None or got[key] is Ellipsis]
    if empty:
        return f"by_hand[{empty[0]!r}] has no value yet: write the number(s) there."
    W, a, h, f = _hand_truth()
    x, v = np.array(HAND_X), np.array(HAND_V)
    listed = np.array(list(HAND_WEIGHTS.values())).reshape(2, 3)  # the six numbers in the order listed
    got_a = as_array(got["a"], "a")
    if isinstance(got_a, str):
        return got_a
    if got_a.shape == (3,):
        return (
            "a has three entries, one per input. The network has two hidden units: a_j (j = 1, 2) sums over the "
            "three inputs i the weight w_ij (input i → hidden unit j) times x_i."
        )
    message = _hand_compare(
        got_a,
        a,
        "a",
        {
            "the weights are taken in the order they are listed (w11, w12, w21 into h1). The weights into hidden "
            "unit j are the w_ij with second index j: w_1j, w_2j, w_3j.": listed @ x,
            "the hidden units are swapped: a_1 collects the weights w_i1, into hidden unit 1.": a[::-1],
        },
    )
    if message:
        return message
    # h and f are judged from the student's own a and h: one slip is named once, at its own step
    mine_a = got_a
    message = _hand_compare(
        got["h"],
        _relu(mine_a),
        "h",
        {
            "the activation g is skipped: h = g(a) = ReLU(a) = max(a, 0), applied to each a_j.": mine_a,
            "g is the ReLU here, not the sigmoid: h_j = max(a_j, 0).": 1 / (1 + np.exp(-mine_a)),
            "ReLU keeps a positive a_j as it is and turns a negative one into 0 (it is not the absolute value).": (
                np.abs(mine_a)
            ),
        },
    )
    if message:
        return message
    mine_h = np.asarray(as_array(got["h"], "h"), dtype=np.float64)
    mine_f = float(v @ mine_h)
    return _hand_compare(
        got["f"],
        mine_f,
        "f",
        {
            "v_1 and v_2 are swapped: v_j weighs hidden unit j, f = v_1 h_1 + v_2 h_2.": float(v[::-1] @ mine_h),
            "f uses a, the values before the activation; the output reads h = g(a).": float(v @ mine_a),
            "o is the identity here: f is the score v_1 h_1 + v_2 h_2 itself, not σ of it.": 1 / (1 + np.exp(-mine_f)),
        },
    )


# --- 1.2 · the output function o for a task -------------------------------------------------------

OUTPUT_TASKS = {
    "house price": "identity",
    "spam or not": "sigmoid",
    "which digit": "softmax",
    "temperature": "identity",
    "sunny, cloudy or rainy": "softmax",
}
_CHOICES = ("identity", "sigmoid", "softmax")
_WHY = {
    ("identity", "sigmoid"): "σ squashes every score into (0, 1), and {task} is a real number outside that range: "
    "o = identity, the mean of the Gaussian.",
    ("identity", "softmax"): "softmax of one score is always exactly 1, whatever the input: o = identity for a "
    "real-valued label.",
    ("sigmoid", "identity"): "a score can be any real number (−3, or 7): not a probability. A yes/no label is "
    "Bernoulli, and σ turns one score into P(yes) in (0, 1).",
    ("sigmoid", "softmax"): "softmax over a single score is always exactly 1. With two scores (one per answer) "
    "softmax would work, but softmax of (f, 0) is σ(f): for one yes/no, σ of one score is the same model with "
    "half the outputs.",
    ("softmax", "sigmoid"): "one σ per class gives independent yes/no probabilities that need not add up to 1; "
    "{task} is one class out of several (Categorical), and softmax turns the K scores into such a distribution.",
    ("softmax", "identity"): "K scores are not probabilities: they can be negative and need not add up to 1. "
    "softmax makes them a distribution over the classes.",
}


def _judge_output(case, got):
    if not isinstance(got, dict):
        return f"output_function must be a dict {{task: one of {_CHOICES}}}; it is {describe(got)}."
    missing = [task for task in OUTPUT_TASKS if task not in got]
    if missing:
        return f"output_function has no entry for {missing}; it needs one for each of {list(OUTPUT_TASKS)}."
    wrong = []
    for task, right in OUTPUT_TASKS.items():
        answer = got[task]
        if not isinstance(answer, str) or answer.strip().lower() not in _CHOICES:
            return f"the answer for {task!r} must be one of the strings {_CHOICES}, not {describe(answer)}."
        if answer.strip().lower() != right:
            wrong.append((task, answer.strip().lower()))
    if not wrong:
        return None
    task, answer = wrong[0]
    why = _WHY[OUTPUT_TASKS[task], answer].format(task=f"'{task}'")
    return f"{len(wrong)} of {len(OUTPUT_TASKS)} tasks are wrong. {task!r}: not {answer}: {why}"


# --- 1.3 · the batch ------------------------------------------------------------------------------


def forward_batch(X, W, b, V, c):
    """The course's answer to 1.3 (its fallback): F (N, K) = relu(X Wᵀ + b) Vᵀ + c.

    X (N, D), W (H, D), b (H,), V (K, H), c (K,).
    """
    return _relu(X @ W.T + b) @ V.T + c


def forward_cases(rng: np.random.Generator, sizes=((3, 3, 3, 3), (1, 3, 2, 1), (5, 3, 2, 1), (4, 6, 5, 2))):
    """(X, W, b, V, c) cases of sizes (N, D, H, K); the square one first, so transposes give wrong values."""
    return [
        (
            rng.normal(size=(n, d)),
            rng.normal(size=(h, d)),
            rng.normal(size=h),
            rng.normal(size=(k, h)),
            rng.normal(size=k),
        )
        for n, d, h, k in sizes
    ]


def _judge(case, got):
    X, W, b, V, c = case
    return compare(
        got,
        _relu(X @ W.T + b) @ V.T + c,
        case,
        what="F",
        mistakes={
            "W is used transposed: with inputs as rows of X, row n must be (W x^n + b)ᵀ = (x^n)ᵀ Wᵀ + bᵀ (row j "
            "of W holds the weights into hidden unit j).": lambda: _relu(X @ W + b) @ V.T + c,
            "V is used transposed: row n of the output is (V h^n)ᵀ = (h^n)ᵀ Vᵀ.": lambda: _relu(X @ W.T + b) @ V + c,
            "the activation g is missing: apply relu to the hidden pre-activations before multiplying by V.": (
                lambda: (X @ W.T + b) @ V.T + c
            ),
            "relu is applied to the output as well; the output here is the identity.": (
                lambda: _relu(_relu(X @ W.T + b) @ V.T + c)
            ),
            "the bias b is added along the wrong axis: b has one entry per hidden unit, so it is added to "
            "every row (an (N, H) array plus a vector of length H broadcasts that way).": (
                lambda: _relu(X @ W.T + b[:, None]) @ V.T + c
            ),
            "the bias b is added after the activation: it belongs inside, relu(W x + b).": (
                lambda: (_relu(X @ W.T) + b) @ V.T + c
            ),
            "the bias b is missing.": lambda: _relu(X @ W.T) @ V.T + c,
            "the bias c is missing.": lambda: _relu(X @ W.T + b) @ V.T,
            "F is transposed: row n of F is the output for example n, so F has shape (N, K), not (K, N).": (
                lambda: (_relu(X @ W.T + b) @ V.T + c).T
            ),
            "σ is applied to the output; o is the identity here, so F holds the scores themselves.": (
                lambda: 1 / (1 + np.exp(-(_relu(X @ W.T + b) @ V.T + c)))
            ),
            "g is the ReLU here, max(a, 0), not tanh.": lambda: np.tanh(X @ W.T + b) @ V.T + c,
            "g is the ReLU here, max(a, 0), not the sigmoid.": lambda: 1 / (1 + np.exp(-(X @ W.T + b))) @ V.T + c,
        },
    )


def _fresh(rng):
    sizes = [(int(rng.integers(2, 7)), int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 4)))]
    sizes += [(4, 4, 4, 4), (int(rng.integers(5, 9)), 3, 2, 1)]
    return forward_cases(rng, sizes)


EXERCISES = [
    Exercise(
        number="1.1",
        target="by_hand",
        kind="value",
        cases=lambda: [()],
        fresh=lambda rng: [],
        judge=_judge_hand,
        passed="Exercise {number}: a, h and f are right.",
        references=("course_utils.mlp.mlp_forward",),
    ),
    Exercise(
        number="1.2",
        target="output_function",
        kind="value",
        cases=lambda: [()],
        fresh=lambda rng: [],
        judge=_judge_output,
        passed=f"Exercise {{number}}: all {len(OUTPUT_TASKS)} choices are right.",
        references=("course_utils.instructor.exercises.nb01.OUTPUT_TASKS",),
        all_or_nothing=True,
    ),
    Exercise(
        number="1.3",
        target="forward_batch",
        cases=lambda: forward_cases(np.random.default_rng(11)),
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.mlp.mlp_forward",),
        fallback="course_utils.instructor.exercises.nb01.forward_batch",
    ),
]
