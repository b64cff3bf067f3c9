"""Notebook 03's exercises: 3.1 (the batched backward pass) and 3.2 (central differences, by the student)."""

import numpy as np
import pytest

from course_utils.checking import check
from course_utils.checking.registry import get
from course_utils.checks import ExerciseFailure, check_backward, check_numerical_gradient
from course_utils.instructor.exercises import nb03b
from course_utils.instructor.exercises.nb03 import reference_backward


def test_backward_right_and_fallback(capsys):
    check_backward(reference_backward)
    assert "pass the gradient check on all 4 cases" in capsys.readouterr().out
    namespace = {}

    def unsolved(X, W, b, V, c, dF):
        raise NotImplementedError("Exercise 3.1")

    with pytest.raises(NotImplementedError):
        check(get("3.1"), unsolved, namespace)
    assert namespace["backward"] is reference_backward
    assert "until yours passes 3.1" in capsys.readouterr().out


def _dA(X, W, b, V, dF):
    return (dF @ V) * (X @ W.T + b > 0)


def _backward_with(change):
    def backward(X, W, b, V, c, dF):
        return change(X, W, b, V, c, dF, *reference_backward(X, W, b, V, c, dF))

    return backward


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: ((dF @ V).T @ X, db, dV, dc), "ReLU derivative is missing"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db / len(X), dV, dc), "db is averaged"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dV / len(X), dc), "dV is averaged"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dV, dc / len(X)), "dc is averaged"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dF.T @ (X @ W.T + b), dc), "pre-activation"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW.T, db, dV, dc), "dW is transposed|dW has shape"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dV), "four gradients"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: None, "returned None"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dV, dc, dW, db), "returned in another order"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dV.T, dc), "dV is transposed"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, db, dV, dF.sum(axis=1)), "dc sums over the wrong axis"),
        (lambda X, W, b, V, c, dF, dW, db, dV, dc: (dW, _dA(X, W, b, V, dF).sum(axis=1), dV, dc), "db sums over"),
        (
            lambda X, W, b, V, c, dF, dW, db, dV, dc: (((dF @ V) * (X @ W.T > 0)).T @ X, db, dV, dc),
            "without the bias",
        ),
        (
            lambda X, W, b, V, c, dF, dW, db, dV, dc: (np.maximum(dF @ V, 0).T @ X, db, dV, dc),
            "applied to the gradient",
        ),
        (
            lambda X, W, b, V, c, dF, dW, db, dV, dc: (((dF @ V) * np.maximum(X @ W.T + b, 0)).T @ X, db, dV, dc),
            "multiplied by h = relu",
        ),
        (
            lambda X, W, b, V, c, dF, dW, db, dV, dc: (((dF @ V.T) * (X @ W.T + b > 0)).T @ X, db, dV, dc),
            "only when K = H",
        ),
    ],
)
def test_backward_mistakes(change, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_backward(_backward_with(change))


def central(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = f(x)
        x[index] = original - eps
        minus = f(x)
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def test_numerical_gradient_right_and_fallback(capsys):
    check_numerical_gradient(central)
    check_numerical_gradient(nb03b.numerical_gradient)
    assert capsys.readouterr().out.count("Exercise 3.2: your central differences agree on all 4 cases.") == 2


def test_numerical_gradient_with_copies_is_right_too(capsys):
    def with_copies(f, x, eps=1e-6):
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            step = np.zeros(x.shape)
            step[index] = eps
            grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
        return grad

    check_numerical_gradient(with_copies)
    assert "agree on all 4 cases" in capsys.readouterr().out


def one_sided(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        base = f(x)
        x[index] = original + eps
        grad[index] = (f(x) - base) / eps
        x[index] = original
    return grad


def over_eps(f, x, eps=1e-6):
    return 2 * central(f, x, eps)


def not_restored(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += eps
        plus = f(x)
        x[index] -= 2 * eps
        grad[index] = (plus - f(x)) / (2 * eps)
    return grad


def all_at_once(f, x, eps=1e-6):
    return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))


def fixed_step(f, x, eps=1e-6):
    return central(f, x, 1e-6)


def flattened(f, x, eps=1e-6):
    return central(f, x, eps).reshape(-1)


def first_axis_only(f, x, eps=1e-6):
    grad = np.zeros(len(x))
    for i in range(len(x)):
        step = np.zeros(x.shape)
        step[i] = eps
        grad[i] = np.sum((f(x + step) - f(x - step)) / (2 * eps))
    return grad


def perturbs_a_copy(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += eps
        plus = f(x)  # the slip: f sees x, not the moved copy
        moved[index] -= 2 * eps
        grad[index] = (plus - f(x)) / (2 * eps)
    return grad


def by_rows(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        original = x[i].copy()
        x[i] = original + eps
        plus = f(x)
        x[i] = original - eps
        minus = f(x)
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (one_sided, "one-sided difference"),
        (over_eps, "divided by eps"),
        (not_restored, "not restored"),
        (all_at_once, "moved at once"),
        (fixed_step, "is not used"),
        (flattened, "flattened"),
        (first_axis_only, "one entry per entry of x"),
        (perturbs_a_copy, "f is evaluated twice at the same point"),
        (by_rows, "a whole row moves at once"),
        (lambda f, x, eps=1e-6: None, "returned None"),
        (lambda f, x, eps=1e-6: "grad", "not a string"),
    ],
)
def test_numerical_gradient_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_numerical_gradient(wrong)


def test_numerical_gradient_that_changes_x_is_told_so():
    def right_but_leaves_x_shifted(f, x, eps=1e-6):
        grad = central(f, x, eps)
        x += 1.0
        return grad

    with pytest.raises(ExerciseFailure, match="changed its input in place"):
        check_numerical_gradient(right_but_leaves_x_shifted)


def test_numerical_gradient_fallback_when_unsolved(capsys):
    namespace = {}

    def unsolved(f, x, eps=1e-6):
        raise NotImplementedError("Exercise 3.2")

    with pytest.raises(NotImplementedError):
        check(get("3.2"), unsolved, namespace)
    assert namespace["numerical_gradient"] is nb03b.numerical_gradient
    assert "until yours passes 3.2" in capsys.readouterr().out


def test_numerical_gradient_fresh_cases_accept_the_answer():
    exercise = get("3.2")
    for case in exercise.fresh(np.random.default_rng(1)):
        x = case[1].copy()
        assert exercise.judge(case, central(nb03b.TEST_FUNCTIONS[case[0]], x, case[2])) is None


# --- 3.3 · the batched backward pass by autograd ----------------------------------------------------

import torch  # noqa: E402

from course_utils.checks import check_autograd_backward  # noqa: E402
from course_utils.instructor.exercises import nb03c  # noqa: E402


def _autograd(scalar=lambda F, dF: (F * dF).sum(), relu=True, grads=lambda params: [p.grad for p in params]):
    def answer(X, W, b, V, c, dF):
        params = [torch.tensor(p, requires_grad=True) for p in (W, b, V, c)]
        hidden = torch.tensor(X) @ params[0].T + params[1]
        F = (torch.relu(hidden) if relu else hidden) @ params[2].T + params[3]
        scalar(F, torch.tensor(dF)).backward()
        return grads(params)

    return answer


def test_autograd_backward_right_and_fallback(capsys):
    check_autograd_backward(_autograd())  # torch tensors come back: accepted
    check_autograd_backward(_autograd(grads=lambda params: tuple(p.grad.numpy() for p in params)))
    check_autograd_backward(nb03c.autograd_backward)
    assert capsys.readouterr().out.count("autograd's dW, db, dV and dc are right on all 4 cases") == 3
    namespace = {}

    def unsolved(X, W, b, V, c, dF):
        raise NotImplementedError("Exercise 3.3")

    with pytest.raises(NotImplementedError):
        check(get("3.3"), unsolved, namespace)
    assert namespace["autograd_backward"] is nb03c.autograd_backward
    assert "until yours passes 3.3" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_autograd(scalar=lambda F, dF: F.sum()), "the scalar is F.sum()"),
        (_autograd(scalar=lambda F, dF: (F * dF).mean()), "N·K times too small"),
        (_autograd(relu=False), "ReLU is missing"),
        (_autograd(grads=lambda params: [None] * 4), "requires_grad=True"),
        (_autograd(grads=lambda params: [p.grad for p in params[:3]]), "four gradients"),
        (lambda X, W, b, V, c, dF: None, "returned None"),
    ],
)
def test_autograd_backward_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_autograd_backward(wrong)


# --- issue 28: answers that are right another way -------------------------------------------------


def restores_by_arithmetic(f, x, eps=1e-6):
    """Moves x[i] up, down and up again: x ends an ulp or so away from where it was."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += eps
        plus = f(x)
        x[index] -= 2 * eps
        minus = f(x)
        x[index] += eps
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def test_numerical_gradient_restored_up_to_rounding_passes(capsys):
    x = np.random.default_rng(1).normal(size=(2, 3))
    moved = x.copy()
    restores_by_arithmetic(nb03b.TEST_FUNCTIONS["tanh network loss of W"], moved, 0.1)
    assert not np.array_equal(moved, x) and np.allclose(moved, x, rtol=0, atol=1e-15)  # the case in point
    check_numerical_gradient(restores_by_arithmetic)
    assert "agree on all 4 cases" in capsys.readouterr().out


def test_numerical_gradient_not_restored_says_to_write_the_value_back():
    def right_but_leaves_x_a_little_off(f, x, eps=1e-6):
        grad = central(f, x, eps)
        x += 1e-9  # far beyond rounding
        return grad

    with pytest.raises(ExerciseFailure, match=r"changed its input in place.*save each value you change and write it"):
        check_numerical_gradient(right_but_leaves_x_a_little_off)


@pytest.mark.parametrize("step", [1e-4, 1e-6, 1e-5, 1e-2])
def test_numerical_gradient_fixed_step_is_named(step):
    exercise = get("3.2")
    verdicts = [
        exercise.judge(case, central(nb03b.TEST_FUNCTIONS[case[0]], case[1].copy(), step)) for case in exercise.cases()
    ]
    failing = [m for m in verdicts if m]
    assert failing, step
    assert all(f"matches a fixed step of {step:g}," in m for m in failing), failing


def test_autograd_float32_is_judged_at_float32_precision(capsys):
    def in_float32(X, W, b, V, c, dF):
        params = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in (W, b, V, c)]
        F = torch.relu(torch.tensor(X, dtype=torch.float32) @ params[0].T + params[1]) @ params[2].T + params[3]
        F.backward(torch.tensor(dF, dtype=torch.float32))
        return tuple(p.grad for p in params)

    check_autograd_backward(in_float32)
    assert "right on all 4 cases" in capsys.readouterr().out


def test_autograd_float16_says_its_dtype():
    def in_float16(X, W, b, V, c, dF):
        return tuple(g.astype(np.float16) for g in nb03c.autograd_backward(X, W, b, V, c, dF))

    with pytest.raises(ExerciseFailure, match=r"expected .*, got .*Your dW has dtype float16.*float64"):
        check_autograd_backward(in_float16)
