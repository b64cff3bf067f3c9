"""Each checker accepts the right answer and names the typical wrong ones."""

import numpy as np
import pytest
import torch

from course_utils.checks import ExerciseFailure, check_cases, check_flat_length, to_array


def test_flat_length_accepts_the_right_answer(capsys):
    check_flat_length(lambda h, w, c: h * w * c)
    assert "Exercise 0.1: all 4 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda h, w, c: h * w, "channels are left out"),
        (lambda h, w, c: h + w + c, "added"),
        (lambda h, w, c: h * h * c, "square"),
    ],
)
def test_flat_length_names_the_mistake(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_flat_length(wrong)


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, "returned None"),
        ("784", "not a string"),
        ({"a": 1}, "not a number"),
        ([784, 1], r"shape \(2,\)"),
        (torch.tensor(1.0, requires_grad=True), "should be"),
    ],
)
def test_checker_accepts_anything_and_explains(returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        check_flat_length(lambda h, w, c: returned)


def test_student_errors_are_not_hidden():
    def unfinished(h, w, c):
        raise NotImplementedError("Exercise 0.1: flat length")

    with pytest.raises(NotImplementedError, match="Exercise 0.1"):
        check_flat_length(unfinished)


def test_not_a_function():
    with pytest.raises(ExerciseFailure, match="expected a function"):
        check_flat_length(784)


def test_to_array_handles_numpy_torch_and_lists():
    assert to_array(np.ones(3, dtype=np.float32), "x").dtype == np.float64
    assert to_array(torch.ones(2, 2), "x").shape == (2, 2)
    assert to_array([1, 2], "x").tolist() == [1.0, 2.0]


def test_check_cases_reports_non_finite_results():
    with pytest.raises(ExerciseFailure, match="inf or nan"):
        check_cases("9.9", lambda x: np.inf, lambda x: 1.0, [(1,)])
