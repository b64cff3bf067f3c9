"""Notebook 05's exercises: each right answer passes, each recognised mistake gets its own message."""

import numpy as np
import pytest
import torch

from course_utils.checking import ExerciseFailure, check, decode, encode, judge_case, run_case
from course_utils.checking.registry import get
from course_utils.checks import check_dense_params, check_to_vectors, check_train_one_epoch
from course_utils.instructor.exercises.nb05 import dense_params, train_one_epoch

# --- 5.1 and 5.2 (more mistakes in tests/test_checks.py) -------------------------------------------------


def test_to_vectors_none_and_wrong_shape_are_explained():
    with pytest.raises(ExerciseFailure, match="returned None"):
        check_to_vectors(lambda b: None)
    with pytest.raises(ExerciseFailure, match=r"has shape \(24,\), expected \(2, 60\)"):
        check_to_vectors(lambda b: b.transpose(0, 3, 1, 2).ravel()[:24])


def test_dense_params_right_answer_and_fallback_pass(capsys):
    check_dense_params(lambda n_in, n_out: n_in * n_out + n_out)
    check_dense_params(dense_params)
    assert capsys.readouterr().out.count("Exercise 5.2: all 5 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda i, o: i * o, "biases are missing"),
        (lambda i, o: i * o + i, "one bias per input"),
        (lambda i, o: None, "returned None"),
        (lambda i, o: str(i * o + o), "text"),
    ],
)
def test_dense_params_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_dense_params(wrong)


def test_dense_params_failure_binds_the_fallback():
    namespace = {}
    with pytest.raises(ExerciseFailure, match="Using the course's `dense_params`"):
        check(get("5.2"), lambda i, o: i * o, namespace)
    assert namespace["dense_params"] is dense_params


# --- 5.3 · train_one_epoch ---------------------------------------------------------------------------------


def _loop(zero_grad=True, step=True, train=True, reduce="mean", clear_after_backward=False):
    def loop(model, batches, optimizer, loss_fn):
        if train:
            model.train()
        losses, sizes = [], []
        for x, y in batches:
            loss = loss_fn(model(x), y)
            if zero_grad and not clear_after_backward:
                optimizer.zero_grad()
            loss.backward()
            if clear_after_backward:
                optimizer.zero_grad()
            if step:
                optimizer.step()
            losses.append(loss.item())
            sizes.append(len(x))
        total = sum(loss * size for loss, size in zip(losses, sizes, strict=True))
        return {
            "mean": total / sum(sizes),
            "sum": sum(losses),
            "unweighted": sum(losses) / len(losses),
            "last": losses[-1],
            "none": None,
        }[reduce]

    return loop


def test_train_one_epoch_right_answer_and_fallback_pass(capsys):
    check_train_one_epoch(_loop())
    check_train_one_epoch(train_one_epoch)
    assert capsys.readouterr().out.count("Exercise 5.3: all 3 checks passed.") == 2


def test_train_one_epoch_accepts_a_tensor_mean():
    def loop(model, batches, optimizer, loss_fn):
        model.train()
        total, count = torch.tensor(0.0), 0
        for x, y in batches:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.detach() * len(x), count + len(x)
        return total / count

    check_train_one_epoch(loop)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_loop(zero_grad=False), "without optimizer.zero_grad"),
        (_loop(step=False), "the weights did not change"),
        (_loop(clear_after_backward=True), "the weights did not change"),
        (_loop(reduce="sum"), "batch losses are added up"),
        (_loop(reduce="unweighted"), "as if all batches were the same size"),
        (_loop(reduce="last"), "only the last batch's loss"),
        (_loop(train=False), "still in evaluation mode"),
        (_loop(reduce="none"), "weights are right, but your function returned None"),
    ],
)
def test_train_one_epoch_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_train_one_epoch(wrong)


def test_train_one_epoch_new_mistakes_are_named():
    def loop(model, batches, optimizer, loss_fn, *, mistake):
        model.train()
        total, count = 0.0, 0
        for x, y in batches:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if mistake == "graph":
                total = total + loss * len(x)  # the tensor, graph and all
            elif mistake == "after step":
                total += loss_fn(model(x), y).item() * len(x)
            else:  # "means": each batch's mean added as it is
                total += loss.item()
            count += len(x)
        return total / count

    for mistake, hint in (
        ("graph", "a tensor that still requires grad"),
        ("after step", "computed again after its step"),
        ("means", "multiply it by the batch's size before adding"),
    ):
        with pytest.raises(ExerciseFailure, match=hint):
            check_train_one_epoch(lambda *a, mistake=mistake: loop(*a, mistake=mistake))


def test_train_one_epoch_two_steps_per_batch_is_not_right():
    def twice(model, batches, optimizer, loss_fn):
        train_one_epoch(model, batches, optimizer, loss_fn)
        return train_one_epoch(model, batches, optimizer, loss_fn)

    with pytest.raises(ExerciseFailure, match="differ from one SGD step per batch"):
        check_train_one_epoch(twice)


def test_train_one_epoch_fresh_cases_judge_the_fallback_right_and_a_mistake_wrong():
    exercise = get("5.3")
    for case in exercise.fresh(np.random.default_rng(0)):
        for answer, right in ((train_one_epoch, True), (_loop(reduce="unweighted"), False)):
            tree, arrays = encode(run_case(exercise, answer, case))
            assert (judge_case(exercise, case, decode(tree, arrays)) is None) == right


def test_to_vectors_fallback_passes_and_is_bound_on_failure(capsys):
    from course_utils.instructor.exercises.nb05 import to_vectors

    check_to_vectors(to_vectors)
    assert "Exercise 5.1: all 4 checks passed." in capsys.readouterr().out
    namespace = {}
    with pytest.raises(ExerciseFailure, match="Using the course's `to_vectors`"):
        check(get("5.1"), lambda b: b.reshape(len(b), -1), namespace)
    assert namespace["to_vectors"] is to_vectors


def test_train_one_epoch_graph_flag_survives_the_graders_transport():
    def keeps_graph(model, batches, optimizer, loss_fn):
        model.train()
        total, count = 0.0, 0
        for x, y in batches:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss * len(x), count + len(x)
        return total / count

    exercise = get("5.3")
    case = exercise.fresh(np.random.default_rng(1))[0]
    tree, arrays = encode(run_case(exercise, keeps_graph, case))
    assert "still requires grad" in judge_case(exercise, case, decode(tree, arrays))
