"""Exercises 7.1-7.3: each checker passes the right answer, names each typical mistake, explains bad returns."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.checking import ExerciseFailure, decode, encode, judge_case, run_case
from course_utils.checking.harness import resolve
from course_utils.checks import check_maxpool_backward, check_maxpool_forward, check_meanpool_forward
from course_utils.instructor.exercises import EXERCISES
from course_utils.instructor.exercises.nb07 import maxpool_backward_loops, pool_loops
from course_utils.layers import maxpool2d_backward, maxpool2d_forward


def _torch_max(x, size, stride):
    return F.max_pool2d(torch.from_numpy(x), size, stride).numpy()


def _torch_mean(x, size, stride):
    return F.avg_pool2d(torch.from_numpy(x), size, stride).numpy()


def _backward(dout, x, size, stride):
    return maxpool2d_backward(dout, maxpool2d_forward(x, size, stride)[1])


def test_the_right_answers_and_the_fallbacks_pass(capsys):
    check_maxpool_forward(_torch_max)
    check_maxpool_forward(resolve(EXERCISES["7.1"].fallback))
    check_meanpool_forward(_torch_mean)
    check_meanpool_forward(resolve(EXERCISES["7.2"].fallback))
    check_maxpool_backward(_backward)
    check_maxpool_backward(maxpool_backward_loops)
    check_maxpool_backward(resolve(EXERCISES["7.3"].fallback))
    out = capsys.readouterr().out
    assert out.count("Exercise 7.1: all 6 checks passed.") == 2 and out.count("Exercise 7.2: all 6 checks passed.") == 2
    assert out.count("Exercise 7.3: all 6 checks passed.") == 3


def test_the_loops_agree_with_torch():
    x = np.random.default_rng(1).normal(size=(2, 3, 9, 7))
    assert np.allclose(pool_loops(x, 3, 2), _torch_max(x, 3, 2))
    assert np.allclose(pool_loops(x, 3, 2, "mean"), _torch_mean(x, 3, 2))


def _mistake(op, **options):
    return lambda x, size, stride: pool_loops(x, size, stride, op, **options)


def _stride_one(op):
    return lambda x, size, stride: pool_loops(
        x, size, stride, op, step=1, n_out=(x.shape[2] - size + 1, x.shape[3] - size + 1)
    )


def _starts_at_f(x, size, stride, op):
    """Loops whose window (i, j) starts at (F·i, F·j): the output has the right size, the windows are wrong."""
    out_h, out_w = (x.shape[2] - size) // stride + 1, (x.shape[3] - size) // stride + 1
    out = np.zeros((*x.shape[:2], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * size : i * size + size, j * size : j * size + size]
            out[:, :, i, j] = window.max(axis=(2, 3)) if op == "max" else window.mean(axis=(2, 3))
    return out


FORWARD_MISTAKES = [
    (_stride_one, {}, "stride is ignored"),
    (None, {"step": 1}, r"starts at \(i, j\)"),
    (None, {"mix_channels": True}, "channels are mixed"),
    (lambda op: lambda x, size, stride: pool_loops(x, size, size, op), {}, "as if the stride were the window size"),
    (lambda op: _mistake("mean" if op == "max" else "max"), {}, "each window's (mean|max) is computed"),
    (lambda op: lambda x, size, stride: _starts_at_f(x, size, stride, op), {}, r"starts at \(F·i, F·j\)"),
    (lambda op: lambda x, size, stride: (pool_loops(x, size, stride, op), None), {}, r"return `out` alone"),
]


@pytest.mark.parametrize(("op", "checker"), [("max", check_maxpool_forward), ("mean", check_meanpool_forward)])
@pytest.mark.parametrize(("make", "options", "hint"), FORWARD_MISTAKES)
def test_forward_names_the_mistake(op, checker, make, options, hint):
    wrong = make(op) if make else _mistake(op, **options)
    with pytest.raises(ExerciseFailure, match=hint) as info:
        checker(wrong)
    assert len(str(info.value)) < 600, "a checker never prints whole arrays"


@pytest.mark.parametrize(
    ("n_out", "hint"),
    [
        (lambda x, f, s: (x.shape[2] // f, x.shape[3] // f), "H // F"),
        (lambda x, f, s: (x.shape[2] // s, x.shape[3] // s), "H // S"),
        (lambda x, f, s: ((x.shape[2] - f) // s + 1,) * 2, "uses the height"),
        (lambda x, f, s: ((x.shape[2] - f) // s, (x.shape[3] - f) // s), r"\+ 1 is missing"),
    ],
)
def test_forward_names_the_size_mistakes(n_out, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_maxpool_forward(lambda x, f, s: pool_loops(x, f, s, n_out=n_out(x, f, s)))


@pytest.mark.parametrize(
    ("count", "hint"),
    [
        (lambda f, s: f, "divides by F"),
        (lambda f, s: s * s, "divides by S·S"),
        (lambda f, s: 1, "summed, not averaged"),
    ],
)
def test_mean_names_the_wrong_count(count, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_meanpool_forward(lambda x, f, s: pool_loops(x, f, s, "mean", count=count(f, s)))


@pytest.mark.parametrize("checker", [check_maxpool_forward, check_meanpool_forward])
@pytest.mark.parametrize(("returned", "message"), [(None, "returned None"), (np.zeros((1, 1, 1)), "shape")])
def test_forward_explains_what_came_back(checker, returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        checker(lambda *args: returned)


@pytest.mark.parametrize(
    ("mode", "hint"),
    [
        ("assign", "SUM of their"),
        ("all_ties", "every tied maximum"),
        ("split", "split equally between the tied maxima"),
        ("last", "last maximum"),
        ("spread", "mean"),
        ("copy", "copied to every input"),
        ("local", "its local derivative"),
    ],
)
def test_maxpool_backward_names_the_mistake(mode, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_maxpool_backward(lambda d, x, s, t: maxpool_backward_loops(d, x, s, t, mode))


def test_maxpool_backward_names_a_returned_tuple_without_printing_it():
    with pytest.raises(ExerciseFailure, match=r"return `dx` alone") as info:
        check_maxpool_backward(lambda d, x, s, t: (_backward(d, x, s, t), {"x": x}))
    assert "[[" not in str(info.value) and len(str(info.value)) < 500


@pytest.mark.parametrize(("returned", "message"), [(None, "returned None"), ("dout", "shape")])
def test_maxpool_backward_explains_what_came_back(returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        check_maxpool_backward(lambda d, x, s, t: d if returned == "dout" else returned)


def test_a_students_error_keeps_its_traceback():
    with pytest.raises(IndexError):
        check_maxpool_forward(lambda x, f, s: x[0, 0, 0, 99])


@pytest.mark.parametrize(("number", "answer"), [("7.1", _torch_max), ("7.2", _torch_mean), ("7.3", _backward)])
def test_fresh_cases_differ_and_accept_the_right_answer(number, answer):
    exercise = EXERCISES[number]
    fresh, visible = exercise.fresh(np.random.default_rng(3)), exercise.cases()
    assert len(fresh) >= 1 and str(fresh) != str(visible)
    fallback = resolve(exercise.fallback)
    for case in [*visible, *fresh]:
        for function in (answer, fallback):
            assert judge_case(exercise, case, decode(*encode(run_case(exercise, function, case)))) is None, case


def test_maxpool_backward_split_tie_written_by_hand_is_named():
    def split(dout, x, size, stride):
        dx = np.zeros_like(x)
        for n, c, i, j in np.ndindex(dout.shape):
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            window = x[n, c, rows, cols]
            tied = window == window.max()
            dx[n, c, rows, cols] += dout[n, c, i, j] * tied / tied.sum()
        return dx

    with pytest.raises(ExerciseFailure, match="Likely mistake: the gradient is split equally between the tied"):
        check_maxpool_backward(split)
