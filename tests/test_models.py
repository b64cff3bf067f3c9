"""LeNet (both variants), its summary, and the numpy LeNet against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.env import set_seed
from course_utils.models import C3_TABLE, LeNet, NumpyLeNet, count_parameters, summarize


def test_modern_lenet_summary_matches_the_lecture_table():
    summary = LeNet("modern").summary()
    expected = {  # layer: (output shape, parameters, multiply-adds per image)
        "conv1": ((6, 28, 28), 6 * (25 + 1), 6 * 28 * 28 * 25),
        "pool1": ((6, 14, 14), 0, 0),
        "conv2": ((16, 10, 10), 16 * (6 * 25 + 1), 16 * 10 * 10 * 150),
        "pool2": ((16, 5, 5), 0, 0),
        "fc1": ((120,), 400 * 120 + 120, 48_000),
        "fc2": ((84,), 120 * 84 + 84, 10_080),
        "fc3": ((10,), 84 * 10 + 10, 840),
    }
    for name, (shape, params, adds) in expected.items():
        row = summary[name]
        assert (row.output_shape, row.params, row.mult_adds) == (shape, params, adds), name
    assert summary.params == 61_706 == count_parameters(LeNet())
    assert summary.mult_adds == 416_520


def test_1998_lenet_follows_the_paper():
    summary = LeNet("1998").summary()
    assert summary["pad"].output_shape == (1, 32, 32)
    assert summary["C1"].output_shape == (6, 28, 28) and summary["S2"].params == 12
    assert summary["C3"].params == 1_516  # the partial connection table, not 2,416
    assert summary["S4"].output_shape == (16, 5, 5) and summary["S4"].params == 32
    assert summary["C5"].output_shape == (120, 1, 1) and summary["C5"].params == 48_120
    assert summary["F6"].params == 10_164
    assert summary.params == 60_850
    assert sorted(len(inputs) for inputs in C3_TABLE) == [3] * 6 + [4] * 9 + [6]


def test_partial_connections_stay_zero_and_get_no_gradient():
    model = LeNet("1998")
    c3 = model.C3
    F.cross_entropy(model(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3])).backward()
    missing = c3.mask.expand_as(c3.weight) == 0
    assert torch.all(c3.weight.grad[missing] == 0)
    assert torch.any(c3.weight.grad[~missing] != 0)


def test_lenet_rejects_other_inputs_and_variants():
    with pytest.raises(ValueError, match="variant must be one of"):
        LeNet("2012")
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\), got \(2, 1, 32, 32\)"):
        LeNet()(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match="input_shape must be"):
        summarize(LeNet(), (28, 28))


def test_summarize_keeps_the_training_mode_and_prints_a_table():
    model = LeNet().train()
    text = str(model.summary())
    assert model.training
    assert text.splitlines()[0].split() == ["layer", "kind", "output", "shape", "params", "mult-adds"]
    assert text.splitlines()[-1].split() == ["total", "61,706", "416,520"]


def test_features_gives_every_layer_output():
    maps = LeNet().features(torch.zeros(3, 1, 28, 28))
    assert maps["conv1"].shape == (3, 6, 28, 28) and maps["pool2"].shape == (3, 16, 5, 5)
    assert maps["fc3"].shape == (3, 10)


@pytest.mark.parametrize("batch", [1, 5])
def test_numpy_lenet_matches_torch_forward_and_gradients(batch):
    set_seed(batch)
    model = LeNet().double()
    net = NumpyLeNet.from_torch(model)
    x = torch.randn(batch, 1, 28, 28, dtype=torch.float64)
    y = torch.randint(0, 10, (batch,))
    scores = model(x)
    loss = F.cross_entropy(scores, y)
    loss.backward()
    np_loss, grads, np_scores = net.loss_and_grads(x.numpy(), y.numpy())
    np.testing.assert_allclose(np_scores, scores.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert abs(np_loss - loss.item()) < 1e-12
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(grads[name], parameter.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


def test_numpy_sgd_step_is_torch_sgd_with_momentum():
    set_seed(0)
    model = LeNet().double()
    net = NumpyLeNet.from_torch(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(6, 1, 28, 28, dtype=torch.float64), torch.arange(6)
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        _, grads, _ = net.loss_and_grads(x.numpy(), y.numpy())
        net.sgd_step(grads, 0.05, 0.9)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(net.params[name], parameter.detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=name)


def test_numpy_lenet_learns_a_small_batch_and_checks_its_input():
    rng = set_seed(0)
    net = NumpyLeNet(rng)
    assert all(p.dtype == np.float32 for p in net.params.values())
    x = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    y = np.arange(32) % 10
    first = net.train_epoch(x, y, 8, 0.02, rng)
    for _ in range(40):
        last = net.train_epoch(x, y, 8, 0.02, rng)
    assert np.mean(last) < 0.5 * np.mean(first)  # it learns to memorise 32 noise images
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\), got \(2, 28, 28\)"):
        net.forward(np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="batch_size must be an int in 1..32"):
        net.train_epoch(x, y, 64, 0.02, rng)
    with pytest.raises(ValueError, match="needs a LeNet"):
        NumpyLeNet.from_torch(LeNet("1998"))
