"""Sealed answers (course_utils/checking/sealed.py): what a value exercise accepts, as salted hashes."""

import json

import numpy as np
import pytest

from course_utils.checking import sealed
from course_utils.checking.registry import get
from course_utils.checking.sealed import seal, unseal
from course_utils.instructor.edition.build import swap_functions
from course_utils.instructor.exercises import nb01

STEP = 0.005


@pytest.mark.parametrize("right", [1.0, -2.0, 0.0, 0.0025, 0.8807970779778823, 123.4567])
def test_every_answer_within_one_step_matches_and_none_beyond_two(right):
    table = seal("t", [(right, None)], step=STEP)
    for offset in np.linspace(-0.999, 0.999, 41) * STEP:
        assert unseal(table, right + offset) == (True, None), offset
    for offset in (2.001 * STEP, -2.001 * STEP, 0.5, -7.0):
        assert unseal(table, right + offset) == (False, None), offset


def test_vectors_match_per_number_and_the_first_entry_wins():
    right, mistake = np.array([1.0, -2.0]), np.array([1.0, -2.006])  # the mistake is within the right one's reach
    table = seal("a", [(right, None), (mistake, "a mistake"), ([1.5, 0.5], "listed")], step=STEP)
    assert unseal(table, [1.004, -1.996]) == (True, None)
    assert unseal(table, [1.0, -2.0109]) == (True, "a mistake")  # out of the right one's reach, in the mistake's
    assert unseal(table, [1.5, 0.5]) == (True, "listed")
    assert unseal(table, [1.0, -2.0, 0.0]) == (False, None)  # another shape
    assert unseal(table, [1.02, -2.0]) == (False, None)


def test_exact_tables_and_another_salt():
    table = seal("1.2 task", [("identity", None), ("sigmoid", "why not sigmoid")])
    assert unseal(table, "identity") == (True, None) and unseal(table, "sigmoid") == (True, "why not sigmoid")
    assert unseal(table, "softmax") == (False, None) and unseal(table, " identity") == (False, None)
    try:
        sealed.use_salt("another release")
        other = seal("1.2 task", [("identity", None)])
    finally:
        sealed.use_salt("unreleased")
    assert other["entries"] != table["entries"] and other["salt"] == "another release"
    assert unseal(other, "identity") == (True, None)  # a table carries its salt: it judges alike anywhere


def test_a_table_holds_neither_the_values_nor_the_messages_in_the_clear():
    entries = [([1.0, -2.0], None), ([1.5, 0.5], "the weights are taken in the order they are listed")]
    table = seal("1.1 a", entries, step=STEP)
    assert set(table) == {"name", "salt", "step", "entries"} and table["step"] == STEP
    text = json.dumps(table["entries"])
    for clear in ("1.5", "-2", "0.5", "listed", "weights", "null"):  # hex digits never hold "." or "-"
        assert clear not in text, clear


def test_by_hand_accepts_rounding_on_the_grid():
    judge = get("1.1").judge
    right = {"a": [1.0, -2.0], "h": [1.0, 0.0], "f": 2.0}
    assert judge((), {**right, "a": [1.0049, -1.9951], "h": [1.0049, 0.0], "f": 2.0098}) is None
    message = judge((), {**right, "a": [1.011, -2.0]})
    assert message.startswith("a is not right yet (a_1 wrong; a_2 right)") and "1.0" not in message


def test_the_edition_keeps_the_tasks_not_their_answers():
    assert nb01._TASKS == tuple(nb01.OUTPUT_TASKS)


def test_swap_functions_brings_helpers_and_imports_along():
    source = 'import numpy as np\n\n__all__ = ["f", "g"]\n\n\ndef _own(x):\n    return x\n\n\ndef f(x):\n    return 1\n'
    source += "\n\ndef g(x):\n    return 2\n"
    swaps = "import torch\n\nfrom course_utils.somewhere import _own\n\n\ndef _helper(x):\n    return torch.tensor(x)\n"
    swaps += "\n\ndef f(x):\n    return _helper(_own(x))\n"
    result = swap_functions(source, swaps)
    namespace = {}
    fake_torch = "torch = type('T', (), {'tensor': staticmethod(abs)})\n"  # the test needs no PyTorch
    exec(compile(result.replace("import torch\n", fake_torch), "m", "exec"), namespace)
    assert namespace["f"](-3) == 3 and namespace["g"](0) == 2
    assert result.index("import torch") < result.index("def _helper") < result.index("def f")
    assert "course_utils.somewhere" not in result  # the module's own name, imported for the linter only
    with pytest.raises(ValueError, match="does not define"):
        swap_functions(source, "def h(x):\n    return 0\n")
