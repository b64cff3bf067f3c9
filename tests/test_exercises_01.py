"""Notebook 01's exercises: the right answers pass, each recognised mistake gets its own message."""

import numpy as np
import pytest

from course_utils.checking import use_fallback
from course_utils.checks import ExerciseFailure, check_by_hand, check_forward_batch, check_output_function
from course_utils.instructor.exercises import nb01, nb01b

RIGHT = {"a": [1.0, -2.0], "h": [1.0, 0.0], "f": 2.0}


def test_by_hand_right(capsys):
    check_by_hand(RIGHT)
    check_by_hand({"a": np.array([1, -2]), "h": (1, 0), "f": np.float64(2.0)})
    assert capsys.readouterr().out.count("Exercise 1.1: a, h and f are right.") == 2


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        ({**RIGHT, "a": [1.5, 0.5]}, "order they are listed"),
        ({**RIGHT, "a": [2.0, -1.5, 2.0]}, "three entries, one per input"),
        ({**RIGHT, "a": [-2.0, 1.0]}, "hidden units are swapped"),
        ({**RIGHT, "a": [1.0, -2.5]}, r"a is not right yet \(a_2 wrong; a_1 right\): redo this step"),
        ({**RIGHT, "h": [1.0, -2.0]}, "activation g is skipped"),
        ({**RIGHT, "h": [1.0, 2.0]}, "not the absolute value"),
        ({**RIGHT, "h": [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(2))]}, "not the sigmoid"),
        ({**RIGHT, "f": -1.0}, "v_1 and v_2 are swapped"),
        ({**RIGHT, "f": 4.0}, "f uses a"),
        ({**RIGHT, "f": 1 / (1 + np.exp(-2))}, "o is the identity"),
        ({**RIGHT, "f": 0.8808}, "o is the identity"),  # σ(2) rounded by hand is still recognised
        ({**RIGHT, "f": [1.0, 2.0]}, "f should be a single number"),
        ({"a": [1, -2], "f": 2}, "must be a dict"),
        (2.0, "must be a dict"),
        ({**RIGHT, "f": None}, "has no value yet"),
    ],
)
def test_by_hand_mistakes(answer, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_by_hand(answer)


@pytest.mark.parametrize("answer", [{**RIGHT, "a": [2.5, -2.5]}, {**RIGHT, "h": [3.0, 0.0]}, {**RIGHT, "f": 7.0}])
def test_by_hand_never_states_the_right_value(answer):
    """1.1 is done by hand: a message holding the expected a, h or f would give the answer away."""
    with pytest.raises(ExerciseFailure) as failure:
        check_by_hand(answer)
    message = str(failure.value)
    assert "expected" not in message and "not right yet" in message


def test_by_hand_accepts_rounding_and_a_one_element_f(capsys):
    check_by_hand({"a": [1.0, -2.0], "h": [1.0, 0.0], "f": [2.0]})
    check_by_hand({"a": [1.0004, -2.0], "h": [1.0004, 0.0], "f": 2.001})
    assert capsys.readouterr().out.count("are right") == 2


def test_output_function_right(capsys):
    check_output_function(dict(nb01.OUTPUT_TASKS))
    check_output_function({k: f" {v.upper()} " for k, v in nb01.OUTPUT_TASKS.items()})
    assert capsys.readouterr().out.count("all 5 choices are right") == 2


@pytest.mark.parametrize(
    ("task", "choice", "hint"),
    [
        ("which digit", "sigmoid", "need not add up to 1"),
        ("which digit", "identity", "can be negative"),
        ("spam or not", "softmax", "always exactly 1"),
        ("spam or not", "identity", "not a probability"),
        ("house price", "sigmoid", r"squashes every score into \(0, 1\)"),
        ("temperature", "softmax", "always exactly 1"),
        ("spam or not", "relu", "must be one of the strings"),
    ],
)
def test_output_function_mistakes(task, choice, hint):
    answer = {**nb01.OUTPUT_TASKS, task: choice}
    with pytest.raises(ExerciseFailure, match=hint):
        check_output_function(answer)


def test_output_function_counts_and_missing():
    with pytest.raises(ExerciseFailure, match="2 of 5 tasks are wrong"):
        check_output_function({**nb01.OUTPUT_TASKS, "which digit": "sigmoid", "spam or not": "identity"})
    with pytest.raises(ExerciseFailure, match="no entry for"):
        check_output_function({"house price": "identity"})
    with pytest.raises(ExerciseFailure, match="must be a dict"):
        check_output_function(None)


def _relu(a):
    return np.maximum(a, 0)


def test_forward_batch_right_and_fallback(capsys):
    check_forward_batch(lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T + c)
    check_forward_batch(nb01b.forward_batch)
    assert capsys.readouterr().out.count("Exercise 1.3: all 4 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda X, W, b, V, c: _relu(X @ W + b) @ V.T + c, "W is used transposed"),
        (lambda X, W, b, V, c: _relu(X @ W.T + b) @ V + c, "V is used transposed"),
        (lambda X, W, b, V, c: (X @ W.T + b) @ V.T + c, "activation g is missing"),
        (lambda X, W, b, V, c: _relu(X @ W.T + b[:, None]) @ V.T + c, "wrong axis"),
        (lambda X, W, b, V, c: (_relu(X @ W.T) + b) @ V.T + c, "after the activation"),
        (lambda X, W, b, V, c: _relu(X @ W.T) @ V.T + c, "bias b is missing"),
        (lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T, "bias c is missing"),
        (lambda X, W, b, V, c: (_relu(X @ W.T + b) @ V.T + c)[:, 0], r"shape \(3,\)"),
        (lambda X, W, b, V, c: None, "returned None"),
        (lambda X, W, b, V, c: (_relu(X @ W.T + b) @ V.T + c).T, "F is transposed"),
        (lambda X, W, b, V, c: 1 / (1 + np.exp(-(_relu(X @ W.T + b) @ V.T + c))), "σ is applied to the output"),
        (lambda X, W, b, V, c: np.tanh(X @ W.T + b) @ V.T + c, "not tanh"),
        (lambda X, W, b, V, c: 1 / (1 + np.exp(-(X @ W.T + b))) @ V.T + c, "not the sigmoid"),
    ],
)
def test_forward_batch_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_forward_batch(wrong)


def test_forward_batch_fallback_is_bound_on_failure(capsys):
    namespace = {}

    def unsolved(X, W, b, V, c):
        raise NotImplementedError("Exercise 1.3")

    from course_utils.checking import check
    from course_utils.checking.registry import get

    with pytest.raises(NotImplementedError):
        check(get("1.3"), unsolved, namespace)
    assert namespace["forward_batch"] is nb01b.forward_batch
    assert "until yours passes 1.3" in capsys.readouterr().out
    assert use_fallback(get("1.1"), namespace) is None  # a value exercise has none
