"""Exercise checkers: run the student's function on cases with known answers.

Introduced in notebook 00 (welcome); every notebook's exercises end with a
call to one of these.

A checker accepts anything the student's function returns (None, a list, a
numpy array, a torch tensor, the wrong shape) and answers with an
``AssertionError`` whose message says what was expected, what came back and,
where it recognises it, the likely mistake. On success it prints one line.
Errors raised by the student's own code are left alone, so the traceback
points at the student's line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ExerciseFailure",
    "to_array",
    "check_cases",
    "check_flat_length",
    "check_forward_batch",
    "check_gaussian_nll",
    "check_bernoulli_nll",
    "check_categorical_nll",
    "check_backward",
    "check_sgd_step",
    "check_to_vectors",
    "check_dense_params",
    "check_output_size",
    "check_conv_forward",
    "check_maxpool_backward",
    "LENET_ROWS",
    "check_lenet_table",
    "check_head_losses",
    "check_conv_cost",
]


class ExerciseFailure(AssertionError):
    """A wrong answer to an exercise. An AssertionError, so ``assert``-style tooling treats it alike."""


def _fail(exercise: str, message: str) -> None:
    # `from None`: the student sees our message, not the checker's internals.
    raise ExerciseFailure(f"Exercise {exercise}: {message}") from None


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def to_array(value: Any, exercise: str, what: str = "your function") -> np.ndarray:
    """``value`` as a float64 numpy array, or an ExerciseFailure saying why it cannot be one."""
    if value is None:
        _fail(exercise, f"{what} returned None. Did you forget the `return` statement?")
    if isinstance(value, (str, bytes)):  # numpy would happily turn "784" into 784.0
        _fail(exercise, f"{what} returned the text {value!r}; return a number, not a string.")
    if hasattr(value, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(exercise, f"{what} returned {_describe(value)}, which is not a number or an array of numbers.")
    return array


def _show(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=4, threshold=12, edgeitems=2, suppress_small=True)


def check_cases(
    exercise: str,
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[tuple],
    mistakes: dict[str, Callable[..., Any]] | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    quiet: bool = False,
    what: str = "the result",
) -> None:
    """Compare ``student_fn(*case)`` with ``reference_fn(*case)`` for every case.

    Args:
        exercise: "N.M", used in every message.
        student_fn: the student's function.
        reference_fn: the correct function.
        cases: argument tuples, simplest first (the first failing one is reported).
        mistakes: likely mistake (a sentence) -> a function computing that wrong answer.
            When the student's output matches one of them, the message names it.
        rtol, atol: tolerances of ``np.allclose``.
        quiet: do not print the success line.
        what: what is compared, for the messages ("the loss", "the gradient").
    """
    if not callable(student_fn):
        _fail(exercise, f"expected a function, got {_describe(student_fn)}.")
    for args in cases:
        expected = np.asarray(reference_fn(*args), dtype=np.float64)
        got = to_array(student_fn(*args), exercise)
        call = f"for inputs {_format_args(args)}"
        if got.shape != expected.shape:
            hint = _recognise(got, args, mistakes, rtol, atol)
            _fail(
                exercise,
                f"{call} {what} has shape {got.shape}, expected {expected.shape}."
                + (f" Likely mistake: {hint}" if hint else ""),
            )
        if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
            hint = _recognise(got, args, mistakes, rtol, atol)
            if not np.all(np.isfinite(got)) and not hint:
                hint = f"{what} has inf or nan values: look for an overflow (exp of a large number) or 0/0."
            _fail(
                exercise,
                f"{call} {what} should be\n{_show(expected)}\nbut is\n{_show(got)}"
                + (f"\nLikely mistake: {hint}" if hint else ""),
            )
    if not quiet:
        print(f"Exercise {exercise}: all {len(cases)} checks passed.")


def _format_args(args: tuple) -> str:
    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray) or hasattr(arg, "shape"):
            parts.append(f"<array of shape {tuple(arg.shape)}>")
        else:
            parts.append(repr(arg))
    return "(" + ", ".join(parts) + ")"


def _recognise(got: np.ndarray, args: tuple, mistakes, rtol: float, atol: float) -> str | None:
    """The first known mistake whose output matches the student's, if any."""
    for sentence, wrong_fn in (mistakes or {}).items():
        try:
            with np.errstate(all="ignore"):
                wrong = np.asarray(wrong_fn(*args), dtype=np.float64)
        except Exception:  # a mistake that cannot be computed on this case is simply not it
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True):
            return sentence
    return None


# --- notebook 00 -------------------------------------------------------------------------------


def check_flat_length(flat_length: Callable[[int, int, int], Any]) -> None:
    """Exercise 0.1: the length of an H x W image with C channels once flattened into a vector."""
    check_cases(
        "0.1",
        flat_length,
        lambda h, w, c: h * w * c,
        cases=[(28, 28, 1), (32, 32, 3), (5, 7, 2), (1, 1, 1)],
        mistakes={
            "the channels are left out: a colour image has C numbers per pixel.": lambda h, w, c: h * w,
            "the sizes are added; a flattened image has one entry per (row, column, channel), "
            "so they multiply.": lambda h, w, c: h + w + c,
            "only one side is used, as if images were square.": lambda h, w, c: h * h * c,
        },
    )


# --- notebook 01 -------------------------------------------------------------------------------


def _relu(a):
    return np.maximum(a, 0)


def _forward_cases(rng: np.random.Generator) -> list[tuple]:
    """(X, W, b, V, c) cases; the square one first, so that transposes give wrong values, not errors."""
    cases = []
    for n, d, h, k in ((3, 3, 3, 3), (1, 3, 2, 1), (5, 3, 2, 1), (4, 6, 5, 2)):
        cases.append(
            (
                rng.normal(size=(n, d)),
                rng.normal(size=(h, d)),
                rng.normal(size=h),
                rng.normal(size=(k, h)),
                rng.normal(size=k),
            )
        )
    return cases


def check_forward_batch(forward_batch: Callable) -> None:
    """Exercise 1.1: Y = relu(X W^T + b) V^T + c for a batch X (N, D); Y is (N, K)."""
    check_cases(
        "1.1",
        forward_batch,
        lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T + c,
        _forward_cases(np.random.default_rng(11)),
        mistakes={
            "W is used transposed: with inputs as rows of X, the hidden layer is X @ W.T (each row of W "
            "holds one hidden unit's weights).": lambda X, W, b, V, c: _relu(X @ W + b) @ V.T + c,
            "V is used transposed: the output is H @ V.T.": lambda X, W, b, V, c: _relu(X @ W.T + b) @ V + c,
            "the activation g is missing: apply relu to X @ W.T + b before multiplying by V.": (
                lambda X, W, b, V, c: (X @ W.T + b) @ V.T + c
            ),
            "relu is applied to the output as well; the output here is the identity.": (
                lambda X, W, b, V, c: _relu(_relu(X @ W.T + b) @ V.T + c)
            ),
            "the bias b is added along the wrong axis: b has one entry per hidden unit, so it is added to "
            "every row (X @ W.T + b broadcasts it that way).": (
                lambda X, W, b, V, c: _relu(X @ W.T + b[:, None]) @ V.T + c
            ),
            "the bias b is added after the activation: it belongs inside, relu(X @ W.T + b).": (
                lambda X, W, b, V, c: (_relu(X @ W.T) + b) @ V.T + c
            ),
            "the bias b is missing.": lambda X, W, b, V, c: _relu(X @ W.T) @ V.T + c,
            "the bias c is missing.": lambda X, W, b, V, c: _relu(X @ W.T + b) @ V.T,
        },
    )


# --- notebook 02 -------------------------------------------------------------------------------


def _require_tuple(result: Any, exercise: str, count: int, wanted: str) -> tuple:
    """``result`` if it is a tuple/list of ``count`` items, else an ExerciseFailure saying what was wanted."""
    if result is None:
        _fail(exercise, "your function returned None. Did you forget the `return` statement?")
    if not isinstance(result, (tuple, list)) or len(result) != count:
        _fail(exercise, f"return {wanted}; your function returned {_describe(result)}.")
    return tuple(result)


def _pair_part(fn: Callable, index: int, exercise: str) -> Callable:
    """Element ``index`` of the (loss, gradient) pair ``fn`` returns, with a clear error if it is no pair."""

    def part(*args):
        return _require_tuple(fn(*args), exercise, 2, "a pair (loss, gradient)")[index]

    return part


def _check_loss(exercise: str, student_fn: Callable, reference_fn: Callable, cases: list, mistakes: dict) -> None:
    """Check the loss, then the gradient, of a function returning (mean loss, gradient)."""
    for index, what in ((0, "the loss"), (1, "the gradient")):
        check_cases(
            exercise,
            _pair_part(student_fn, index, exercise),
            _pair_part(reference_fn, index, exercise),
            cases,
            {sentence: _pair_part(fn, index, exercise) for sentence, fn in mistakes.items()},
            rtol=1e-6,
            atol=1e-9,
            quiet=True,
            what=what,
        )
    print(f"Exercise {exercise}: all {len(cases)} checks passed, for the loss and for its gradient.")


def _summed(fn: Callable) -> Callable:
    """The same loss without the mean: both loss and gradient N times too large."""

    def summed(*args):
        loss, grad = fn(*args)
        n = np.shape(args[0])[0]
        return loss * n, grad * n

    return summed


_MISSING_MEAN = (
    "the mean over the batch is missing: the loss and its gradient are N times too large (divide by N = len(y))."
)


def check_gaussian_nll(gaussian_nll: Callable) -> None:
    """Exercise 2.1: mean Gaussian NLL (pred (N,), y (N,), sigma) and its gradient with respect to pred."""
    from course_utils.losses import gaussian_nll as reference

    rng = np.random.default_rng(21)
    cases = [(np.array([1.0, 2.0]), np.array([0.0, 4.0]), 1.0)]
    cases += [(rng.normal(size=n), rng.normal(size=n), sigma) for n, sigma in ((5, 1.0), (7, 0.5), (3, 2.0))]
    _check_loss(
        "2.1",
        gaussian_nll,
        reference,
        cases,
        {
            _MISSING_MEAN: _summed(reference),
            "the constant ½ log(2πσ²) is missing. It does not change the minimiser, but without it the "
            "value is not the negative log-likelihood.": lambda p, y, s: (
                reference(p, y, s)[0] - 0.5 * np.log(2 * np.pi * s**2),
                reference(p, y, s)[1],
            ),
            "the factor ½ is missing: −log N(y; f, σ²) has (y − f)²/(2σ²).": lambda p, y, s: (
                np.mean((p - y) ** 2) / s**2 + 0.5 * np.log(2 * np.pi * s**2),
                2 * (p - y) / (s**2 * len(p)),
            ),
            "σ is used where σ² belongs.": lambda p, y, s: (
                np.mean((p - y) ** 2) / (2 * s) + 0.5 * np.log(2 * np.pi * s**2),
                (p - y) / (s * len(p)),
            ),
            "the gradient has the wrong sign: d/df (y − f)² = −2(y − f) = 2(f − y).": lambda p, y, s: (
                reference(p, y, s)[0],
                -reference(p, y, s)[1],
            ),
        },
    )


def _naive_bernoulli(z, y):
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-z))
        return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


def check_bernoulli_nll(bernoulli_nll: Callable) -> None:
    """Exercise 2.2: mean logistic loss on logits (N,) with labels in {0, 1}, and its gradient."""
    from course_utils.losses import bernoulli_nll as reference

    rng = np.random.default_rng(22)
    cases = [(np.array([0.0, 2.0, -1.0]), np.array([1.0, 1.0, 0.0]))]
    cases += [(3 * rng.normal(size=n), rng.integers(0, 2, n).astype(float)) for n in (6, 11)]
    cases += [(np.array([-1000.0, 1000.0, 40.0, -40.0]), np.array([1.0, 0.0, 1.0, 0.0]))]  # must stay finite
    _unstable = (
        "the formula overflows for large logits: log(σ(z)) becomes log(0) = −inf. Use the stable form "
        "max(z, 0) − y z + log(1 + exp(−|z|))."
    )
    _check_loss(
        "2.2",
        _guard_overflow(bernoulli_nll, "2.2", _unstable),
        reference,
        cases,
        {
            _MISSING_MEAN: _summed(reference),
            _unstable: _naive_bernoulli,
            "the labels are swapped: the loss of label 1 is −log σ(z), of label 0 is −log(1 − σ(z)).": (
                lambda z, y: reference(z, 1 - y)
            ),
            "the gradient has the wrong sign: it is (σ(z) − y) / N.": lambda z, y: (
                reference(z, y)[0],
                -reference(z, y)[1],
            ),
        },
    )


def _guard_overflow(fn: Callable, exercise: str, hint: str) -> Callable:
    """Run the student's fn with numpy overflow warnings silenced; a non-finite loss gets ``hint``."""

    def guarded(*args):
        with np.errstate(all="ignore"):
            loss, grad = _require_tuple(fn(*args), exercise, 2, "a pair (loss, gradient)")
        if not np.all(np.isfinite(to_array(loss, exercise))) or not np.all(np.isfinite(to_array(grad, exercise))):
            big = float(np.max(np.abs(args[0])))
            _fail(exercise, f"with logits as large as {big:g} the result is not finite. Likely mistake: {hint}")
        return loss, grad

    return guarded


def _naive_categorical(z, y):
    with np.errstate(all="ignore"):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        grad = p.copy()
        grad[np.arange(len(y)), y] -= 1
        return float(-np.mean(np.log(p[np.arange(len(y)), y]))), grad / len(y)


def _categorical_over_batch(z, y):
    p = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
    grad = p - np.eye(z.shape[1])[y]
    return float(-np.mean(np.log(p[np.arange(len(y)), y]))), grad / len(y)


def check_categorical_nll(categorical_nll: Callable) -> None:
    """Exercise 2.3: mean softmax cross-entropy on logits (N, K) with integer labels (N,), and its gradient."""
    from course_utils.losses import categorical_nll as reference

    rng = np.random.default_rng(23)
    cases = [(np.array([[2.0, 1.0, 0.0]]), np.array([0]))]
    cases += [(2 * rng.normal(size=(n, k)), rng.integers(0, k, n)) for n, k in ((4, 3), (6, 10))]
    cases += [(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), np.array([2, 1]))]
    _unstable = (
        "exp of a large logit overflows to inf. Subtract each row's maximum before exp: softmax and "
        "cross-entropy do not change, and the largest exponent becomes exp(0) = 1."
    )
    _check_loss(
        "2.3",
        _guard_overflow(categorical_nll, "2.3", _unstable),
        reference,
        cases,
        {
            _MISSING_MEAN: _summed(reference),
            _unstable: _naive_categorical,
            "the one-hot term is missing from the gradient: it is (softmax(z) − onehot(y)) / N.": lambda z, y: (
                reference(z, y)[0],
                reference(z, y)[1] + np.eye(z.shape[1])[y] / len(y),
            ),
            "the softmax is taken over the batch (axis 0) instead of over the classes (axis 1).": (
                _categorical_over_batch
            ),
        },
    )


# --- notebook 03 -------------------------------------------------------------------------------

_GRAD_NAMES = ("dW", "db", "dV", "dc")


def _reference_backward(X, W, b, V, c, dY):
    from course_utils.mlp import mlp_backward, mlp_forward

    _, cache = mlp_forward(X, {"W": W, "b": b, "V": V, "c": c}, g="relu", o="identity")
    grads = mlp_backward(dY, cache)
    return grads["W"], grads["b"], grads["V"], grads["c"]


def _backward_mistakes(X, W, b, V, c, dY):
    """name of the wrong gradient -> {likely mistake: wrong value}."""
    A = X @ W.T + b
    H = np.maximum(A, 0)
    dH = dY @ V
    dA = dH * (A > 0)
    return {
        "dW": {
            "the ReLU derivative is missing: multiply dL/dh by 1[a > 0] before going through W.": dH.T @ X,
            "dW is transposed: dL/dW = (dL/dA)^T X has the shape (H, D) of W.": X.T @ dA,
        },
        "db": {
            "db uses dL/dh without the ReLU derivative.": dH.sum(axis=0),
            "db is averaged over the batch; it is a sum (the mean is already inside dY).": dA.mean(axis=0),
        },
        "dV": {
            "dV uses the pre-activation a instead of h = relu(a).": dY.T @ A,
            "dV is averaged over the batch; it is a sum (the mean is already inside dY).": dY.T @ H / len(X),
        },
        "dc": {
            "dc is averaged over the batch; it is a sum (the mean is already inside dY).": dY.mean(axis=0),
        },
    }


def check_backward(backward: Callable) -> None:
    """Exercise 3.1: gradients (dW, db, dV, dc) of sum(Y * dY) for Y = relu(X W^T + b) V^T + c.

    Every gradient is compared with a numerical gradient (central differences,
    float64); the first one that disagrees is named.
    """
    from course_utils.gradcheck import rel_error

    rng = np.random.default_rng(31)
    cases = [(*case, rng.normal(size=(case[0].shape[0], case[3].shape[0]))) for case in _forward_cases(rng)]
    for X, W, b, V, c, dY in cases:
        result = _require_tuple(backward(X, W, b, V, c, dY), "3.1", 4, "four gradients (dW, db, dV, dc)")
        params = {"W": W, "b": b, "V": V, "c": c}
        mistakes = _backward_mistakes(X, W, b, V, c, dY)
        for name, got in zip(_GRAD_NAMES, result, strict=True):
            got = to_array(got, "3.1", what=f"your {name}")
            target = params[name[1:]]
            if got.shape != target.shape:
                _fail("3.1", f"{name} has shape {got.shape}, but {name[1:]} has shape {target.shape}: a gradient "
                      "always has the shape of what it differentiates.")  # fmt: skip

            numeric = _numeric_grad(X, params, name[1:], dY)  # the gradient check itself
            error = rel_error(got, numeric)
            if not error < 1e-6:
                hint = next(
                    (
                        s
                        for s, wrong in mistakes[name].items()
                        if np.shape(wrong) == got.shape and np.allclose(got, wrong)
                    ),
                    None,
                )
                _fail(
                    "3.1",
                    f"{name} fails the gradient check: rel_error {error:.1e} against central differences "
                    f"(should be < 1e-6) for X of shape {X.shape}.\n{name} should be\n{_show(numeric)}\nbut is\n"
                    f"{_show(got)}" + (f"\nLikely mistake: {hint}" if hint else ""),
                )
    print(f"Exercise 3.1: dW, db, dV and dc pass the gradient check on all {len(cases)} cases.")


def _numeric_grad(X, params, name, dY):
    from course_utils.gradcheck import numerical_gradient
    from course_utils.mlp import mlp_forward

    perturbed = {k: np.array(v, dtype=np.float64) for k, v in params.items()}

    def scalar(_):
        Y, _cache = mlp_forward(X, perturbed, g="relu", o="identity")
        return np.sum(Y * dY)

    return numerical_gradient(scalar, perturbed[name])


# --- notebook 04 -------------------------------------------------------------------------------


def check_sgd_step(sgd_step: Callable) -> None:
    """Exercise 4.1: one SGD step with weight decay on the weights W and V, not on the biases b and c.

    θ ← θ − η (g + λ θ) for weights, θ ← θ − η g for biases; returns a new dict.
    """
    rng = np.random.default_rng(41)
    names = ("W", "b", "V", "c")
    shapes = {"W": (3, 4), "b": (3,), "V": (2, 3), "c": (2,)}
    for lr, decay in ((0.1, 0.0), (0.1, 0.01), (0.5, 0.3)):
        params = {k: rng.normal(size=shape) for k, shape in shapes.items()}
        grads = {k: rng.normal(size=shape) for k, shape in shapes.items()}
        before = {k: v.copy() for k, v in params.items()}
        result = sgd_step(params, grads, lr, decay)
        if result is None:
            _fail("4.1", "your function returned None. Did you forget the `return` statement?")
        if not isinstance(result, dict) or set(result) != set(names):
            _fail("4.1", f"return a dict with keys W, b, V, c; got {_describe(result)}.")
        # λθ for the weights, 0 for the biases (this course's convention)
        decay_term = {k: decay * before[k] if k in ("W", "V") else 0.0 for k in names}
        expected = {k: before[k] - lr * (grads[k] + decay_term[k]) for k in names}
        wrong = {
            "the step goes uphill: subtract η·gradient, do not add it.": {
                k: before[k] + lr * (grads[k] + decay_term[k]) for k in names
            },
            "weight decay is applied to the biases too; this notebook decays only W and V.": {
                k: before[k] - lr * (grads[k] + decay * before[k]) for k in names
            },
            "weight decay has the wrong sign: it pulls weights towards 0, θ − ηλθ.": {
                k: before[k] - lr * (grads[k] - decay_term[k]) for k in names
            },
            "the decay is not multiplied by the step size: θ ← θ − η(g + λθ).": {
                k: before[k] - lr * grads[k] - decay_term[k] for k in names
            },
        }
        for name in names:
            got = to_array(result[name], "4.1", what=f"your {name}")
            if got.shape != expected[name].shape:
                _fail("4.1", f"the new {name} has shape {got.shape}, expected {expected[name].shape}.")
            if not np.allclose(got, expected[name], rtol=1e-10, atol=1e-12):
                hint = next((s for s, w in wrong.items() if np.allclose(got, w[name], rtol=1e-10, atol=1e-12)), None)
                _fail(
                    "4.1",
                    f"with lr={lr}, weight_decay={decay} the new {name} should be\n{_show(expected[name])}\n"
                    f"but is\n{_show(got)}" + (f"\nLikely mistake: {hint}" if hint else ""),
                )
    print("Exercise 4.1: all 3 checks passed.")


# --- notebook 05 -------------------------------------------------------------------------------


def _chw_vectors(batch):
    return np.asarray(batch).transpose(0, 3, 1, 2).reshape(len(batch), -1)


def check_to_vectors(to_vectors: Callable) -> None:
    """Exercise 5.1: a batch of channel-last images (N, H, W, C) → vectors (N, C·H·W) in PyTorch's CHW order."""
    rng = np.random.default_rng(51)
    cases = [
        (rng.integers(0, 256, size=(2, 4, 5, 3)).astype(np.float64),),  # non-square, so H and W cannot be swapped
        (rng.random((1, 32, 32, 3)),),
        (rng.random((3, 6, 2, 2)),),
        (rng.random((2, 3, 3, 1)),),
    ]
    check_cases(
        "5.1",
        to_vectors,
        _chw_vectors,
        cases,
        mistakes={
            "the vector is in HWC order (all channels of pixel 1, then of pixel 2, ...), which is how the image "
            "is stored. PyTorch expects CHW: the whole red plane, then green, then blue. Move the channel axis "
            "first with .transpose(0, 3, 1, 2) before reshaping (a reshape alone never moves data between "
            "axes).": lambda b: np.asarray(b).reshape(len(b), -1),
            "the order is C, W, H: transpose(0, 3, 2, 1) swaps height and width too; use transpose(0, 3, 1, 2).": (
                lambda b: np.asarray(b).transpose(0, 3, 2, 1).reshape(len(b), -1)
            ),
            "the whole batch became one long vector; keep the first axis: .reshape(N, -1).": lambda b: (
                np.asarray(b).transpose(0, 3, 1, 2).reshape(-1)
            ),
            "the batch axis moved: the result should have one row per image, (N, C·H·W).": lambda b: (
                np.asarray(b).transpose(0, 3, 1, 2).reshape(len(b), -1).T
            ),
        },
        rtol=0,
        atol=0,
        what="the vectors",
    )


def check_dense_params(dense_params: Callable[[int, int], Any]) -> None:
    """Exercise 5.2: trainable numbers of a dense layer from n_inputs to n_outputs (weights and biases)."""
    check_cases(
        "5.2",
        dense_params,
        lambda n_in, n_out: n_in * n_out + n_out,
        cases=[(3, 2), (784, 256), (3072, 256), (256, 10), (1, 1)],
        mistakes={
            "the biases are missing: each output unit has one bias besides its n_inputs weights.": lambda i, o: i * o,
            "one bias per input; there is one bias per output unit, so + n_outputs.": lambda i, o: i * o + i,
            "the sizes are added; every input connects to every output, so the weights number "
            "n_inputs · n_outputs.": lambda i, o: i + o,
            "the sizes are added, plus the biases; every input connects to every output, so the weights "
            "number n_inputs · n_outputs.": lambda i, o: i + o + o,
        },
        rtol=0,
        atol=0,
        what="the parameter count",
    )


# --- notebook 06 -------------------------------------------------------------------------------


def check_output_size(output_size: Callable[[int, int, int, int], Any]) -> None:
    """Exercise 6.1: W_out = (W - F + 2P)/S + 1 for the lecture's cases (and AlexNet's first layer)."""
    if not callable(output_size):
        _fail("6.1", f"expected a function, got {_describe(output_size)}.")
    cases = [
        (32, 5, 0, 1),
        (5, 3, 0, 1),
        (5, 3, 1, 2),
        (5, 3, 1, 1),
        (5, 3, 2, 1),
        (7, 3, 1, 2),
        (28, 5, 2, 1),
        (227, 11, 0, 4),
    ]
    mistakes = {
        "the + 1 is missing: a filter that fits exactly once (W = F, P = 0) gives one output, not zero.": (
            lambda W, F, P, S: (W - F + 2 * P) / S
        ),
        "the padding is counted once; it is added on both sides, so 2P.": lambda W, F, P, S: (W - F + P) / S + 1,
        "the padding is left out.": lambda W, F, P, S: (W - F) / S + 1,
        "the stride is left out: with stride S the filter jumps S pixels, so divide by S.": (
            lambda W, F, P, S: W - F + 2 * P + 1
        ),
        "the + 1 is inside the division; it counts the first position, so it comes after dividing.": (
            lambda W, F, P, S: (W - F + 2 * P + 1) / S
        ),
    }
    answers = []
    for W, F, P, S in cases:
        got = to_array(output_size(W, F, P, S), "6.1")
        if got.shape != ():
            _fail("6.1", f"return one number, got an array of shape {got.shape}.")
        answers.append(float(got))
    for (W, F, P, S), got in zip(cases, answers, strict=True):
        expected = (W - F + 2 * P) // S + 1
        if abs(got - expected) > 1e-9:
            # A mistake is named only if it explains every answer (with / or with //), not just this one.
            hint = next(
                (
                    sentence
                    for sentence, wrong in mistakes.items()
                    if all(
                        abs(a - wrong(*c)) < 1e-9 or a == np.floor(wrong(*c))
                        for c, a in zip(cases, answers, strict=True)
                    )
                ),
                None,
            )
            _fail(
                "6.1",
                f"for W={W}, F={F}, P={P}, S={S} you returned {got:g}, but "
                f"W_out = (W − F + 2P)/S + 1 = ({W} − {F} + 2·{P})/{S} + 1 = {W - F + 2 * P}/{S} + 1 = {expected}."
                + (f"\nLikely mistake: {hint}" if hint else ""),
            )
    print(f"Exercise 6.1: all {len(cases)} checks passed.")


def _conv_loops(x, w, b, stride, out_h, out_w):
    """Reference loops on an already padded x; windows at (stride·i, stride·j)."""
    fh, fw = w.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, None, :, i * stride : i * stride + fh, j * stride : j * stride + fw]
            out[:, :, i, j] = np.sum(window * w[None], axis=(2, 3, 4)) + b
    return out


def _conv_reference(x, w, b, stride, pad):
    out_h = (x.shape[2] - w.shape[2] + 2 * pad) // stride + 1
    out_w = (x.shape[3] - w.shape[3] + 2 * pad) // stride + 1
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return _conv_loops(padded, w, b, stride, out_h, out_w)


def _conv_padded_one_side(x, w, b, stride, pad, before):
    width = ((2 * pad, 0), (2 * pad, 0)) if before else ((0, 2 * pad), (0, 2 * pad))
    padded = np.pad(x, ((0, 0), (0, 0), *width))
    expected = _conv_reference(x, w, b, stride, pad)
    return _conv_loops(padded, w, b, stride, *expected.shape[2:])


def check_conv_forward(conv_forward: Callable) -> None:
    """Exercise 6.2: conv_forward(x, w, b, stride, pad) with loops; x (N, C, H, W), w (K, C, F, F), b (K,)."""
    rng = np.random.default_rng(62)

    def case(x_shape, w_shape, stride, pad):
        return (rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0]), stride, pad)

    cases = [
        (np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 3, 3)), np.array([0.5]), 1, 0),
        case((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        case((1, 2, 7, 7), (3, 2, 3, 3), 2, 1),
        case((2, 1, 6, 6), (2, 1, 2, 2), 2, 0),
        case((1, 2, 4, 6), (2, 2, 3, 3), 1, 2),
    ]
    check_cases(
        "6.2",
        conv_forward,
        _conv_reference,
        cases,
        mistakes={
            "the bias is missing: each filter adds its b[k] to every output position.": (
                lambda x, w, b, s, p: _conv_reference(x, w, np.zeros_like(b), s, p)
            ),
            "the image is padded on one side only (all 2P zeros after it); put P zeros on each side.": (
                lambda x, w, b, s, p: _conv_padded_one_side(x, w, b, s, p, before=False)
            ),
            "the image is padded on one side only (all 2P zeros before it); put P zeros on each side.": (
                lambda x, w, b, s, p: _conv_padded_one_side(x, w, b, s, p, before=True)
            ),
            "the stride is ignored: with stride S the output is smaller and window (i, j) starts at (S·i, S·j).": (
                lambda x, w, b, s, p: _conv_reference(x, w, b, 1, p)
            ),
            "the output has the right size, but window (i, j) starts at (i, j) instead of (S·i, S·j).": (
                lambda x, w, b, s, p: _conv_reference(x, w, b, 1, p)[
                    :, :, : (x.shape[2] - w.shape[2] + 2 * p) // s + 1, : (x.shape[3] - w.shape[3] + 2 * p) // s + 1
                ]
            ),
            "the filter is flipped (that is the mathematicians' convolution); "
            "CNN layers slide the filter as it is (cross-correlation).": (
                lambda x, w, b, s, p: _conv_reference(x, w[:, :, ::-1, ::-1], b, s, p)
            ),
            "the padding is ignored.": lambda x, w, b, s, p: _conv_reference(x, w, b, s, 0),
        },
        rtol=1e-6,
        atol=1e-8,
        what="the output",
    )


# --- notebook 07 -------------------------------------------------------------------------------


def _maxpool_backward_loops(dout, x, size, stride, mode="first"):
    """Max-pool backward with loops; ``mode`` picks the right rule or a typical mistake.

    first: the first maximum in row-major order gets dout, overlaps add up (the right answer);
    assign: overlaps overwrite instead of adding; all_ties: every tied maximum gets dout;
    last: the last tied maximum gets it; spread: dout/size² to every input, like mean pooling.
    """
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    out_h, out_w = dout.shape[2:]
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out_h):
                for j in range(out_w):
                    rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
                    window, g = x[n, c, rows, cols], dout[n, c, i, j]
                    if mode == "spread":
                        dx[n, c, rows, cols] += g / size**2
                    elif mode == "all_ties":
                        dx[n, c, rows, cols] += g * (window == window.max())
                    else:
                        flat = window.ravel()
                        k = flat.size - 1 - np.argmax(flat[::-1]) if mode == "last" else np.argmax(flat)
                        r, q = i * stride + k // size, j * stride + k % size
                        dx[n, c, r, q] = g if mode == "assign" else dx[n, c, r, q] + g
    return dx


def check_maxpool_backward(maxpool_backward: Callable) -> None:
    """Exercise 7.1: maxpool_backward(dout, x, size, stride) → dx, the gradient of max pooling.

    The first maximum of a window in row-major order gets the gradient (as in PyTorch on the CPU);
    where windows overlap, an input that is the maximum of several receives the sum.
    """
    rng = np.random.default_rng(71)
    overlapping = np.zeros((1, 1, 3, 5))
    overlapping[0, 0, 1, 2] = 9.0  # the maximum of both overlapping 3×3 windows
    cases = [
        (rng.normal(size=(1, 1, 2, 2)), rng.normal(size=(1, 1, 4, 4)), 2, 2),
        (rng.normal(size=(2, 3, 3, 3)), rng.normal(size=(2, 3, 6, 6)), 2, 2),
        (np.array([[[[1.0, 2.0]]]]), overlapping, 3, 2),
        (rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(1, 2, 7, 7)), 3, 2),
        (rng.normal(size=(1, 1, 2, 2)), np.array([[[[1.0, 5.0, 0.0, 2.0], [5.0, 5.0, 2.0, 2.0],
                                                     [3.0, 0.0, 4.0, 4.0], [0.0, 3.0, 4.0, 1.0]]]]), 2, 2),
        (rng.normal(size=(2, 2, 3, 3)), rng.integers(0, 3, size=(2, 2, 7, 7)).astype(float), 3, 2),
    ]  # fmt: skip
    check_cases(
        "7.1",
        maxpool_backward,
        _maxpool_backward_loops,
        cases,
        mistakes={
            "where windows overlap, an input that is the maximum of two windows must receive the SUM of their "
            "gradients; yours keeps only one (use += instead of =).": (
                lambda d, x, s, t: _maxpool_backward_loops(d, x, s, t, "assign")
            ),
            "every tied maximum gets the gradient; only one element was chosen in the forward pass: give it to "
            "the first maximum in row-major order (np.argmax does that), as PyTorch does.": (
                lambda d, x, s, t: _maxpool_backward_loops(d, x, s, t, "all_ties")
            ),
            "ties go to the last maximum; the rule is the first in row-major order (np.argmax on the flattened "
            "window), as PyTorch does.": lambda d, x, s, t: _maxpool_backward_loops(d, x, s, t, "last"),
            "the gradient is spread over the window like mean pooling; max pooling sends all of it to the "
            "maximum.": lambda d, x, s, t: _maxpool_backward_loops(d, x, s, t, "spread"),
        },
        rtol=1e-10,
        atol=1e-12,
        what="dx",
    )


# --- notebook 08 -------------------------------------------------------------------------------

# The modern LeNet, layer by layer: (name, output shape (C, H, W) or (units,), parameters)
LENET_ROWS = (
    ("conv1", (6, 28, 28), 6 * (1 * 5 * 5) + 6),
    ("pool1", (6, 14, 14), 0),
    ("conv2", (16, 10, 10), 16 * (6 * 5 * 5) + 16),
    ("pool2", (16, 5, 5), 0),
    ("fc1", (120,), 400 * 120 + 120),
    ("fc2", (84,), 120 * 84 + 84),
    ("fc3", (10,), 84 * 10 + 10),
)

# Known wrong answers, per layer: the wrong number → why it is wrong.
_LENET_SHAPE_MISTAKES = {
    "conv1": {
        (6, 24, 24): "the padding is left out: conv1 pads by 2, so (28 − 5 + 2·2)/1 + 1 = 28.",
        (6, 26, 26): "the padding is counted once: it is added on both sides, (28 − 5 + 2·2)/1 + 1 = 28.",
    },
    "pool1": {(6, 28, 28): "2×2 pooling with stride 2 halves the height and width: (28 − 2)/2 + 1 = 14."},
    "conv2": {
        (16, 14, 14): "conv2 has no padding: (14 − 5)/1 + 1 = 10.",
        (6, 10, 10): "the output has one map per filter: 16 filters give 16 maps.",
    },
    "pool2": {(16, 10, 10): "2×2 pooling with stride 2 halves the height and width: (10 − 2)/2 + 1 = 5."},
}
_LENET_PARAM_MISTAKES = {
    "conv1": {150: "the biases are missing: one per filter, so 6 × 25 weights + 6 biases."},
    "conv2": {
        2_400: "the biases are missing: one per filter, so 16 × 150 weights + 16 biases.",
        416: "each filter spans all 6 input maps: 6 × 5 × 5 = 150 weights per filter, not 25.",
        400: "each filter spans all 6 input maps (6 × 5 × 5 weights) and has a bias.",
        2_406: "one bias per filter (16), not per input map.",
    },
    "pool1": {12: "max pooling has no parameters: it only picks the largest value of each window."},
    "pool2": {32: "max pooling has no parameters: it only picks the largest value of each window."},
    "fc1": {
        48_000: "the biases are missing: 400 × 120 weights + 120 biases.",
        94_200: "fc1 reads the flattened pool2 output, 16 × 5 × 5 = 400 numbers, not 16 × 7 × 7.",
        30_840: "fc1 reads the flattened pool2 output, 16 × 5 × 5 = 400 numbers, not 16 × 4 × 4.",
    },
    "fc2": {10_080: "the biases are missing: 120 × 84 weights + 84 biases."},
    "fc3": {840: "the biases are missing: 84 × 10 weights + 10 biases."},
}


def _shape_tuple(value) -> tuple | None:
    try:
        return tuple(int(v) for v in (value if isinstance(value, (tuple, list)) else tuple(value)))
    except (TypeError, ValueError):
        return None


def check_lenet_table(table: Any) -> None:
    """Exercise 8.1: LeNet's table {layer: (output shape, parameters)} for one 1×28×28 digit.

    Names the first wrong row and, where it recognises it, the mistake.
    """
    if not isinstance(table, dict):
        _fail("8.1", f"expected a dict {{layer name: (output shape, parameters)}}, got {_describe(table)}.")
    names = [name for name, _, _ in LENET_ROWS]
    missing = [name for name in names if name not in table]
    if missing:
        _fail("8.1", f"the table has no row for {missing}; it needs one for each of {names}.")
    for name, shape, params in LENET_ROWS:
        row = table[name]
        if not (isinstance(row, (tuple, list)) and len(row) == 2):
            _fail("8.1", f"row {name!r} must be a pair (output shape, parameters), got {_describe(row)}.")
        got_shape, got_params = _shape_tuple(row[0]), row[1]
        if got_shape is None:
            _fail("8.1", f"row {name!r}: the output shape must be a tuple of ints like {shape}, got {row[0]!r}.")
        if got_shape != shape:
            why = _LENET_SHAPE_MISTAKES.get(name, {}).get(got_shape, "")
            if not why and got_shape[1:] == shape[1:] and len(got_shape) == len(shape):
                why = f"the height and width are right, the number of maps is not: {name} has {shape[0]}."
            if not why and len(got_shape) != len(shape):
                why = "give (maps, height, width) for conv and pool layers and (units,) for fc layers."
            _fail("8.1", f"row {name!r}: the output shape should be {shape}, you have {got_shape}. {why}".rstrip())
        try:
            count = float(got_params)
        except (TypeError, ValueError):
            _fail("8.1", f"row {name!r}: the parameter count must be a number, got {_describe(got_params)}.")
        if count != params:
            why = _LENET_PARAM_MISTAKES.get(name, {}).get(count, "")
            _fail("8.1", f"row {name!r}: {name} has {params:,} parameters, you have {got_params}. {why}".rstrip())
    extra = sorted(set(table) - set(names))
    note = f" (rows {extra} were not checked)" if extra else ""
    print(f"Exercise 8.1: all {len(LENET_ROWS)} rows are right: {sum(p for _, _, p in LENET_ROWS):,} parameters{note}.")


# --- notebook 09 -------------------------------------------------------------------------------


def _reference_head_losses(outputs, targets):
    import torch.nn.functional as F

    return (
        0.5 * F.mse_loss(outputs[:, 0], targets[:, 0]),
        F.binary_cross_entropy_with_logits(outputs[:, 1], targets[:, 1]),
        F.cross_entropy(outputs[:, 2:], targets[:, 2].long()),
    )


def _head_loss_mistakes(outputs, targets) -> dict[int, dict[str, float]]:
    """Per head (0, 1, 2): a likely wrong value → why it is wrong."""
    import torch
    import torch.nn.functional as F

    mu, z, logits = outputs[:, 0], outputs[:, 1], outputs[:, 2:]
    y, b, k = targets[:, 0], targets[:, 1], targets[:, 2].long()
    return {
        0: {
            "the ½ is missing: the Gaussian NLL with σ = 1 is ½ (y − μ)² (plus a constant we drop).": float(
                F.mse_loss(mu, y)
            ),
            "the squared errors are summed over the batch; take the mean, as the other two heads do.": float(
                0.5 * ((y - mu) ** 2).sum()
            ),
            "the constant ½ log 2π is included; this notebook drops it (it does not change the gradient).": float(
                0.5 * F.mse_loss(mu, y) + 0.5 * torch.log(torch.tensor(2 * torch.pi))
            ),
        },
        1: {
            "the sigmoid is applied twice: binary_cross_entropy_with_logits takes the logit z itself.": float(
                F.binary_cross_entropy_with_logits(torch.sigmoid(z), b)
            ),
            "the Bernoulli NLL is −y log σ(z) − (1 − y) log(1 − σ(z)); the (1 − y) term is missing.": float(
                -(b * F.logsigmoid(z)).mean()
            ),
        },
        2: {
            "softmax is applied before cross_entropy, which applies log-softmax itself.": float(
                F.cross_entropy(torch.softmax(logits, dim=1), k)
            ),
            "the class logits are columns 2 to 11 (outputs[:, 2:]); columns 0 and 1 belong to the other heads.": float(
                F.cross_entropy(outputs[:, :10], k)
            ),
        },
    }


def check_head_losses(head_losses: Callable[[Any, Any], Any]) -> None:
    """Exercise 9.1: the three NLLs (Gaussian, Bernoulli, Categorical) of outputs (B, 12) against targets (B, 3)."""
    import torch

    if not callable(head_losses):
        _fail("9.1", f"expected a function, got {_describe(head_losses)}.")
    names = ("Gaussian (regression)", "Bernoulli (binary)", "Categorical (multiclass)")
    generator = torch.Generator().manual_seed(9)
    for batch in (4, 64):
        outputs = 2 * torch.randn(batch, 12, generator=generator)
        targets = torch.stack(
            [
                torch.randn(batch, generator=generator),
                torch.randint(0, 2, (batch,), generator=generator).float(),
                torch.randint(0, 10, (batch,), generator=generator).float(),
            ],
            dim=1,
        )
        got = head_losses(outputs.clone(), targets.clone())
        if not (isinstance(got, (tuple, list)) and len(got) == 3):
            _fail(
                "9.1", f"return the three losses as a tuple (gaussian, bernoulli, categorical), got {_describe(got)}."
            )
        expected = [float(v) for v in _reference_head_losses(outputs, targets)]
        mistakes = _head_loss_mistakes(outputs, targets)
        for head, (name, value, right) in enumerate(zip(names, got, expected, strict=True)):
            number = to_array(value, "9.1", f"the {name} loss")
            if number.shape != ():
                _fail("9.1", f"the {name} loss must be one number (a mean over the batch), got shape {number.shape}.")
            if not np.isclose(float(number), right, rtol=1e-5, atol=1e-6):
                hint = next(
                    (why for why, wrong in mistakes[head].items() if np.isclose(float(number), wrong, 1e-5)), ""
                )
                message = f"for a batch of {batch}, the {name} loss is {float(number):.6g}, expected {right:.6g}."
                _fail("9.1", message + (f" Likely mistake: {hint}" if hint else ""))
    print("Exercise 9.1: all three losses are right on batches of 4 and 64.")


# --- notebook 10 -------------------------------------------------------------------------------


def check_conv_cost(conv_cost: Callable[..., Any]) -> None:
    """Exercise 10.1: (output size, parameters, multiply-adds) of a conv layer on a C×W×W input."""

    def reference(C, W, K, F, S, P):
        out = (W - F + 2 * P) // S + 1
        return (out, K * (C * F * F + 1), K * out * out * C * F * F)

    check_cases(
        "10.1",
        conv_cost,
        reference,
        cases=[
            (1, 28, 6, 5, 1, 2),  # LeNet conv1
            (6, 14, 16, 5, 1, 0),  # LeNet conv2
            (3, 224, 64, 11, 4, 2),  # AlexNet conv1
            (64, 27, 192, 5, 1, 2),  # AlexNet conv2
        ],
        mistakes={
            "the biases are missing from the parameters: one per filter.": lambda C, W, K, F, S, P: (
                reference(C, W, K, F, S, P)[0],
                K * C * F * F,
                reference(C, W, K, F, S, P)[2],
            ),
            "each filter spans all C input channels: C·F·F weights, not F·F.": lambda C, W, K, F, S, P: (
                reference(C, W, K, F, S, P)[0],
                K * (F * F + 1),
                reference(C, W, K, F, S, P)[0] ** 2 * K * F * F,
            ),
            "the multiply-adds are counted at every input position; a filter is applied at each of the "
            "W_out × W_out output positions.": lambda C, W, K, F, S, P: (
                reference(C, W, K, F, S, P)[0],
                K * (C * F * F + 1),
                K * W * W * C * F * F,
            ),
        },
        rtol=0,
        atol=0,
        what="(output size, parameters, multiply-adds)",
    )
