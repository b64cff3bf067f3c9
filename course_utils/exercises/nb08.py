"""Exercise 8.1 (notebook 08, LeNet): LeNet's table of output shapes and parameters, by hand."""

from __future__ import annotations

from course_utils.exercises.core import Exercise, describe

__all__ = ["EXERCISES", "LENET_ROWS"]

# The modern LeNet, layer by layer: (name, output shape (C, H, W) or (units,), parameters)
LENET_ROWS = (
    ("conv1", (6, 28, 28), 6 * (1 * 5 * 5) + 6),
    ("pool1", (6, 14, 14), 0),
    ("conv2", (16, 10, 10), 16 * (6 * 5 * 5) + 16),
    ("pool2", (16, 5, 5), 0),
    ("fc1", (120,), 400 * 120 + 120),
    ("fc2", (84,), 120 * 84 + 84),
    ("fc3", (10,), 84 * 10 + 10),
)

# Known wrong answers, per layer: the wrong number → why it is wrong.
_SHAPE_MISTAKES = {
    "conv1": {
        (6, 24, 24): "the padding is left out: conv1 pads by 2, so (28 − 5 + 2·2)/1 + 1 = 28.",
        (6, 26, 26): "the padding is counted once: it is added on both sides, (28 − 5 + 2·2)/1 + 1 = 28.",
    },
    "pool1": {(6, 28, 28): "2×2 pooling with stride 2 halves the height and width: (28 − 2)/2 + 1 = 14."},
    "conv2": {
        (16, 14, 14): "conv2 has no padding: (14 − 5)/1 + 1 = 10.",
        (6, 10, 10): "the output has one map per filter: 16 filters give 16 maps.",
    },
    "pool2": {(16, 10, 10): "2×2 pooling with stride 2 halves the height and width: (10 − 2)/2 + 1 = 5."},
}
_PARAM_MISTAKES = {
    "conv1": {150: "the biases are missing: one per filter, so 6 × 25 weights + 6 biases."},
    "conv2": {
        2_400: "the biases are missing: one per filter, so 16 × 150 weights + 16 biases.",
        416: "each filter spans all 6 input maps: 6 × 5 × 5 = 150 weights per filter, not 25.",
        400: "each filter spans all 6 input maps (6 × 5 × 5 weights) and has a bias.",
        2_406: "one bias per filter (16), not per input map.",
    },
    "pool1": {12: "max pooling has no parameters: it only picks the largest value of each window."},
    "pool2": {32: "max pooling has no parameters: it only picks the largest value of each window."},
    "fc1": {
        48_000: "the biases are missing: 400 × 120 weights + 120 biases.",
        94_200: "fc1 reads the flattened pool2 output, 16 × 5 × 5 = 400 numbers, not 16 × 7 × 7.",
        30_840: "fc1 reads the flattened pool2 output, 16 × 5 × 5 = 400 numbers, not 16 × 4 × 4.",
    },
    "fc2": {10_080: "the biases are missing: 120 × 84 weights + 84 biases."},
    "fc3": {840: "the biases are missing: 84 × 10 weights + 10 biases."},
}


def _shape_tuple(value) -> tuple | None:
    try:
        return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        return None


def _judge_row(name, shape, params, row) -> str | None:
    if not (isinstance(row, (tuple, list)) and len(row) == 2):
        return f"row {name!r} must be a pair (output shape, parameters), got {describe(row)}."
    got_shape, got_params = _shape_tuple(row[0]), row[1]
    if got_shape is None:
        return f"row {name!r}: the output shape must be a tuple of ints like {shape}, got {describe(row[0])}."
    if got_shape != shape:
        why = _SHAPE_MISTAKES.get(name, {}).get(got_shape, "")
        if not why and len(got_shape) == len(shape) and got_shape[1:] == shape[1:]:
            why = f"the height and width are right, the number of maps is not: {name} has {shape[0]}."
        if not why and len(got_shape) != len(shape):
            why = "give (maps, height, width) for conv and pool layers and (units,) for fc layers."
        return f"row {name!r}: the output shape should be {shape}, you have {got_shape}. {why}".rstrip()
    if isinstance(got_params, bool) or not isinstance(got_params, (int, float)):
        return f"row {name!r}: the parameter count must be a number, got {describe(got_params)}."
    if got_params != params:
        why = _PARAM_MISTAKES.get(name, {}).get(got_params, "")
        return f"row {name!r}: {name} has {params:,} parameters, you have {got_params:g}. {why}".rstrip()
    return None


def _judge(case, table):
    if not isinstance(table, dict):
        return f"expected a dict {{layer name: (output shape, parameters)}}, got {describe(table)}."
    names = [name for name, _, _ in LENET_ROWS]
    missing = [name for name in names if name not in table]
    if missing:
        return f"the table has no row for {missing}; it needs one for each of {names}."
    return next((m for name, shape, params in LENET_ROWS if (m := _judge_row(name, shape, params, table[name]))), None)


_TOTAL = sum(p for _, _, p in LENET_ROWS)

EXERCISES = [
    Exercise(
        number="8.1",
        target="lenet_table",
        kind="value",
        cases=lambda: [()],
        fresh=lambda rng: [],
        judge=_judge,
        passed=f"Exercise {{number}}: all {len(LENET_ROWS)} rows are right: {_TOTAL:,} parameters.",
        references=("course_utils.models.summarize", "course_utils.exercises.nb08.LENET_ROWS"),
        all_or_nothing=True,
    )
]
