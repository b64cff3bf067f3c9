"""Exercises 1.1-1.3 (notebook 01, the MLP forward pass).

1.1 the lecture's network by hand (a value); 1.2 the output function o for a task (a value);
1.3, the forward pass for a batch, is in nb01b.py.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, as_array, describe
from course_utils.checking.oracle import oracle
from course_utils.checking.sealed import seal, unseal

__all__ = ["EXERCISES", "HAND_X", "HAND_WEIGHTS", "HAND_V", "OUTPUT_TASKS"]


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
_LISTED = (
    "the weights are taken in the order they are listed (w11, w12, w21 into h1). The weights into hidden "
    "unit j are the w_ij with second index j: w_1j, w_2j, w_3j."
)
_SWAPPED = "the hidden units are swapped: a_1 collects the weights w_i1, into hidden unit 1."


@oracle
def _sealed_a():
    """1.1's a, sealed (the student edition holds no accepted a): the whole a, right or one of the two known
    mistakes, and each entry alone (right or not). Numbers on a grid of _HAND_TOLERANCE (see sealed.py)."""
    _, a, _, _ = _hand_truth()
    listed = np.array(list(HAND_WEIGHTS.values())).reshape(2, 3) @ np.array(HAND_X)  # in the order listed
    whole = seal("1.1 a", [(a, None), (listed, _LISTED), (a[::-1], _SWAPPED)], step=_HAND_TOLERANCE)
    return {"whole": whole, "entries": [seal(f"1.1 a_{i + 1}", [(a[i], None)], step=_HAND_TOLERANCE) for i in (0, 1)]}


def _hand_message(what, entries, mistake):
    """The message for a wrong ``what``: which entries are wrong (``entries``: name -> right?), the mistake."""
    where = ""
    if len(entries) > 1:
        wrong = [name for name, ok in entries.items() if not ok]
        good = [name for name, ok in entries.items() if ok]
        where = f" ({', '.join(wrong)} wrong" + (f"; {', '.join(good)} right)" if good else ")")
    if mistake:
        return f"{what} is not right yet{where}. Likely mistake: {mistake}"
    return f"{what} is not right yet{where}: redo this step from the values of the step before it."


def _hand_array(got, what, shape):
    """``got`` as a float array of ``shape`` (a one-element array for a single number), or the message."""
    array = as_array(got, what)
    if isinstance(array, str):
        return array
    if shape == () and array.size == 1:
        array = array.reshape(())
    if array.shape != shape:
        count = "a single number" if shape == () else f"{shape[0]} numbers"
        return f"{what} should be {count}; yours has shape {array.shape}."
    return np.asarray(array, dtype=np.float64)


def _hand_compare(got, expected, what, mistakes):
    """None if ``got`` is ``expected`` (to hand rounding), else a message that never states the expected value.

    1.1 is done by hand: a message with the right number in it would give the answer away. ``expected`` is
    computed from the student's own numbers of the step before (h from their a, f from their h).
    """
    expected = np.asarray(expected, dtype=np.float64)
    array = _hand_array(got, what, expected.shape)
    if isinstance(array, str):
        return array

    def close(x, y):
        return np.allclose(x, y, rtol=_HAND_TOLERANCE, atol=_HAND_TOLERANCE)

    if close(array, expected):
        return None
    entries = {
        f"{what}_{i + 1}": bool(close(array[i], expected[i])) for i in range(expected.size if expected.shape else 0)
    }
    found = [s for s, value in mistakes.items() if np.shape(value) == array.shape and close(array, value)]
    return _hand_message(what, entries if expected.shape else {}, found[0] if found else None)


def _judge_sealed_a(got_a):
    """None if the student's a is the sealed one, else the message (as _hand_compare words it)."""
    array = _hand_array(got_a, "a", (2,))
    if isinstance(array, str):
        return array
    tables = _sealed_a()
    found, mistake = unseal(tables["whole"], array)
    if found and mistake is None:
        return None
    entries = {f"a_{i + 1}": unseal(table, array[i]) == (True, None) for i, table in enumerate(tables["entries"])}
    return _hand_message("a", entries, mistake)


def _judge_hand(case, got):
    if not isinstance(got, dict) or not {"a", "h", "f"} <= set(got):
        return f'by_hand must be a dict {{"a": [a1, a2], "h": [h1, h2], "f": f}}; it is {describe(got)}.'
    empty = [key for key in ("a", "h", "f") if got[key] is None or got[key] is Ellipsis]
    if empty:
        return f"by_hand[{empty[0]!r}] has no value yet: write the number(s) there."
    v = np.array(HAND_V)
    got_a = as_array(got["a"], "a")
    if isinstance(got_a, str):
        return got_a
    if got_a.shape == (3,):
        return (
            "a has three entries, one per input. The network has two hidden units: a_j (j = 1, 2) sums over the "
            "three inputs i the weight w_ij (input i → hidden unit j) times x_i."
        )
    message = _judge_sealed_a(got_a)
    if message:
        return message
    # h and f are judged from the student's own a and h: one slip is named once, at its own step
    mine_a = np.asarray(got_a, dtype=np.float64)
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


def _hand_examples():
    """1.1's answer and its known mistakes (for tests/test_edition.py: both editions judge them alike)."""
    _, a, h, f = _hand_truth()
    listed = np.array(list(HAND_WEIGHTS.values())).reshape(2, 3) @ np.array(HAND_X)
    v = np.array(HAND_V)
    right = {"a": a.tolist(), "h": h.tolist(), "f": f}
    return [
        right,
        {**right, "a": listed.tolist()},
        {**right, "a": a[::-1].tolist()},
        {**right, "a": (a + [0.004, -0.004]).tolist(), "h": (h + [0.004, 0]).tolist()},  # rounded: right
        {**right, "a": (a + [0.02, 0]).tolist()},  # beyond the grid's reach: a_1 wrong
        {**right, "h": a.tolist()},
        {**right, "h": (1 / (1 + np.exp(-a))).tolist()},
        {**right, "h": np.abs(a).tolist()},
        {**right, "f": float(v[::-1] @ h)},
        {**right, "f": float(v @ a)},
        {**right, "f": float(1 / (1 + np.exp(-f)))},
        {**right, "a": [*a.tolist(), 0.0]},
    ]


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


# The tasks alone: the edition keeps these, not OUTPUT_TASKS (tests/test_exercises_01.py keeps the two in step)
_TASKS = ("house price", "spam or not", "which digit", "temperature", "sunny, cloudy or rainy")


@oracle
def _sealed_choices():
    """1.2 sealed (the student edition holds no task's answer): per task, each choice with its verdict."""
    return {
        task: seal(
            f"1.2 {task}",
            [(right, None)] + [(c, _WHY[right, c].format(task=f"'{task}'")) for c in _CHOICES if c != right],
        )
        for task, right in OUTPUT_TASKS.items()
    }


def _judge_output(case, got):
    if not isinstance(got, dict):
        return f"output_function must be a dict {{task: one of {_CHOICES}}}; it is {describe(got)}."
    missing = [task for task in _TASKS if task not in got]
    if missing:
        return f"output_function has no entry for {missing}; it needs one for each of {list(_TASKS)}."
    wrong = []
    tables = _sealed_choices()
    for task in _TASKS:
        answer = got[task]
        if not isinstance(answer, str) or answer.strip().lower() not in _CHOICES:
            return f"the answer for {task!r} must be one of the strings {_CHOICES}, not {describe(answer)}."
        _, why = unseal(tables[task], answer.strip().lower())
        if why is not None:
            wrong.append((task, answer.strip().lower(), why))
    if not wrong:
        return None
    task, answer, why = wrong[0]
    return f"{len(wrong)} of {len(_TASKS)} tasks are wrong. {task!r}: not {answer}: {why}"


def _output_examples():
    """1.2's answer and every answer with one task wrong (for tests/test_edition.py)."""
    wrong = [{**OUTPUT_TASKS, task: c} for task, right in OUTPUT_TASKS.items() for c in _CHOICES if c != right]
    return [dict(OUTPUT_TASKS), *wrong, {task: "softmax" for task in OUTPUT_TASKS}]


EXERCISES = [
    Exercise(
        number="1.1",
        target="by_hand",
        kind="value",
        cases=lambda: [()],
        fresh=lambda rng: [],
        judge=_judge_hand,
        examples=_hand_examples,
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
        passed=f"Exercise {{number}}: all {len(_TASKS)} choices are right.",
        examples=_output_examples,
        all_or_nothing=True,
    ),
]
