"""Exercises 6.1-6.3: each checker passes the right answer, names each typical mistake, explains bad returns."""

import numpy as np
import pytest
import torch

from course_utils.checking import ExerciseFailure, decode, encode, judge_case, run_case
from course_utils.checking.harness import resolve
from course_utils.checks import check_conv_backward, check_conv_forward, check_output_size
from course_utils.instructor.exercises import EXERCISES
from course_utils.instructor.exercises.nb06 import conv_reference
from course_utils.instructor.exercises.nb06b import conv_backward_loops, conv_backward_reference
from course_utils.layers import conv2d_backward, conv2d_forward

# --- 6.1 output size ---------------------------------------------------------------------------


def _size(W, F, P, S, *, pad=2, validate=True, floor=True):
    span = W - F + pad * P
    if validate and (span < 0 or span % S):
        raise ValueError(f"(W - F + {pad}P) = {span} does not fit S = {S}")
    return span // S + 1 if floor else span / S + 1


def test_output_size_accepts_the_right_answer(capsys):
    check_output_size(_size)
    out = capsys.readouterr().out
    assert "Exercise 6.1: every setting right, and every one that does not fit refused with its values." in out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda W, F, P, S: _size(W, F, P, S, validate=False), "not refused: floor division"),
        (lambda W, F, P, S: _size(W, F, P, S, validate=False, floor=False), "not refused: a fractional"),
        (lambda W, F, P, S: _size(W, F, P, S, pad=0), "padding is left out"),
        (lambda W, F, P, S: _size(W, F, P, S, pad=1), "padding is counted once"),
        (lambda W, F, P, S: _size(W, F, P, 1) if (W - F + 2 * P) % S == 0 else _size(W, F, P, S), "stride is left"),
        (lambda W, F, P, S: _size(W, F, P, S) - 1, r"\+ 1 is missing"),
        (lambda W, F, P, S: _size(W, F, P, S) if F < W + 2 * P else _size(W, W + 2 * P + 1, P, S), "exactly as wide"),
    ],
)
def test_output_size_names_the_mistake(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_output_size(wrong)


def test_output_size_divisibility_without_the_fit_test_is_named():
    def divisible_only(W, F, P, S):
        if (W - F + 2 * P) % S:
            raise ValueError(f"(W - F + 2P) = {W - F + 2 * P} is not divisible by S = {S}")
        return (W - F + 2 * P) // S + 1

    with pytest.raises(ExerciseFailure, match=r"Likely mistake: only the divisibility is tested.*Refuse F > W \+ 2P"):
        check_output_size(divisible_only)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_output_size_nan_or_inf_is_wrong(bad):
    with pytest.raises(ExerciseFailure, match=f"you returned {bad}, expected"):
        check_output_size(
            lambda W, F, P, S: bad if (W - F + 2 * P) >= 0 and (W - F + 2 * P) % S == 0 else _size(W, F, P, S)
        )


def test_output_size_wants_the_values_in_the_error():
    def silent(W, F, P, S):
        if W - F + 2 * P < 0 or (W - F + 2 * P) % S:
            raise ValueError("invalid")
        return (W - F + 2 * P) // S + 1

    with pytest.raises(ExerciseFailure, match="names none of the values"):
        check_output_size(silent)


@pytest.mark.parametrize(("returned", "message"), [(None, "returned None"), ([28, 28], "one number")])
def test_output_size_explains_what_came_back(returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        check_output_size(lambda W, F, P, S: returned)


def test_output_size_keeps_other_errors():
    with pytest.raises(ZeroDivisionError):
        check_output_size(lambda W, F, P, S: 1 / 0)


# --- 6.2 forward ---------------------------------------------------------------------------------


def test_conv_forward_accepts_the_right_answer_and_its_fallback(capsys):
    check_conv_forward(lambda x, w, b, s, p: conv2d_forward(x, w, b, s, p)[0])
    check_conv_forward(resolve(EXERCISES["6.2"].fallback))
    assert capsys.readouterr().out.count("Exercise 6.2: all 5 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, w, b, s, p: conv_reference(x, w, 0 * b, s, p), "bias is missing"),
        (lambda x, w, b, s, p: conv_reference(x[:, :1], w[:, :1], b, s, p), "only the first channel"),
        (lambda x, w, b, s, p: conv_reference(x, w, b, 1, p), "stride is ignored"),
        (lambda x, w, b, s, p: conv_reference(x, w[:, :, ::-1, ::-1], b, s, p), "flipped"),
        (lambda x, w, b, s, p: None, "returned None"),
        (lambda x, w, b, s, p: conv_reference(x, w, b, s, p)[..., : conv_reference(x, w, b, s, p).shape[2]], "H_out"),
        (lambda x, w, b, s, p: np.maximum(conv_reference(x, w, b, s, p), 0), "ReLU is applied"),
        (lambda x, w, b, s, p: conv_reference(x, w, b, s, p)[:, :, :-1, :-1], r"\+ 1 of W_out"),
        (lambda x, w, b, s, p: conv_reference(x, w, x.shape[1] * b, s, p), "once per channel"),
        (lambda x, w, b, s, p: conv_reference(x, w, b, s, p).transpose(0, 1, 3, 2), "rows and columns are swapped"),
        (lambda x, w, b, s, p: (conv_reference(x, w, b, s, p), {"x": x}), r"return `out` alone"),
        (lambda x, w, b, s, p: conv_reference(x, w, b, s, p).astype(np.float32), "dtype float32"),
    ],
)
def test_conv_forward_names_the_mistake(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint) as info:
        check_conv_forward(wrong)
    assert len(str(info.value)) < 600, "a checker never prints whole arrays"


# --- 6.3 backward --------------------------------------------------------------------------------


def _backward(dout, x, w, b, stride=1, pad=0):
    return conv2d_backward(dout, conv2d_forward(x, w, b, stride, pad)[1])


def test_conv_backward_accepts_the_right_answer_and_its_fallback(capsys):
    check_conv_backward(_backward)
    check_conv_backward(lambda dout, x, w, b, s, p: conv_backward_loops(dout, x, w, s, p))
    check_conv_backward(resolve(EXERCISES["6.3"].fallback))
    assert resolve(EXERCISES["6.3"].fallback) is conv_backward_reference
    assert capsys.readouterr().out.count("Exercise 6.3: dx, dw and db are right in all 5 checks") == 3


def test_conv_backward_reference_agrees_with_torch():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    dout = rng.normal(size=(2, 4, 4, 4))
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    torch.nn.functional.conv2d(*tensors, stride=2, padding=1).backward(torch.tensor(dout))
    for ours, loops, t in zip(
        conv_backward_reference(dout, x, w, b, 2, 1), conv_backward_loops(dout, x, w, 2, 1), tensors, strict=True
    ):
        assert np.allclose(ours, t.grad.numpy(), atol=1e-10) and np.allclose(loops, ours, atol=1e-10)


def _loops(**options):
    return lambda dout, x, w, b, s, p: conv_backward_loops(dout, x, w, s, p, **options)


def _with(index, make):
    """The right gradients, with gradient ``index`` replaced by make(dout, x, w, b, s, p)."""

    def answer(dout, x, w, b, s, p):
        grads = list(_backward(dout, x, w, b, s, p))
        grads[index] = make(dout, x, w, b, s, p)
        return tuple(grads)

    return answer


def _padded_dx(dout, x, w, b, s, p):
    return np.pad(_backward(dout, x, w, b, s, p)[0], ((0, 0), (0, 0), (p, p), (p, p)))


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_loops(dw_images="last"), "dw holds only the last image"),
        (_loops(dw_images="mean"), "dw is averaged over the batch"),
        (
            _with(1, lambda d, x, w, *_: np.stack([_backward(d[[i]], x[[i]], w, *_)[1] for i in range(len(x))])),
            "one gradient per image",
        ),
        (_with(2, lambda d, *_: d.sum(axis=(0, 2, 3)) / d[0, 0].size / len(d)), "db is averaged"),
        (_with(2, lambda d, *_: d.sum(axis=0)), "(?i)every output position"),
        (_with(2, lambda d, *_: d.sum(axis=(2, 3))), "(?i)every output position"),
        (_with(2, lambda d, *_: d[-1].sum(axis=(1, 2))), "db holds only the last image"),
        (_loops(flip=True), "flipped"),
        (_with(0, _padded_dx), "PADDED input"),
        (_loops(crop="start"), "cropped on one side"),
        (_loops(crop="end"), "cropped on one side"),
        (_loops(step=1), "stride is ignored"),
        (_loops(dx_assign=True), r"use \+= instead of ="),
        (_with(2, lambda d, *_: d.sum(axis=(0, 2, 3)) / len(d)), "db is averaged over the batch"),
        (lambda d, x, w, b, s, p: (lambda g: (g[1], g[0], g[2]))(_backward(d, x, w, b, s, p)), r"order \(dx, dw"),
        (_with(0, lambda d, x, w, b, s, p: _padded_dx(d, x, w, b, s, p)[:, :, p:-p, p:-p]), "EMPTY when p = 0"),
        (_with(1, lambda d, x, w, b, s, p: _backward(d, x, w, b, s, p)[1].astype(np.float32)), "dw has dtype float32"),
    ],
)
def test_conv_backward_names_the_mistake(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint) as info:
        check_conv_backward(wrong)
    assert len(str(info.value)) < 700, "a checker never prints whole arrays"


@pytest.mark.parametrize(
    ("returned", "message"),
    [(None, r"tuple \(dx, dw, db\)"), ((None, None, None), "dx is None"), ((np.zeros(3),) * 3, "shape")],
)
def test_conv_backward_explains_what_came_back(returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        check_conv_backward(lambda *args: returned)


def test_conv_backward_keeps_the_students_error():
    with pytest.raises(IndexError):
        check_conv_backward(lambda dout, x, *_: x[0, 0, 99])


# --- all three: references pass on fresh cases, a failed check binds the fallback -----------------


@pytest.mark.parametrize(
    ("number", "answer"),
    [
        ("6.1", _size),
        ("6.2", lambda x, w, b, s, p: conv2d_forward(x, w, b, s, p)[0]),
        ("6.3", _backward),
    ],
)
def test_fresh_cases_differ_and_accept_the_right_answer(number, answer):
    exercise = EXERCISES[number]
    fresh = exercise.fresh(np.random.default_rng(3))
    visible = exercise.cases()
    assert len(fresh) >= 1 and str(fresh) != str(visible)
    for case in [*visible, *fresh]:
        assert judge_case(exercise, case, decode(*encode(run_case(exercise, answer, case)))) is None, case
    fallback = resolve(exercise.fallback)
    for case in fresh:
        assert judge_case(exercise, case, decode(*encode(run_case(exercise, fallback, case)))) is None, case


def test_conv_backward_loops_supports_rectangular_filters():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for stride, pad in ((1, 0), (1, 1), (2, 1)):
        out, cache = conv2d_forward(x, w, b, stride, pad)
        dout = rng.normal(size=out.shape)
        for mine, theirs in zip(
            conv_backward_loops(dout, x, w, stride, pad), conv2d_backward(dout, cache), strict=True
        ):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
