"""Training loop for PyTorch models: ``fit``, ``evaluate``, ``predict``, ``confusion_matrix``.

Introduced in notebook 05 (MLPs on images); LeNet (notebook 08) trains with it too.

Built for a laptop CPU: the data stays in memory as tensors (``course_utils.data.Batches``),
so a step is one indexing operation, a forward, a backward and an update; evaluation runs
under ``torch.inference_mode()``; gradients are cleared with ``set_to_none``.

Interrupting training (the stop button in JupyterLab, Ctrl-C in a terminal) ends ``fit``
cleanly: the returned :class:`History` holds every finished epoch, ``history.interrupted``
is True, and the model keeps the weights of its last finished step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

__all__ = [
    "History",
    "Evaluation",
    "LENET_RECIPE",
    "fit",
    "fit_one_cycle",
    "evaluate",
    "predict",
    "confusion_matrix",
]

# LeNet's training recipe for fit_one_cycle, as notebook 08 chose it on its validation split
# (which asserts it still does); notebooks 09 and 10 train with it.
LENET_RECIPE = {"lr": 0.01, "weight_decay": 0.1, "batch_size": 128, "epochs": 3}

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """What ``fit`` measured.

    Attributes:
        step_loss: training loss of every step (mean over the batch).
        train_loss, train_accuracy: per epoch, means over the training batches as they were
            seen (the model changes during the epoch, so this lags the end-of-epoch model).
        test_loss, test_accuracy: per epoch, the model at the end of the epoch on
            ``eval_batches`` (empty lists without eval_batches).
        epoch_seconds: wall-clock seconds of each epoch's training steps (evaluation excluded).
        lr: learning rate of the first parameter group at the end of each epoch.
        interrupted: True when training was stopped by KeyboardInterrupt.
        eval_name: what ``eval_batches`` held, for the printout ("test" or "validation").
    Accuracies are fractions in [0, 1]; nan where the targets are not class labels
    (the printout then leaves accuracy out).
    """

    step_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    interrupted: bool = False
    eval_name: str = "test"

    @property
    def eval_loss(self) -> list[float]:
        """Per epoch, the loss on ``eval_batches`` (the same list as ``test_loss``)."""
        return self.test_loss

    @property
    def eval_accuracy(self) -> list[float]:
        """Per epoch, the accuracy on ``eval_batches`` (the same list as ``test_accuracy``)."""
        return self.test_accuracy

    @property
    def epochs(self) -> int:
        """Number of finished epochs."""
        return len(self.train_loss)

    def __repr__(self) -> str:
        if not self.epochs:
            return f"History(no finished epoch, {len(self.step_loss)} steps, interrupted={self.interrupted})"
        last = f"train loss {self.train_loss[-1]:.4f}"
        if self.test_loss:
            last += f", {self.eval_name} loss {self.test_loss[-1]:.4f}"
            if not math.isnan(self.test_accuracy[-1]):
                last += f", {self.eval_name} accuracy {self.test_accuracy[-1]:.2%}"
        return (
            f"History({self.epochs} epochs, {len(self.step_loss)} steps, "
            f"{sum(self.epoch_seconds):.1f} s; last epoch: {last}" + (", interrupted" if self.interrupted else "") + ")"
        )


class Evaluation(NamedTuple):
    """Mean loss and accuracy (fraction; nan when the targets are not class labels) over all samples."""

    loss: float
    accuracy: float


def _count_correct(outputs: torch.Tensor, targets: torch.Tensor) -> int | None:
    """Correct predictions in a batch of class scores (B, K) against labels (B,); None if not a classification."""
    if outputs.ndim == 2 and targets.ndim == 1 and not targets.dtype.is_floating_point:
        return int((outputs.argmax(dim=1) == targets).sum())
    return None


def _check_batches(batches: Iterable[Batch], name: str) -> None:
    if not hasattr(batches, "__iter__"):
        raise TypeError(f"{name} must be an iterable of (inputs, targets) batches, got {type(batches).__name__}")


def evaluate(model: torch.nn.Module, batches: Iterable[Batch], loss_fn: LossFn = F.cross_entropy) -> Evaluation:
    """Mean loss and accuracy of ``model`` over every sample of ``batches``.

    Args:
        model: maps inputs (B, ...) to outputs (B, K) (class scores) or (B, ...) for regression.
        batches: iterable of (inputs, targets), e.g. ``Batches(..., shuffle=False)``.
        loss_fn: ``loss_fn(outputs, targets)`` giving the mean loss over the batch.
    The model is left in eval mode.
    """
    _check_batches(batches, "batches")
    model.eval()
    total_loss, correct, count, classified = 0.0, 0, 0, True
    with torch.inference_mode():
        for inputs, targets in batches:
            outputs = model(inputs)
            total_loss += float(loss_fn(outputs, targets)) * len(inputs)
            right = _count_correct(outputs, targets)
            classified = classified and right is not None
            correct += right or 0
            count += len(inputs)
    if count == 0:
        raise ValueError("evaluate got no batches: the iterable is empty")
    return Evaluation(total_loss / count, correct / count if classified else math.nan)


def predict(model: torch.nn.Module, inputs: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs for ``inputs`` (N, ...), computed in chunks of ``batch_size``; shape (N, ...).

    For a classifier these are the class scores (logits); ``.softmax(1)`` gives probabilities
    and ``.argmax(1)`` the predicted classes. The model is left in eval mode.
    """
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor (N, ...), got {type(inputs).__name__}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)])


def confusion_matrix(model: torch.nn.Module, batches: Iterable[Batch], num_classes: int | None = None) -> torch.Tensor:
    """Counts (K, K): entry [i, j] is the number of samples of true class i predicted as class j.

    ``num_classes`` defaults to the number of model outputs. The diagonal holds the correct ones.
    """
    _check_batches(batches, "batches")
    model.eval()
    matrix = None
    with torch.inference_mode():
        for inputs, targets in batches:
            outputs = model(inputs)
            if outputs.ndim != 2:
                raise ValueError(f"confusion_matrix needs class scores (B, K), the model gave {tuple(outputs.shape)}")
            k = num_classes or outputs.shape[1]
            if matrix is None:
                matrix = torch.zeros(k, k, dtype=torch.int64)
            pairs = targets.to("cpu", torch.int64) * k + outputs.argmax(dim=1).to("cpu")
            matrix += torch.bincount(pairs, minlength=k * k).reshape(k, k)
    if matrix is None:
        raise ValueError("confusion_matrix got no batches: the iterable is empty")
    return matrix


def fit(
    model: torch.nn.Module,
    train_batches: Iterable[Batch],
    epochs: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    eval_batches: Iterable[Batch] | None = None,
    *,
    loss_fn: LossFn = F.cross_entropy,
    progress: bool = True,
    history: History | None = None,
    eval_name: str = "test",
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_batches``; return a :class:`History`.

    Args:
        model: maps a batch of inputs (B, ...) to outputs, e.g. class scores (B, K).
        train_batches: iterable of (inputs, targets), re-iterated every epoch (``Batches``).
        epochs: number of passes, a positive int.
        optimizer: e.g. ``torch.optim.AdamW(model.parameters(), lr=1e-3)``.
        scheduler: stepped after every optimizer step (per-step schedules such as OneCycleLR).
        eval_batches: evaluated with :func:`evaluate` after every epoch.
        loss_fn: ``loss_fn(outputs, targets)``, the mean loss over the batch
            (default: softmax cross-entropy, the categorical NLL of notebook 02).
        progress: show a progress bar (a widget in JupyterLab, text in a terminal).
        history: continue this History instead of starting a new one.
        eval_name: what ``eval_batches`` hold ("test", or "validation" when choosing settings).

    KeyboardInterrupt stops training at once; the History so far is returned with
    ``interrupted=True`` and the model keeps its last weights. The model ends in eval mode.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    _check_batches(train_batches, "train_batches")
    if eval_batches is not None:
        _check_batches(eval_batches, "eval_batches")
    history = history if history is not None else History()
    history.interrupted = False
    history.eval_name = eval_name
    steps_per_epoch = len(train_batches) if hasattr(train_batches, "__len__") else None
    bar = tqdm(
        total=steps_per_epoch * epochs if steps_per_epoch else None,
        desc="training",
        unit="step",
        disable=not progress,
        mininterval=0.5,
    )
    try:
        for epoch in range(1, epochs + 1):
            bar.set_description(f"epoch {epoch}/{epochs}")
            model.train()
            losses, correct, count, classified = [], 0, 0, True
            start = time.perf_counter()
            for inputs, targets in train_batches:
                outputs = model(inputs)
                loss = loss_fn(outputs, targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                losses.append(loss.detach())
                right = _count_correct(outputs.detach(), targets)
                classified = classified and right is not None
                correct += right or 0
                count += len(inputs)
                bar.update()
            seconds = time.perf_counter() - start
            if not losses:
                raise ValueError("train_batches yielded no batch: nothing to train on")
            step_loss = torch.stack(losses).tolist()
            epoch_loss = sum(step_loss) / len(step_loss)
            history.step_loss.extend(step_loss)
            history.train_loss.append(epoch_loss)
            history.train_accuracy.append(correct / count if classified else math.nan)
            history.epoch_seconds.append(seconds)
            history.lr.append(optimizer.param_groups[0]["lr"])
            postfix = {"loss": f"{epoch_loss:.4f}"}
            if eval_batches is not None:
                result = evaluate(model, eval_batches, loss_fn)
                history.test_loss.append(result.loss)
                history.test_accuracy.append(result.accuracy)
                if not math.isnan(result.accuracy):
                    postfix[f"{eval_name[:3]} acc"] = f"{result.accuracy:.2%}"
            bar.set_postfix(postfix)
    except KeyboardInterrupt:
        history.interrupted = True
        finished = history.epochs
        print(f"Training interrupted: the History keeps {finished} finished epoch{'s' * (finished != 1)}.")
    finally:
        bar.close()
        optimizer.zero_grad(set_to_none=True)
        model.eval()
    return history


def fit_one_cycle(
    model: torch.nn.Module,
    train_batches: Iterable[Batch],
    epochs: int,
    lr: float,
    eval_batches: Iterable[Batch] | None = None,
    *,
    weight_decay: float = 0.01,
    loss_fn: LossFn = F.cross_entropy,
    progress: bool = True,
    eval_name: str = "test",
) -> History:
    """:func:`fit` with the course's recipe: AdamW and a one-cycle schedule peaking at ``lr``.

    The step size rises over the first 30 % of the steps, then anneals to almost zero, so the
    last epoch settles into a minimum. ``train_batches`` must have a length (``Batches`` does).
    """
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not hasattr(train_batches, "__len__"):
        raise TypeError("fit_one_cycle needs train_batches with a length (e.g. Batches) to plan the schedule")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    # fused: one kernel updates every parameter, instead of about ten small operations per tensor
    # (on LeNet's ten tensors that is about a tenth of a step's time on a CPU)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(train_batches))
    return fit(
        model,
        train_batches,
        epochs,
        optimizer,
        schedule,
        eval_batches,
        loss_fn=loss_fn,
        progress=progress,
        eval_name=eval_name,
    )
