"""Exercise 4.3 (notebook 04, SGD): counting the hidden units that are still distinct after training.

``count_distinct_units`` is the course's version the notebook falls back on. The SGD step and the
initialisation (4.1, 4.2) are in ``nb04``.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare, describe
from course_utils.instructor.exercises.nb04 import _TOLERANCE

__all__ = ["EXERCISES", "count_distinct_units"]


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
        number="4.3",
        target="count_distinct_units",
        cases=_units_cases,
        fresh=_fresh_units,
        judge=_judge_units,
        fallback="course_utils.instructor.exercises.nb04b.count_distinct_units",
    ),
]
