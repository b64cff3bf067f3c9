"""course_utils.train and course_utils.models: fit, evaluate, predict, confusion_matrix."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.data import Batches
from course_utils.env import set_seed
from course_utils.models import count_parameters, mlp, small_cnn
from course_utils.train import History, confusion_matrix, evaluate, fit, predict


def _blobs(n=600, seed=0):
    """Three well-separated Gaussian blobs in 2-D, as (N, 1, 1, 2) 'images' and labels."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    x = centres[labels] + 0.5 * torch.randn(n, 2, generator=gen)
    return x.reshape(n, 1, 1, 2), labels


def _setup(seed=0):
    rng = set_seed(seed)
    x, y = _blobs()
    train = Batches(x[:480], y[:480], 32, rng=rng)
    test = Batches(x[480:], y[480:], 64, shuffle=False)
    model = mlp(inputs=2, hidden=16, classes=3)
    return model, train, test


def test_fit_learns_and_records_everything():
    model, train, test = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, train, 3, optimizer, eval_batches=test, progress=False)
    assert history.epochs == 3 and not history.interrupted
    assert len(history.step_loss) == 3 * len(train) == 45
    assert len(history.test_accuracy) == len(history.epoch_seconds) == len(history.lr) == 3
    assert history.test_accuracy[-1] > 0.95 and history.train_accuracy[-1] > 0.9
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(s > 0 for s in history.epoch_seconds)
    assert not model.training  # fit leaves the model in eval mode
    assert all(p.grad is None for p in model.parameters())  # set_to_none at the end
    assert "3 epochs" in repr(history) and "test accuracy" in repr(history)


def test_fit_is_reproducible_with_set_seed():
    runs = []
    for _ in range(2):
        model, train, test = _setup(seed=5)
        history = fit(model, train, 2, torch.optim.SGD(model.parameters(), lr=0.1), progress=False)
        runs.append(history.step_loss)
    assert runs[0] == runs[1]


def test_fit_steps_the_scheduler_every_step():
    model, train, _ = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=2 * len(train))
    history = fit(model, train, 2, optimizer, scheduler, progress=False)
    assert history.lr[0] > 0.05 and history.lr[1] < 1e-3  # peak mid-way, annealed to ~0 at the end


def test_fit_continues_a_history():
    model, train, _ = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, train, 1, optimizer, progress=False)
    same = fit(model, train, 2, optimizer, progress=False, history=history)
    assert same is history and history.epochs == 3


class _InterruptAfter:
    """Batches that raise KeyboardInterrupt (as the notebook's stop button does) at a given step."""

    def __init__(self, batches, step):
        self.batches, self.step, self.seen = batches, step, 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            self.seen += 1
            if self.seen == self.step:
                raise KeyboardInterrupt
            yield batch


def test_keyboard_interrupt_keeps_finished_epochs_and_a_usable_model(capsys):
    model, train, test = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    interrupted = _InterruptAfter(train, step=len(train) * 2 + 3)  # during the third epoch
    history = fit(model, interrupted, 5, optimizer, eval_batches=test, progress=False)
    assert history.interrupted and history.epochs == 2 and len(history.test_accuracy) == 2
    assert "keeps 2 finished epochs" in capsys.readouterr().out
    assert evaluate(model, test).accuracy > 0.9  # the model still works
    fit(model, train, 1, optimizer, progress=False, history=history)  # and training can go on
    assert history.epochs == 3 and not history.interrupted


def test_evaluate_matches_a_direct_computation():
    model, _, test = _setup()
    x, y = test.x, test.y
    with torch.no_grad():
        out = model(x)
    result = evaluate(model, test)
    assert result.loss == pytest.approx(F.cross_entropy(out, y).item(), rel=1e-5)
    assert result.accuracy == pytest.approx((out.argmax(1) == y).float().mean().item())


def test_evaluate_regression_has_nan_accuracy():
    x = torch.randn(20, 3)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1))
    batches = Batches(x.reshape(20, 1, 1, 3), torch.randn(20, 1), 8, shuffle=False)
    result = evaluate(model, batches, loss_fn=F.mse_loss)
    assert math.isnan(result.accuracy) and result.loss > 0


def test_predict_and_confusion_matrix_agree():
    model, train, test = _setup()
    fit(model, train, 2, torch.optim.SGD(model.parameters(), lr=0.1), progress=False)
    scores = predict(model, test.x, batch_size=7)
    assert scores.shape == (120, 3)
    matrix = confusion_matrix(model, test)
    assert matrix.shape == (3, 3) and matrix.sum() == 120
    assert matrix.trace() == (scores.argmax(1) == test.y).sum()
    assert torch.equal(matrix.sum(1), torch.bincount(test.y, minlength=3))  # rows are the true classes


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, b, o: fit(m, b, 0, o), "epochs must be a positive int"),
        (lambda m, b, o: fit(m, 5, 1, o), "iterable of"),
        (lambda m, b, o: fit(m, [], 1, o, progress=False), "no batch"),
        (lambda m, b, o: evaluate(m, []), "empty"),
        (lambda m, b, o: predict(m, [1, 2]), "torch.Tensor"),
        (lambda m, b, o: predict(m, torch.zeros(2, 2), batch_size=0), "positive int"),
    ],
)
def test_bad_arguments_are_named(call, message):
    model, batches, _ = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises((ValueError, TypeError), match=message):
        call(model, batches, optimizer)


def test_models_shapes_and_parameter_counts():
    assert mlp()(torch.zeros(4, 1, 28, 28)).shape == (4, 10)
    assert count_parameters(mlp()) == 784 * 256 + 256 + 256 * 10 + 10
    cnn = small_cnn()
    assert cnn(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(cnn) == (16 * 25 + 16) + (32 * 16 * 25 + 32) + (32 * 49 * 10 + 10)
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        mlp(hidden=0)


def test_history_repr_without_epochs():
    assert "no finished epoch" in repr(History())


def test_history_repr_leaves_out_accuracy_for_regression_and_names_the_split():
    history = History(train_loss=[0.5], test_loss=[0.4], test_accuracy=[math.nan], epoch_seconds=[1.0])
    assert "accuracy" not in repr(history) and "nan" not in repr(history) and "test loss 0.4000" in repr(history)
    history = History(train_loss=[0.5], test_loss=[0.4], test_accuracy=[0.9], eval_name="validation")
    assert "validation accuracy 90.00%" in repr(history) and "test" not in repr(history)
    assert history.eval_accuracy is history.test_accuracy and history.eval_loss is history.test_loss
