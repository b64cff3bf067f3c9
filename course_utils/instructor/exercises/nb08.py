"""Exercises 8.1-8.2 (notebook 08, LeNet): LeNet's table of output shapes and parameters, by hand, then
for a variant the notebook does not print (other kernel size, input size and padding). 8.3 is in nb08b."""

from __future__ import annotations

from course_utils.checking import Exercise, describe

__all__ = ["EXERCISES", "LENET_ROWS", "variant_rows", "variant_table"]

_NAMES = ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3")


def variant_rows(size: int, kernel: int, pad: int) -> tuple[tuple[str, tuple, int], ...]:
    """LeNet's rows (name, output shape, parameters) for a 1×size×size input, both convolutions kernel×kernel,
    conv1 padded by ``pad``, conv2 unpadded, 2×2 max pooling with stride 2, widths 6, 16, 120, 84, 10."""
    c1 = size - kernel + 2 * pad + 1
    p1 = (c1 - 2) // 2 + 1
    c2 = p1 - kernel + 1
    p2 = (c2 - 2) // 2 + 1
    flat = 16 * p2 * p2
    return (
        ("conv1", (6, c1, c1), 6 * (1 * kernel * kernel + 1)),
        ("pool1", (6, p1, p1), 0),
        ("conv2", (16, c2, c2), 16 * (6 * kernel * kernel + 1)),
        ("pool2", (16, p2, p2), 0),
        ("fc1", (120,), flat * 120 + 120),
        ("fc2", (84,), 120 * 84 + 84),
        ("fc3", (10,), 84 * 10 + 10),
    )


def variant_table(size: int, kernel: int, pad: int) -> dict:
    """The answer to 8.2 as a dict {layer name: (output shape, parameters)}."""
    return {name: (shape, params) for name, shape, params in variant_rows(size, kernel, pad)}


# The modern LeNet, layer by layer: (name, output shape (C, H, W) or (units,), parameters)
LENET_ROWS = variant_rows(28, 5, 2)


def _mistakes(size: int, kernel: int, pad: int) -> tuple[dict, dict]:
    """Known wrong answers for this setting, per layer: {name: {wrong shape or count: why}}."""
    k, rows = kernel, {name: (shape, params) for name, shape, params in variant_rows(size, kernel, pad)}
    c1, p1, c2, p2 = rows["conv1"][0][1], rows["pool1"][0][1], rows["conv2"][0][1], rows["pool2"][0][1]
    rule = f"(W − F + 2P)/S + 1 = ({size} − {k} + 2·{pad})/1 + 1 = {c1}"
    shapes = {
        "conv1": {
            (6, size - k + 1, size - k + 1): f"the padding is left out: conv1 pads by {pad}, so {rule}.",
            (
                6,
                size - k + pad + 1,
                size - k + pad + 1,
            ): f"the padding is counted once: it is added on both sides, {rule}.",
            (6, c1 - 1, c1 - 1): f"the + 1 is missing: {rule}.",
        },
        "pool1": {(6, c1, c1): f"2×2 pooling with stride 2 halves the height and width: ({c1} − 2)/2 + 1 = {p1}."},
        "conv2": {
            (16, p1 - k + 2 * pad + 1, p1 - k + 2 * pad + 1): f"conv2 has no padding: ({p1} − {k})/1 + 1 = {c2}.",
            (6, c2, c2): "the output has one map per filter: 16 filters give 16 maps.",
            (16, c1 - k + 1, c1 - k + 1): f"conv2 reads pool1's output ({p1}×{p1}), not conv1's.",
        },
        "pool2": {(16, c2, c2): f"2×2 pooling with stride 2 halves the height and width: ({c2} − 2)/2 + 1 = {p2}."},
    }
    flat, wrong_flat = 16 * p2 * p2, {}
    reasons = (
        (16 * c2 * c2, "pool2's halving is left out"),
        (6 * p2 * p2, "pool2 has 16 maps, not 6"),
        (p2 * p2, "the 16 maps are left out"),
        (400, "400 is the modern LeNet's, not this variant's"),
    )
    wrong_flat[flat * 120 + flat] = (
        f"one bias per unit (120), not per input ({flat}): {flat} × 120 weights + 120 biases."
    )
    for n, why in reasons:
        if n != flat:
            wrong_flat.setdefault(
                n * 120 + 120, f"fc1 reads the flattened pool2 output, 16 × {p2} × {p2} = {flat} numbers ({why})."
            )
    params = {
        "conv1": {
            6 * k * k: f"the biases are missing: one per filter, so 6 × {k * k} weights + 6 biases.",
            6 * (3 * k * k + 1): f"the digit has 1 channel, not the 3 of the lecture's colour image: each conv1 filter "
            f"is 1 × {k} × {k}.",
        },
        "conv2": {
            16 * 6 * k * k: f"the biases are missing: one per filter, so 16 × {6 * k * k} weights + 16 biases.",
            16
            * (
                k * k + 1
            ): f"each filter spans all 6 input maps: 6 × {k} × {k} = {6 * k * k} weights per filter, not {k * k}.",
            16 * k * k: f"each filter spans all 6 input maps (6 × {k} × {k} weights) and has a bias.",
            16 * 6 * k * k + 6 * 16: "one bias per filter (16), not one per input map and filter.",
            16 * 6 * k * k + 6: "one bias per filter (16), not per input map.",
        },
        "pool1": {12: "max pooling has no parameters: it only picks the largest value of each window."},
        "pool2": {32: "max pooling has no parameters: it only picks the largest value of each window."},
        "fc1": {flat * 120: f"the biases are missing: {flat} × 120 weights + 120 biases.", **wrong_flat},
        "fc2": {
            10_080: "the biases are missing: 120 × 84 weights + 84 biases.",
            120 * 84 + 120: "one bias per unit (84), not per input (120): 120 × 84 weights + 84 biases.",
        },
        "fc3": {
            840: "the biases are missing: 84 × 10 weights + 10 biases.",
            84 * 10 + 84: "one bias per unit (10), not per input (84): 84 × 10 weights + 10 biases.",
        },
    }
    if k != 5:
        for name, count in (("conv1", 156), ("conv2", 2_416)):
            params[name].setdefault(count, f"that is the 5×5 LeNet's count: this variant's kernels are {k}×{k}.")
    return shapes, params


def _shape_tuple(value) -> tuple | None:
    """``value`` as a tuple of ints, or None when an entry is not a whole number (28.5, nan, inf, "28")."""
    try:
        numbers = [float(v) for v in value if not isinstance(v, str)]
    except (TypeError, ValueError):
        return None
    if len(numbers) != len(value) or not all(n.is_integer() for n in numbers):
        return None
    return tuple(int(n) for n in numbers)


def _sentence(why: str) -> str:
    """``why`` as a sentence of its own (it follows a full stop); a layer's name keeps its lower case."""
    if not why or why.split()[0] in _NAMES:
        return why
    return why[:1].upper() + why[1:]


def _judge_row(name, shape, params, row, known) -> str | None:
    shape_mistakes, param_mistakes = known
    if not (isinstance(row, (tuple, list)) and len(row) == 2):
        return f"row {name!r} must be a pair (output shape, parameters), got {describe(row)}."
    got_shape, got_params = _shape_tuple(row[0]), row[1]
    if got_shape is None:
        return f"row {name!r}: the output shape must be a tuple of ints like {shape}, got {describe(row[0])}."
    if got_shape != shape:
        why = shape_mistakes.get(name, {}).get(got_shape, "")
        if not why and len(shape) == 1 and len(got_shape) == 1:
            why = f"a dense layer puts out one number per unit: {name} has {shape[0]} units."
        if not why and len(shape) == 3 and len(got_shape) == 3 and got_shape[1:] == shape[1:]:
            why = f"the height and width are right, the number of maps is not: {name} has {shape[0]}."
        if not why and len(shape) == 3 and sorted(got_shape) == sorted(shape):
            why = "give the shape as (maps, height, width), the maps first, as PyTorch does."
        if not why and len(got_shape) != len(shape):
            why = "give (maps, height, width) for conv and pool layers and (units,) for fc layers."
        return f"row {name!r}: the output shape should be {shape}, you have {got_shape}. {_sentence(why)}".rstrip()
    if isinstance(got_params, bool) or not isinstance(got_params, (int, float)):
        return f"row {name!r}: the parameter count must be a number, got {describe(got_params)}."
    if got_params != params:
        why = param_mistakes.get(name, {}).get(got_params, "")
        reads = (got_params - 120) / 120
        if not why and name == "fc1" and reads == int(reads) > 0:
            flat = (params - 120) // 120
            side = round((flat / 16) ** 0.5)
            why = f"fc1 reads the flattened pool2 output, 16 × {side} × {side} = {flat} numbers, not {int(reads)}."
        return f"row {name!r}: {name} has {params:,} parameters, you have {got_params:g}. {_sentence(why)}".rstrip()
    return None


def _judge_table(table, size, kernel, pad, where="") -> str | None:
    if table is None:
        return "your answer is None: expected a dict {layer name: (output shape, parameters)}. Did you forget `return`?"
    if not isinstance(table, dict):
        return f"expected a dict {{layer name: (output shape, parameters)}}, got {describe(table)}."
    missing = [name for name in _NAMES if name not in table]
    if missing:
        return f"the table has no row for {missing}; it needs one for each of {list(_NAMES)}."
    known = _mistakes(size, kernel, pad)
    for name, shape, params in variant_rows(size, kernel, pad):
        if message := _judge_row(name, shape, params, table[name], known):
            return where + message
    return None


def _judge_variant(case, table):
    size, kernel, pad = case
    return _judge_table(table, size, kernel, pad, where=f"for size={size}, kernel={kernel}, pad={pad}: ")


def _valid(size: int, kernel: int, pad: int) -> bool:
    """Every size divides evenly: conv1's and conv2's outputs are even, pool2's at least 1."""
    c1 = size - kernel + 2 * pad + 1
    c2 = c1 // 2 - kernel + 1
    return c1 % 2 == 0 and c2 >= 2 and c2 % 2 == 0


def _fresh_variants(rng) -> list[tuple]:
    cases = []
    while len(cases) < 3:
        case = (int(rng.integers(16, 48)), int(rng.choice((3, 5, 7))), int(rng.integers(0, 4)))
        if _valid(*case) and case[2] <= case[1] // 2 and case not in cases:
            cases.append(case)
    return cases


_TOTAL = sum(p for _, _, p in LENET_ROWS)

EXERCISES = [
    Exercise(
        number="8.1",
        target="lenet_table",
        kind="value",
        cases=lambda: [()],
        fresh=lambda rng: [],
        judge=lambda case, table: _judge_table(table, 28, 5, 2),
        passed=f"Exercise {{number}}: all {len(LENET_ROWS)} rows are right: {_TOTAL:,} parameters.",
        references=("course_utils.models.summarize", "course_utils.instructor.exercises.nb08.LENET_ROWS"),
        all_or_nothing=True,
    ),
    Exercise(
        number="8.2",
        target="lenet_variant",
        cases=lambda: [(28, 3, 1), (32, 5, 0), (28, 5, 0), (36, 7, 1)],
        fresh=_fresh_variants,
        judge=_judge_variant,
        passed="Exercise {number}: the tables of all {n} variants are right.",
        references=(
            "course_utils.models.summarize",
            "course_utils.models.lenet_variant_net",
            "course_utils.instructor.exercises.nb08.variant_rows",
            "course_utils.instructor.exercises.nb08.variant_table",
        ),
    ),
]
