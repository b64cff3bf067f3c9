"""Exercises 5.1-5.3 (notebook 05, MLPs on images): flattening in CHW order, parameters of a dense layer,
one epoch of training written as a loop.

``to_vectors``, ``dense_params`` and ``train_one_epoch`` are the course's versions the notebook falls back on.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare, describe

__all__ = ["EXERCISES", "to_vectors", "dense_params", "train_one_epoch"]


def _chw(batch):
    return np.asarray(batch).transpose(0, 3, 1, 2).reshape(len(batch), -1)


def to_vectors(batch: np.ndarray) -> np.ndarray:
    """The course's answer: (N, H, W, C) channel-last images → (N, C·H·W) rows in channel-first order."""
    return _chw(batch)


def _judge_vectors(case, got):
    (b,) = case
    return compare(
        got,
        _chw(b),
        case,
        what="the vectors",
        mistakes={
            "the vector is in HWC order (all channels of pixel 1, then of pixel 2, ...), which is how the image "
            "is stored. PyTorch expects CHW: the whole red plane, then green, then blue. Move the channel axis "
            "first with .transpose(0, 3, 1, 2) before reshaping (a reshape alone never moves data between "
            "axes).": lambda: b.reshape(len(b), -1),
            "the order is C, W, H: transpose(0, 3, 2, 1) swaps height and width too; use transpose(0, 3, 1, 2).": (
                lambda: b.transpose(0, 3, 2, 1).reshape(len(b), -1)
            ),
            "the whole batch became one long vector; keep the first axis: .reshape(N, -1).": lambda: b.transpose(
                0, 3, 1, 2
            ).reshape(-1),
            "the batch axis moved: the result should have one row per image, (N, C·H·W).": lambda: _chw(b).T,
        },
        rtol=0,
        atol=0,
    )


def _vector_cases():
    rng = np.random.default_rng(51)
    return [
        (rng.integers(0, 256, size=(2, 4, 5, 3)).astype(np.float64),),  # non-square: H and W cannot be swapped
        (rng.random((1, 32, 32, 3)),),
        (rng.random((3, 6, 2, 2)),),
        (rng.random((2, 3, 3, 1)),),
    ]


def dense_params(n_inputs: int, n_outputs: int) -> int:
    """The course's answer: n_inputs weights into each of the n_outputs units, plus one bias each."""
    return n_inputs * n_outputs + n_outputs


def _judge_params(case, got):
    i, o = case
    return compare(
        got,
        dense_params(i, o),
        case,
        what="the parameter count",
        mistakes={
            "the biases are missing: each output unit has one bias besides its n_inputs weights.": i * o,
            "one bias per input; there is one bias per output unit, so + n_outputs.": i * o + i,
            "the sizes are added; every input connects to every output, so the weights number n_inputs · n_outputs.": (
                i + o
            ),
            "the sizes are added, plus the biases; every input connects to every output, so the weights number "
            "n_inputs · n_outputs.": i + o + o,
        },
        rtol=0,
        atol=0,
    )


# --- 5.3 · one epoch of training ------------------------------------------------------------------


def train_one_epoch(model, batches, optimizer, loss_fn) -> float:
    """The course's loop: one pass over ``batches`` of (x, y); returns the mean loss over the examples.

    Each batch: forward, loss (the batch's mean), gradients cleared, backward, one optimizer step. The
    mean loss weights each batch by its size (the last batch may be smaller) and uses the loss of each
    batch as it was before that batch's step.
    """
    return _epoch(model, batches, optimizer, loss_fn)


def _epoch(
    model, batches, optimizer, loss_fn, *, zero_grad=True, step=True, train=True, reduce="mean", after_step=False
):
    """The loop, with the keywords giving the typical mistakes."""
    if train:
        model.train()
    losses, sizes = [], []
    for x, y in batches:
        loss = loss_fn(model(x), y)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        if step:
            optimizer.step()
        losses.append(loss_fn(model(x), y).item() if after_step else loss.item())
        sizes.append(len(x))
    losses, sizes = np.array(losses), np.array(sizes)
    return {
        "mean": float((losses * sizes).sum() / sizes.sum()),
        "sum": float(losses.sum()),
        "unweighted": float(losses.mean()),
        "last": float(losses[-1]),
        "sum of sizes": float((losses * sizes).sum()),
        "means over examples": float(losses.sum() / sizes.sum()),
    }[reduce]


def _setup(case):
    """A tiny classifier, its batches and its optimizer, all fixed by the case: (seed, x, y, batch, lr, momentum)."""
    import torch

    seed, x, y, batch_size, lr, momentum = case
    with torch.random.fork_rng():  # the notebook's own random state is left as it was
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    batches = [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    model.eval()  # as `fit` and `evaluate` leave it: the loop must switch training mode on itself
    return model, batches, optimizer


def _call_epoch(train_one_epoch, case):
    """Kernel side: the student's loop on the case's tiny model; what came back, the weights, the mode."""
    import torch
    import torch.nn.functional as F

    model, batches, optimizer = _setup(case)
    loss = train_one_epoch(model, batches, optimizer, F.cross_entropy)
    graph = isinstance(loss, torch.Tensor) and loss.requires_grad  # the losses were added with their graphs
    if graph and loss.numel() == 1:  # judged as a number; the judge then says what keeping the graph costs
        loss = float(loss.detach())
    return {
        "loss": loss,
        "graph": graph,
        "params": [p.detach().numpy().copy() for p in model.parameters()],
        "training": bool(model.training),
    }


def _run(case, **mistake):
    """Judge side: (mean loss, weights after the epoch) of the loop with ``mistake``."""
    import torch.nn.functional as F

    model, batches, optimizer = _setup(case)
    loss = _epoch(model, batches, optimizer, F.cross_entropy, **mistake)
    return loss, [p.detach().numpy().copy() for p in model.parameters()]


def _same_params(got, expected):
    return len(got) == len(expected) and all(
        np.shape(g) == e.shape and np.allclose(g, e, rtol=1e-5, atol=1e-6) for g, e in zip(got, expected, strict=False)
    )


def _judge_epoch(case, got):
    seed, x, _, batch_size, lr, momentum = case
    setting = f"{len(x)} examples in batches of {batch_size}, SGD lr={lr}, momentum={momentum}"
    if not isinstance(got, dict) or "params" not in got:
        return f"the answer could not be read ({describe(got)})."
    loss, params = _run(case)
    if not _same_params(got["params"], params):
        before = _run(case, step=False)[1]
        if _same_params(got["params"], before):
            return (
                f"for {setting}, the weights did not change: every batch needs loss.backward() and then "
                "optimizer.step() (and optimizer.zero_grad() before backward, not between backward and step)."
            )
        if _same_params(got["params"], _run(case, zero_grad=False)[1]):
            return (
                f"for {setting}, the weights after the epoch are those of a loop without optimizer.zero_grad(): "
                "backward() adds to the .grad already there, so each step used the sum of all gradients so far. "
                "Clear them once per batch, before loss.backward()."
            )
        return (
            f"for {setting}, the weights after the epoch differ from one SGD step per batch (forward, loss, "
            "zero_grad, backward, step, in the given order of the batches)."
        )
    if got["loss"] is None:
        return "the weights are right, but your function returned None: return the epoch's mean loss."
    mistakes = {
        "the batch losses are added up; return their mean over the examples (each batch's mean loss times "
        "its size, summed, divided by the number of examples).": _run(case, reduce="sum")[0],
        "the batch losses are averaged as if all batches were the same size; the last batch is smaller: "
        "weight each batch's loss by its number of examples.": _run(case, reduce="unweighted")[0],
        "only the last batch's loss is returned; return the mean over the whole epoch.": _run(case, reduce="last")[0],
        "this is the total loss over the examples; divide by the number of examples.": _run(
            case, reduce="sum of sizes"
        )[0],
        "the batch means are added and divided by the number of examples; each batch's loss is already a mean "
        "over its examples: multiply it by the batch's size before adding.": _run(case, reduce="means over examples")[
            0
        ],
        "each batch's loss is computed again after its step; use the loss the step was taken on (computed "
        "before optimizer.step()), without a second forward pass.": _run(case, after_step=True)[0],
    }
    message = compare(got["loss"], loss, setting, what="the mean loss", mistakes=mistakes, rtol=1e-5, atol=1e-6)
    if message:
        return message
    if got.get("graph"):
        return (
            "the mean loss is right, but it is a tensor that still requires grad: add up loss.item() (a Python "
            "float) for each batch. Adding the loss tensors themselves keeps every batch's graph, with all its "
            "activations, in memory until the epoch ends."
        )
    if not got["training"]:
        return (
            "the weights and the loss are right, but the model is still in evaluation mode (model.training is "
            "False): call model.train() at the start of the epoch. Layers such as dropout and batch norm behave "
            "differently in the two modes, and the course's `evaluate` leaves the model in evaluation mode."
        )
    return None


def _epoch_cases(rng, settings):
    cases = []
    for seed, (n, d, batch_size, lr, momentum) in enumerate(settings):
        x = rng.normal(size=(n, d)).astype(np.float32)
        y = rng.integers(0, 3, size=n)
        cases.append((seed, x, y, batch_size, lr, momentum))
    return cases


EXERCISES = [
    Exercise(
        number="5.1",
        target="to_vectors",
        cases=_vector_cases,
        fresh=lambda rng: [(rng.random((n, h, w, c)),) for n, h, w, c in ((2, 5, 3, 3), (1, 7, 4, 2), (4, 2, 6, 3))],
        judge=_judge_vectors,
        fallback="course_utils.instructor.exercises.nb05.to_vectors",
    ),
    Exercise(
        number="5.2",
        target="dense_params",
        cases=lambda: [(3, 2), (784, 256), (3072, 256), (256, 10), (1, 1)],
        fresh=lambda rng: [tuple(int(v) for v in rng.integers(2, 500, size=2)) for _ in range(4)],
        judge=_judge_params,
        fallback="course_utils.instructor.exercises.nb05.dense_params",
    ),
    Exercise(
        number="5.3",
        target="train_one_epoch",
        cases=lambda: _epoch_cases(
            np.random.default_rng(53), ((10, 4, 4, 0.5, 0.0), (13, 4, 5, 0.2, 0.9), (8, 3, 8, 0.5, 0.0))
        ),
        fresh=lambda rng: _epoch_cases(  # the last batch is smaller than the others
            rng, ((4 * int(rng.integers(2, 7)) + int(rng.integers(1, 4)), 6, 4, 0.3, 0.5), (17, 5, 3, 0.1, 0.9))
        ),
        judge=_judge_epoch,
        call=_call_epoch,
        fallback="course_utils.instructor.exercises.nb05.train_one_epoch",
    ),
]
