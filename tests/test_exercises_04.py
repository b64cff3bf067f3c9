"""Notebook 04's exercises: each right answer passes, each recognised mistake gets its own message."""

import numpy as np
import pytest

from course_utils.checking import ExerciseFailure
from course_utils.checks import check_distinct_units, check_init_params, check_sgd_step
from course_utils.instructor.exercises.nb04 import sgd_step
from course_utils.instructor.exercises.nb04b import count_distinct_units
from course_utils.mlp import init_params

# --- 4.1 · sgd_step -------------------------------------------------------------------------------------


def _sgd(sign=1.0, decay_biases=False, decay_sign=1.0, scale_decay=True, factor=1.0):
    def step(params, grads, lr, weight_decay):
        new = {}
        for k, v in params.items():
            decay = factor * weight_decay * v if (k in ("W", "V") or decay_biases) else 0.0
            new[k] = v - sign * lr * grads[k] - (lr if scale_decay else 1.0) * decay_sign * decay
        return new

    return step


def test_sgd_step_right_answer_and_fallback_pass(capsys):
    check_sgd_step(_sgd())
    check_sgd_step(sgd_step)
    assert capsys.readouterr().out.count("Exercise 4.1: all 3 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_sgd(sign=-1.0, decay_sign=-1.0), "uphill"),
        (_sgd(decay_biases=True), "biases too"),
        (_sgd(decay_sign=-1.0), "wrong sign"),
        (_sgd(scale_decay=False), "not multiplied by the step size"),
        (_sgd(factor=0.0), "weight decay term is missing"),
        (_sgd(factor=0.5), "half as large as it should be"),
        (lambda p, g, lr, wd: {**_sgd()(p, g, lr, wd), "b": p["b"].copy(), "c": p["c"].copy()}, "biases did not move"),
        (lambda p, g, lr, wd: [p[k] - lr * g[k] for k in p], "return a dict"),
        (lambda p, g, lr, wd: None, "returned None"),
    ],
)
def test_sgd_step_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_sgd_step(wrong)


def test_sgd_step_wrong_shape_is_explained():
    def flat(p, g, lr, wd):
        return {k: (v - lr * g[k]).ravel() for k, v in p.items()}

    with pytest.raises(ExerciseFailure, match=r"the new W has shape \(12,\), expected \(3, 4\)"):
        check_sgd_step(flat)


def test_sgd_step_in_place_is_refused():
    def in_place(params, grads, lr, weight_decay):
        for k in params:
            params[k] -= lr * (grads[k] + (weight_decay * params[k] if k in ("W", "V") else 0))
        return params

    with pytest.raises(ExerciseFailure, match=r"changed its input in place \(argument 1\)"):
        check_sgd_step(in_place)


def test_sgd_step_failure_binds_the_fallback():
    namespace = {}
    from course_utils.checking import check
    from course_utils.checking.registry import get

    with pytest.raises(ExerciseFailure, match="Using the course's `sgd_step`"):
        check(get("4.1"), _sgd(decay_biases=True), namespace)
    assert namespace["sgd_step"] is sgd_step


# --- 4.2 · init_params ----------------------------------------------------------------------------------


def _init(scale=lambda fan_in, fan_out: 1 / np.sqrt(fan_in), layout="lecture", bias=0.0, draw="normal"):
    def init(n_in, n_hidden, n_out, rng):
        params = {}
        for name, fan_in, fan_out in (("W", n_in, n_hidden), ("V", n_hidden, n_out)):
            shape = (fan_out, fan_in) if layout == "lecture" else (fan_in, fan_out)
            s = scale(fan_in, fan_out)
            if draw == "normal":
                params[name] = rng.normal(0, s, size=shape)
            elif draw == "uniform":
                params[name] = rng.uniform(-s, s, size=shape)
            elif draw == "positive":
                params[name] = rng.random(shape) * s
            elif draw == "global":
                params[name] = np.random.normal(0, s, size=shape)
            elif draw == "own seed":
                params[name] = np.random.default_rng(0).normal(0, s, size=shape)
            else:
                params[name] = np.full(shape, draw)
        params["b"], params["c"] = np.full(n_hidden, bias), np.zeros(n_out)
        return params

    return init


def test_init_params_right_answers_and_fallback_pass(capsys):
    check_init_params(_init())
    check_init_params(_init(scale=lambda fan_in, _: np.sqrt(3 / fan_in), draw="uniform"))  # std 1/√fan-in too
    check_init_params(init_params)
    assert capsys.readouterr().out.count("Exercise 4.2: all 4 checks passed.") == 3


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_init(draw=0.0), r"every entry of W is 0: all hidden units start identical"),
        (_init(draw=0.1), r"every entry of W is 0.1"),
        (_init(scale=lambda i, o: 1.0), r"W has standard deviation .*Likely mistake: the weights are not scaled"),
        (_init(scale=lambda i, o: 1 / np.sqrt(o)), r"Likely mistake: the scale uses the fan-out"),
        (_init(scale=lambda i, o: 1 / i), r"Likely mistake: the standard deviation is 1/fan-in"),
        (_init(scale=lambda i, o: 1 / np.sqrt(i), draw="uniform"), r"uniform weights on ±1/√fan-in"),
        (_init(scale=lambda i, o: np.sqrt(2 / i)), r"Likely mistake: √\(2/fan-in\) is He initialisation"),
        (_init(scale=lambda i, o: np.sqrt(2 / (i + o))), r"Likely mistake: √\(2/\(fan-in \+ fan-out\)\) is Glorot"),
        (_init(bias=0.1), r"the bias b is not zero"),
        (_init(scale=lambda i, o: np.sqrt(3) / np.sqrt(i), draw="positive"), r"mean .* draw them around 0"),
        (_init(draw="global"), r"same seed gave different weights"),
        (_init(draw="own seed"), r"different seeds gave the same weights"),
        (lambda *a: None, r"returned None"),
        (lambda *a: [np.zeros(3)], r"return a dict with keys W, b, V, c"),
    ],
)
def test_init_params_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_init_params(wrong)


def test_init_params_v_with_the_first_layers_fan_in_is_named():
    def init(n_in, n_hidden, n_out, rng):
        return {
            "W": rng.normal(0, 1 / np.sqrt(n_in), (n_hidden, n_in)),
            "b": np.zeros(n_hidden),
            "V": rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_hidden)),
            "c": np.zeros(n_out),
        }

    with pytest.raises(ExerciseFailure, match=r"V is scaled with the first layer's fan-in"):
        check_init_params(init)


def test_init_params_transposed_layout_message():
    with pytest.raises(ExerciseFailure, match=r"W has shape \(3, 2\); the lecture's layout is \(2, 3\)"):
        check_init_params(_init(layout="transposed"))


def test_init_params_fresh_cases_accept_the_fallback():
    from course_utils.checking import decode, encode, judge_case, run_case
    from course_utils.checking.registry import get

    exercise = get("4.2")
    for case in exercise.fresh(np.random.default_rng(0)):
        for answer in (init_params, _init(scale=lambda i, o: 1 / np.sqrt(o))):
            tree, arrays = encode(run_case(exercise, answer, case))
            verdict = judge_case(exercise, case, decode(tree, arrays))
            assert (verdict is None) == (answer is init_params), verdict


# --- 4.3 · count_distinct_units ---------------------------------------------------------------------------


def _distinct_rows(rows, exact=False):
    kept = []
    for row in rows:
        if not any(
            (np.array_equal if exact else lambda a, b: np.allclose(a, b, rtol=0, atol=1e-9))(k, row) for k in kept
        ):
            kept.append(row)
    return len(kept)


def test_count_distinct_units_right_answer_and_fallback_pass(capsys):
    check_distinct_units(lambda p: _distinct_rows(np.column_stack([p["W"], p["b"], p["V"].T])))
    check_distinct_units(count_distinct_units)
    assert capsys.readouterr().out.count("Exercise 4.3: all 4 checks passed.") == 2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda p: _distinct_rows(p["W"].T), "compared the columns of W"),
        (lambda p: _distinct_rows(p["W"]), "only the incoming weights"),
        (lambda p: _distinct_rows(np.column_stack([p["W"], p["b"]])), "but not the outgoing weights"),
        (lambda p: _distinct_rows(np.column_stack([p["W"], p["V"].T])), "but not the bias b_j"),
        (lambda p: _distinct_rows(np.column_stack([p["W"], p["b"], p["V"].T]), exact=True), "comparison is exact"),
        (lambda p: len(p["W"]) - count_distinct_units(p), "counted the copies"),
        (lambda p: np.unique(p["W"], axis=0), "not the units themselves"),
        (lambda p: None, "returned None"),
    ],
)
def test_count_distinct_units_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_distinct_units(wrong)


def test_count_distinct_units_fresh_cases_tell_the_mistakes_apart():
    from course_utils.checking.registry import get

    exercise = get("4.3")
    for (params,) in exercise.fresh(np.random.default_rng(3)):
        assert exercise.judge((params,), count_distinct_units(params)) is None
        for wrong in (_distinct_rows(params["W"].T), _distinct_rows(params["W"])):
            assert exercise.judge((params,), wrong) is not None
        W, b, V = params["W"], params["b"], params["V"].T
        no_bias = exercise.judge((params,), _distinct_rows(np.column_stack([W, V])))
        no_outgoing = exercise.judge((params,), _distinct_rows(np.column_stack([W, b])))
        assert "but not the bias b_j" in no_bias and "but not the outgoing weights" in no_outgoing


def test_count_distinct_units_unique_rows_of_w_is_named_not_blamed_on_copies():
    with pytest.raises(
        ExerciseFailure, match=r"either b and V are left out and the comparison is exact.*; or you counted"
    ):
        check_distinct_units(lambda p: len(np.unique(p["W"], axis=0)))
    from course_utils.checking.registry import get

    exercise = get("4.3")
    for (params,) in exercise.fresh(np.random.default_rng(3)):  # where the counts differ, one mistake is named
        unique_rows = exercise.judge((params,), len(np.unique(params["W"], axis=0)))
        copies = exercise.judge((params,), len(params["W"]) - count_distinct_units(params))
        assert "Likely mistake: b and V are left out and the comparison is exact" in unique_rows, unique_rows
        assert "Likely mistake: you counted the copies" in copies, copies


def test_init_params_with_one_nan_weight_is_told_so():
    from course_utils.mlp import init_params

    def one_nan(n_in, n_hidden, n_out, rng):
        params = init_params(n_in, n_hidden, n_out, rng)
        params["W"][0, 0] = np.nan
        return params

    with pytest.raises(ExerciseFailure, match=r"params\['W'\] holds nan or inf: every weight must be a finite number"):
        check_init_params(one_nan)
