"""Each checker accepts the right answer and names the typical wrong ones."""

import numpy as np
import pytest
import torch

from course_utils.checking import Tensor, as_array, compare, decode, encode
from course_utils.checks import ExerciseFailure, check_flat_length


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
        (torch.tensor(1.0, requires_grad=True), "is 1, expected 784"),
    ],
)
def test_checker_accepts_anything_and_explains(returned, message):
    with pytest.raises(ExerciseFailure, match=message):
        check_flat_length(lambda h, w, c: returned)


def test_student_errors_are_not_hidden(capsys):
    def unfinished(h, w, c):
        raise NotImplementedError("Exercise 0.1: flat length")

    check_flat_length(unfinished)  # the released placeholder: not attempted, Run All goes on
    assert capsys.readouterr().out.startswith("Exercise 0.1: not attempted yet.")

    def own(h, w, c):
        raise NotImplementedError("I will do the channels later")

    with pytest.raises(NotImplementedError, match="channels later"):  # the student's own error, as it is
        check_flat_length(own)


def test_not_a_function():
    with pytest.raises(ExerciseFailure, match="expected a function"):
        check_flat_length(784)


def test_plain_data_round_trip_keeps_what_the_judges_need():
    value = {"a": (1, 2.5, None, "x"), "t": torch.ones(2, requires_grad=True), "n": np.arange(3), "f": len}
    back = decode(*encode(value))
    assert back["a"] == (1, 2.5, None, "x") and back["n"].tolist() == [0, 1, 2]
    assert isinstance(back["t"], Tensor) and back["t"].requires_grad and back["t"].array.tolist() == [1.0, 1.0]
    assert back["f"].type == "builtin_function_or_method"  # not plain data: only its type and repr come back
    assert as_array([1, 2]).tolist() == [1.0, 2.0] and "returned None" in as_array(None)


def test_compare_reports_the_first_differing_index_not_the_arrays():
    expected = np.zeros((50, 50))
    got = expected.copy()
    got[3, 7], got[10, 1] = 1.0, -4.0
    message = compare(got, expected, (expected,), what="dx")
    assert "differs first at index (3, 7): expected 0, got 1" in message
    assert "2 of 2500 entries differ; the largest difference is 4" in message
    assert "<array (50, 50)>" in message and len(message) < 300
    assert "inf or nan" in compare(np.inf, 1.0, (1,))


def test_a_failure_renders_as_its_message_alone():
    with pytest.raises(ExerciseFailure) as info:
        check_flat_length(lambda h, w, c: h * w)
    assert info.value._render_traceback_() == [f"\x1b[0;31mExerciseFailure\x1b[0m: {info.value}"]


def _all_exercises():
    from course_utils.instructor.exercises import EXERCISES

    return EXERCISES


def test_every_exercise_accepts_its_reference_on_fresh_cases():
    """The declarations agree with themselves: the reference answer (the exercise's fallback, else the
    answer written out below) is judged right on fresh cases too."""
    from course_utils.checking import judge_case, run_case
    from course_utils.checking.harness import resolve
    from course_utils.instructor.exercises import EXERCISES

    answers = {n: resolve(e.fallback) for n, e in EXERCISES.items() if e.fallback} | _reference_answers()
    assert set(answers) == set(EXERCISES), set(EXERCISES) ^ set(answers)
    rng = np.random.default_rng(0)
    for number, exercise in EXERCISES.items():
        fresh = exercise.fresh(rng)
        assert exercise.kind == "value" or len(fresh) >= 1, number
        for case in [*exercise.cases(), *fresh]:
            outcome = decode(*encode(run_case(exercise, answers[number], case)))
            assert judge_case(exercise, case, outcome) is None, (number, case)


def _reference_answers():
    import torch.nn.functional as F

    from course_utils import losses
    from course_utils.experiment import wider_lenet
    from course_utils.instructor.exercises import nb01
    from course_utils.instructor.exercises.nb03 import reference_backward
    from course_utils.instructor.exercises.nb06 import conv_reference
    from course_utils.instructor.exercises.nb06b import conv_backward_reference
    from course_utils.instructor.exercises.nb07 import (
        maxpool_backward_loops,
        maxpool_forward_reference,
        meanpool_forward_reference,
    )
    from course_utils.instructor.exercises.nb08 import LENET_ROWS, variant_table
    from course_utils.layers import conv_output_size
    from course_utils.models import LeNet

    def sgd(p, g, lr, wd):
        return {k: v - lr * (g[k] + (wd * v if k in ("W", "V") else 0)) for k, v in p.items()}

    def conv_cost(C, W, K, F_, S, P):
        out = (W - F_ + 2 * P) // S + 1
        return out, K * (C * F_ * F_ + 1), K * out * out * C * F_ * F_

    return {
        "0.1": lambda h, w, c: h * w * c,
        "1.1": {"a": [1.0, -2.0], "h": [1.0, 0.0], "f": 2.0},
        "1.2": dict(nb01.OUTPUT_TASKS),
        "10.3": wider_lenet,
        "2.1": losses.gaussian_nll,
        "2.2": losses.bernoulli_nll,
        "2.3": losses.categorical_nll,
        "3.1": reference_backward,
        "4.1": sgd,
        "5.1": lambda b: b.transpose(0, 3, 1, 2).reshape(len(b), -1),
        "5.2": lambda i, o: i * o + o,
        "6.1": conv_output_size,
        "6.2": conv_reference,
        "6.3": conv_backward_reference,
        "7.1": maxpool_forward_reference,
        "7.2": meanpool_forward_reference,
        "7.3": maxpool_backward_loops,
        "8.1": {name: (shape, params) for name, shape, params in LENET_ROWS},
        "8.2": variant_table,
        "8.3": LeNet,
        "9.1": lambda mu, y: 0.5 * F.mse_loss(mu, y),
        "9.2": F.binary_cross_entropy_with_logits,
        "9.3": F.cross_entropy,
        "10.1": conv_cost,
    }


# --- exercises 1.1 to 4.1: the right answer passes, each named mistake is recognised ------------

from course_utils import losses as reference_losses  # noqa: E402
from course_utils.checks import (  # noqa: E402
    check_backward,
    check_bernoulli_nll,
    check_categorical_nll,
    check_forward_batch,
    check_gaussian_nll,
    check_sgd_step,
)
from course_utils.instructor.exercises import nb02  # noqa: E402
from course_utils.instructor.exercises.nb03 import reference_backward  # noqa: E402


def _relu(a):
    return np.maximum(a, 0)


def test_forward_batch(capsys):
    check_forward_batch(lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T + c)
    assert "Exercise 1.3: all 4 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda X, W, b, V, c: _relu(X @ W + b) @ V.T + c, "W is used transposed"),
        (lambda X, W, b, V, c: (X @ W.T + b) @ V.T + c, "activation g is missing"),
        (lambda X, W, b, V, c: _relu(X @ W.T + b[:, None]) @ V.T + c, "wrong axis"),
        (lambda X, W, b, V, c: _relu(X @ W.T) @ V.T + c, "bias b is missing"),
        (lambda X, W, b, V, c: (_relu(X @ W.T + b) @ V.T + c)[:, 0], r"shape \(3,\)"),
    ],
)
def test_forward_batch_mistakes(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_forward_batch(wrong)


def test_loss_checkers_accept_the_reference(capsys):
    check_gaussian_nll(reference_losses.gaussian_nll)
    check_bernoulli_nll(reference_losses.bernoulli_nll)
    check_categorical_nll(reference_losses.categorical_nll)
    assert capsys.readouterr().out.count("all 4 checks passed, for the loss and for its gradient") == 3


def _naive_categorical(z, y):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    grad = p.copy()
    grad[np.arange(len(y)), y] -= 1
    return float(-np.mean(np.log(p[np.arange(len(y)), y]))), grad / len(y)


def _log_of_shifted_softmax(z, y):
    """The careful student's trap: the max is subtracted, but the log is taken of the probability."""
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    grad = p.copy()
    grad[np.arange(len(y)), y] -= 1
    return float(-np.mean(np.log(p[np.arange(len(y)), y]))), grad / len(y)


@pytest.mark.parametrize(
    ("checker", "wrong", "hint"),
    [
        (check_gaussian_nll, nb02._summed(reference_losses.gaussian_nll), "mean over the batch is missing"),
        (check_bernoulli_nll, nb02._summed(reference_losses.bernoulli_nll), "mean over the batch is missing"),
        (check_bernoulli_nll, nb02._naive_bernoulli, "overflows for large logits"),
        (check_bernoulli_nll, lambda z, y: reference_losses.bernoulli_nll(z, 1 - y), "labels are swapped"),
        (check_categorical_nll, nb02._summed(reference_losses.categorical_nll), "mean over the batch is missing"),
        (check_categorical_nll, _naive_categorical, "overflows to inf"),
        (check_categorical_nll, _log_of_shifted_softmax, r"then took log\(softmax\).*\(z − m\) − log Σ exp\(z − m\)"),
        (check_categorical_nll, nb02._categorical_over_batch, "over the batch"),
        (check_categorical_nll, lambda z, y: reference_losses.categorical_nll(z, y)[0], "return a pair"),
        (check_gaussian_nll, lambda p, y, s: None, "returned None"),
    ],
)
def test_loss_checker_mistakes(checker, wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        checker(wrong)


def test_backward(capsys):
    check_backward(reference_backward)
    assert "pass the gradient check on all 4 cases" in capsys.readouterr().out


def _backward_with(change):
    def backward(X, W, b, V, c, dY):
        return change(X, W, b, V, c, dY, *reference_backward(X, W, b, V, c, dY))

    return backward


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (lambda X, W, b, V, c, dY, dW, db, dV, dc: ((dY @ V).T @ X, db, dV, dc), "ReLU derivative is missing"),
        (lambda X, W, b, V, c, dY, dW, db, dV, dc: (dW, db / len(X), dV, dc), "db is averaged"),
        (lambda X, W, b, V, c, dY, dW, db, dV, dc: (dW, db, dY.T @ (X @ W.T + b), dc), "pre-activation"),
        (lambda X, W, b, V, c, dY, dW, db, dV, dc: (dW.T, db, dV, dc), "dW is transposed|dW has shape"),
        (lambda X, W, b, V, c, dY, dW, db, dV, dc: (dW, db, dV), "four gradients"),
    ],
)
def test_backward_mistakes(change, hint):
    with pytest.raises(AssertionError, match=hint):
        check_backward(_backward_with(change))


def _sgd(sign=1.0, decay_biases=False, decay_sign=1.0, scale_decay=True):
    def step(params, grads, lr, weight_decay):
        new = {}
        for k, v in params.items():
            decay = weight_decay * v if (k in ("W", "V") or decay_biases) else 0.0
            new[k] = v - sign * lr * grads[k] - (lr if scale_decay else 1.0) * decay_sign * decay
        return new

    return step


def test_sgd_step(capsys):
    check_sgd_step(_sgd())
    assert "Exercise 4.1: all 3 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_sgd(sign=-1.0, decay_sign=-1.0), "uphill"),
        (_sgd(decay_biases=True), "biases too"),
        (_sgd(decay_sign=-1.0), "wrong sign"),
        (_sgd(scale_decay=False), "not multiplied by the step size"),
        (lambda p, g, lr, wd: [p[k] - lr * g[k] for k in p], "return a dict"),
    ],
)
def test_sgd_step_mistakes(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check_sgd_step(wrong)


def _sgd_in_place(params, grads, lr, weight_decay):
    for k in params:
        params[k] -= lr * (grads[k] + (weight_decay * params[k] if k in ("W", "V") else 0))
    return params


def test_sgd_step_in_place_is_refused():
    with pytest.raises(ExerciseFailure, match=r"changed its input in place \(argument 1\).*return a new object"):
        check_sgd_step(_sgd_in_place)


# --- notebook 05 -------------------------------------------------------------------------------


def test_to_vectors_accepts_numpy_and_torch_answers(capsys):
    from course_utils.checks import check_to_vectors

    check_to_vectors(lambda b: b.transpose(0, 3, 1, 2).reshape(len(b), -1))
    check_to_vectors(lambda b: torch.from_numpy(b).permute(0, 3, 1, 2).flatten(1))
    assert capsys.readouterr().out.count("Exercise 5.1: all 4 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda b: b.reshape(len(b), -1), "HWC order"),
        (lambda b: b.reshape(b.shape[0], b.shape[3], b.shape[1], b.shape[2]).reshape(len(b), -1), "HWC order"),
        (lambda b: b.transpose(0, 3, 2, 1).reshape(len(b), -1), "C, W, H"),
        (lambda b: b.transpose(0, 3, 1, 2).reshape(-1), "one long vector"),
        (lambda b: b.transpose(0, 3, 1, 2).reshape(len(b), -1).T, "one row per image"),
        (lambda b: None, "returned None"),
        (lambda b: "vectors", "not a string"),
    ],
)
def test_to_vectors_names_the_mistake(wrong, hint):
    from course_utils.checks import check_to_vectors

    with pytest.raises(ExerciseFailure, match=hint):
        check_to_vectors(wrong)


def test_dense_params(capsys):
    from course_utils.checks import check_dense_params

    check_dense_params(lambda n_in, n_out: n_in * n_out + n_out)
    assert "Exercise 5.2: all 5 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda i, o: i * o, "biases are missing"),
        (lambda i, o: (i + 1) * o - o + i, "one bias per input"),
        (lambda i, o: i + o, "added"),
        (lambda i, o: [i * o + o], r"shape \(1,\)"),
    ],
)
def test_dense_params_names_the_mistake(wrong, hint):
    from course_utils.checks import check_dense_params

    with pytest.raises(ExerciseFailure, match=hint):
        check_dense_params(wrong)


# --- notebook 06 -------------------------------------------------------------------------------


def _conv(x, w, b, stride, pad, *, bias=True, one_side=False, ignore_stride=False, flip=False):
    n, c, h, wd = x.shape
    k, _, f, _ = w.shape
    if one_side:
        padded = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
        padded[:, :, :h, :wd] = x
    else:
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (h - f + 2 * pad) // stride + 1, (wd - f + 2 * pad) // stride + 1
    step = 1 if ignore_stride else stride
    w = w[:, :, ::-1, ::-1] if flip else w
    out = np.zeros((n, k, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, :, i * step : i * step + f, j * step : j * step + f]
            out[:, :, i, j] = np.einsum("nchw,kchw->nk", window, w) + (b if bias else 0)
    return out


def test_conv_forward(capsys):
    from course_utils.checks import check_conv_forward

    check_conv_forward(_conv)
    check_conv_forward(lambda *args: torch.tensor(_conv(*args)))
    assert capsys.readouterr().out.count("Exercise 6.2: all 5 checks passed.") == 2


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        ({"bias": False}, "bias is missing"),
        ({"one_side": True}, "one side only"),
        ({"ignore_stride": True}, r"starts at \(i, j\)"),
        ({"flip": True}, "flipped"),
    ],
)
def test_conv_forward_names_the_mistake(options, hint):
    from course_utils.checks import check_conv_forward

    with pytest.raises(ExerciseFailure, match=hint):
        check_conv_forward(lambda *args: _conv(*args, **options))


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, w, b, s, p: _conv(x[:, :1], w[:, :1], b, s, p), "only the first channel"),
        (lambda x, w, b, s, p: (_conv(x, w, b, s, p, bias=False)) / x.shape[1] + b[:, None, None], "averaged"),
        (
            lambda x, w, b, s, p: np.stack([_conv(x[:, [c]], w[:, [c]], b, s, p) for c in range(x.shape[1])], 2),
            "one map per channel",
        ),
    ],
)
def test_conv_forward_names_the_channel_mistakes(wrong, hint):
    from course_utils.checks import check_conv_forward

    with pytest.raises(ExerciseFailure, match=hint) as info:
        check_conv_forward(wrong)
    assert len(str(info.value)) < 600, "a checker never prints whole arrays"


def test_conv_forward_stride_ignored_in_the_size_too():
    from course_utils.checks import check_conv_forward

    with pytest.raises(ExerciseFailure, match="stride is ignored"):
        check_conv_forward(lambda x, w, b, s, p: _conv(x, w, b, 1, p))


# --- notebook 07 -------------------------------------------------------------------------------


def test_maxpool_backward(capsys):
    from course_utils.checks import check_maxpool_backward
    from course_utils.layers import maxpool2d_backward, maxpool2d_forward

    check_maxpool_backward(
        lambda dout, x, size, stride: maxpool2d_backward(dout, maxpool2d_forward(x, size, stride)[1])
    )
    assert "Exercise 7.3: all 6 checks passed." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mode", "hint"),
    [("assign", "SUM of their"), ("all_ties", "every tied maximum"), ("last", "last maximum"), ("spread", "mean")],
)
def test_maxpool_backward_names_the_mistake(mode, hint):
    from course_utils.checks import check_maxpool_backward
    from course_utils.instructor.exercises.nb07 import maxpool_backward_loops as _maxpool_backward_loops

    with pytest.raises(ExerciseFailure, match=hint):
        check_maxpool_backward(lambda d, x, s, t: _maxpool_backward_loops(d, x, s, t, mode))


def test_maxpool_backward_wrong_shape():
    from course_utils.checks import check_maxpool_backward

    with pytest.raises(ExerciseFailure, match="shape"):
        check_maxpool_backward(lambda d, x, s, t: d)


# --- notebook 08 -------------------------------------------------------------------------------


def _right_lenet_table():
    from course_utils.instructor.exercises.nb08 import LENET_ROWS

    return {name: (shape, params) for name, shape, params in LENET_ROWS}


def test_lenet_table(capsys):
    from course_utils.checks import check_lenet_table
    from course_utils.models import LeNet

    table = _right_lenet_table()
    summary = LeNet().summary()  # the checker's answers are the model's
    assert all(summary[name].output_shape == shape and summary[name].params == p for name, (shape, p) in table.items())
    check_lenet_table(table)
    assert "Exercise 8.1: all 7 rows are right: 61,706 parameters." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"conv1": ((6, 24, 24), 156)}, "row 'conv1'.*padding is left out"),
        ({"conv1": ((6, 28, 28), 150)}, "row 'conv1'.*biases are missing"),
        ({"pool1": ((6, 14, 14), 12)}, "row 'pool1'.*no parameters"),
        ({"conv2": ((16, 10, 10), 416)}, "row 'conv2'.*all 6 input maps"),
        ({"conv2": ((16, 14, 14), 2416)}, "row 'conv2'.*no padding"),
        ({"fc1": ((120,), 94_200)}, "row 'fc1'.*400 numbers"),
        ({"fc3": ((10,), 840)}, "row 'fc3'.*biases are missing"),
        ({"pool2": ((16, 5), 0)}, r"row 'pool2'.*\(maps, height, width\)"),
        ({"conv1": ((6, 24, 24), 150), "fc3": ((10,), 840)}, "row 'conv1'"),  # the first wrong row
        ({"fc2": "84"}, "pair"),
    ],
)
def test_lenet_table_names_the_first_wrong_row(change, hint):
    from course_utils.checks import check_lenet_table

    table = {**_right_lenet_table(), **change}
    with pytest.raises(ExerciseFailure, match=hint):
        check_lenet_table(table)


def test_lenet_table_wants_every_row():
    from course_utils.checks import check_lenet_table

    table = _right_lenet_table()
    del table["pool2"]
    with pytest.raises(ExerciseFailure, match=r"no row for \['pool2'\]"):
        check_lenet_table(table)
    with pytest.raises(ExerciseFailure, match="expected a dict"):
        check_lenet_table(None)


# --- notebooks 09 and 10 -----------------------------------------------------------------------


# Exercises 9.1-9.3 (the three heads' losses): tests/test_exercises_09.py


def _conv_cost(C, W, K, F, S, P):
    out = (W - F + 2 * P) // S + 1
    return out, K * (C * F * F + 1), K * out * out * C * F * F


def test_conv_cost(capsys):
    from course_utils.checks import check_conv_cost

    check_conv_cost(_conv_cost)
    assert "Exercise 10.1: all 5 checks passed." in capsys.readouterr().out


def _without_biases(C, W, K, F, S, P):
    out, _, adds = _conv_cost(C, W, K, F, S, P)
    return out, K * C * F * F, adds


def _adds_over_inputs(C, W, K, F, S, P):
    out, params, _ = _conv_cost(C, W, K, F, S, P)
    return out, params, K * W * W * C * F * F


def _true_division(C, W, K, F, S, P):
    out = (W - F + 2 * P) / S + 1
    return out, K * (C * F * F + 1), K * out * out * C * F * F


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_without_biases, "biases are missing"),
        (_adds_over_inputs, "every input position"),
        (_true_division, r"55.25 is not a whole number.*rounded down \(use //\)"),
    ],
)
def test_conv_cost_names_the_mistake(wrong, hint):
    from course_utils.checks import check_conv_cost

    with pytest.raises(ExerciseFailure, match=hint):
        check_conv_cost(wrong)


def test_a_failed_check_puts_the_course_version_in_place_and_says_so(capsys):
    from course_utils.checking import check
    from course_utils.checking.registry import get

    def mine(h, w, c):
        return h * w

    namespace = {"flat_length": mine}
    with pytest.raises(ExerciseFailure, match=r"until yours passes 0\.1") as info:
        check(get("0.1"), mine, namespace)
    assert "channels are left out" in str(info.value)
    assert namespace["flat_length"](32, 32, 3) == 3072  # the course's version, for the cells below

    def unfinished(h, w, c):
        raise NotImplementedError("Exercise 0.1: flat length")

    namespace = {"flat_length": unfinished}
    check(get("0.1"), unfinished, namespace)  # not attempted: one line, no error
    out = capsys.readouterr().out
    assert out == (
        "Exercise 0.1: not attempted yet. Using the course's `flat_length` in the cells below until yours passes 0.1.\n"
    )
    assert namespace["flat_length"] is not unfinished

    def broken(h, w, c):
        return h * w * c / 0

    namespace = {"flat_length": broken}
    with pytest.raises(ZeroDivisionError):  # the student's own error, as it is
        check(get("0.1"), broken, namespace)
    assert "Using the course's `flat_length` in the cells below until yours passes 0.1." in capsys.readouterr().out
    assert namespace["flat_length"] is not broken

    namespace = {"flat_length": None}
    check(get("0.1"), lambda h, w, c: h * w * c, namespace)  # a right answer binds nothing
    assert namespace["flat_length"] is None


def test_a_students_error_is_shown_from_their_own_line():
    """The traceback of an error raised in the student's function starts at their code, not in the checker."""
    import traceback

    def mine(h, w, c):
        return helper(h)

    def helper(h):
        raise ValueError(f"my own bug {h}")

    with pytest.raises(ValueError, match="my own bug") as info:
        check_flat_length(mine)
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    course = [f.filename for f in traceback.extract_tb(info.value.__traceback__) if "course_utils" in f.filename]
    assert frames[-2:] == ["mine", "helper"], frames
    assert all(name.endswith(("checks.py", "checking/registry.py", "checking/runner.py")) for name in course), course
    assert not any(f.name in ("run_case", "judge_case") for f in traceback.extract_tb(info.value.__traceback__))


@pytest.mark.parametrize("number", [n for n, e in _all_exercises().items() if e.fallback])
def test_a_failed_check_binds_the_fallback(number, capsys):
    """Every exercise with a fallback: an unsolved function's error comes through, the course's version is
    bound under the exercise's name, and one line says so."""
    from course_utils.checking import check
    from course_utils.checking.harness import resolve

    exercise = _all_exercises()[number]
    namespace = {}

    def unsolved(*args):
        raise NotImplementedError(f"Exercise {number}")

    with pytest.raises(NotImplementedError):
        check(exercise, unsolved, namespace)
    assert namespace[exercise.target] is resolve(exercise.fallback)
    notice = f"Using the course's `{exercise.target}` in the cells below until yours passes {number}."
    assert notice in capsys.readouterr().out
