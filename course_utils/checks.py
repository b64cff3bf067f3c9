"""The checkers the notebooks call, one per exercise: ``check_flat_length(flat_length)`` and so on.

Introduced in notebook 00 (welcome). Each is ``course_utils.checking.registry.check`` bound to one
exercise, whose whole definition (cases, reference, known mistakes) is in
``course_utils/instructor/exercises/nbNN.py``.
A wrong answer raises ``ExerciseFailure`` (an AssertionError) whose message names the case, the
first differing index, expected and got there, and the likely mistake; a right one prints one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from course_utils.checking.registry import check
from course_utils.checking.runner import ExerciseFailure

__all__ = [
    "ExerciseFailure",
    "check_flat_length",
    "check_by_hand",
    "check_output_function",
    "check_forward_batch",
    "check_gaussian_nll",
    "check_bernoulli_nll",
    "check_categorical_nll",
    "check_map_objective",
    "check_backward",
    "check_numerical_gradient",
    "check_autograd_backward",
    "check_sgd_step",
    "check_init_params",
    "check_distinct_units",
    "check_to_vectors",
    "check_dense_params",
    "check_train_one_epoch",
    "check_output_size",
    "check_conv_forward",
    "check_conv_backward",
    "check_maxpool_forward",
    "check_meanpool_forward",
    "check_maxpool_backward",
    "check_lenet_table",
    "check_lenet_variant",
    "check_my_lenet",
    "check_gaussian_loss",
    "check_bernoulli_loss",
    "check_categorical_loss",
    "check_conv_cost",
    "check_network_cost",
    "check_my_net",
]


def _checker(number: str, name: str) -> Callable[[Any], None]:
    def checker(answer: Any) -> None:
        __tracebackhide__ = True
        check(number, answer)

    checker.__name__ = checker.__qualname__ = name
    checker.__doc__ = f"Check your answer to exercise {number} on its visible cases."
    return checker


check_flat_length = _checker("0.1", "check_flat_length")
check_by_hand = _checker("1.1", "check_by_hand")
check_output_function = _checker("1.2", "check_output_function")
check_forward_batch = _checker("1.3", "check_forward_batch")
check_gaussian_nll = _checker("2.1", "check_gaussian_nll")
check_bernoulli_nll = _checker("2.2", "check_bernoulli_nll")
check_categorical_nll = _checker("2.3", "check_categorical_nll")
check_map_objective = _checker("2.4", "check_map_objective")
check_backward = _checker("3.1", "check_backward")
check_numerical_gradient = _checker("3.2", "check_numerical_gradient")
check_autograd_backward = _checker("3.3", "check_autograd_backward")
check_sgd_step = _checker("4.1", "check_sgd_step")
check_init_params = _checker("4.2", "check_init_params")
check_distinct_units = _checker("4.3", "check_distinct_units")
check_to_vectors = _checker("5.1", "check_to_vectors")
check_dense_params = _checker("5.2", "check_dense_params")
check_train_one_epoch = _checker("5.3", "check_train_one_epoch")
check_output_size = _checker("6.1", "check_output_size")
check_conv_forward = _checker("6.2", "check_conv_forward")
check_conv_backward = _checker("6.3", "check_conv_backward")
check_maxpool_forward = _checker("7.1", "check_maxpool_forward")
check_meanpool_forward = _checker("7.2", "check_meanpool_forward")
check_maxpool_backward = _checker("7.3", "check_maxpool_backward")
check_lenet_table = _checker("8.1", "check_lenet_table")
check_lenet_variant = _checker("8.2", "check_lenet_variant")
check_my_lenet = _checker("8.3", "check_my_lenet")
check_gaussian_loss = _checker("9.1", "check_gaussian_loss")
check_bernoulli_loss = _checker("9.2", "check_bernoulli_loss")
check_categorical_loss = _checker("9.3", "check_categorical_loss")
check_conv_cost = _checker("10.1", "check_conv_cost")
check_network_cost = _checker("10.2", "check_network_cost")
check_my_net = _checker("10.3", "check_my_net")
