"""Exercises 8.1-8.3 (notebook 08): the right answers pass, each recognised mistake gets its own message."""

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.checking import decode, encode, judge_case, run_case
from course_utils.checks import ExerciseFailure, check_lenet_table, check_lenet_variant, check_my_lenet
from course_utils.instructor.exercises import EXERCISES
from course_utils.instructor.exercises.nb08 import LENET_ROWS, variant_table
from course_utils.models import LeNet, lenet_variant_net, summarize


def _right_table():
    return {name: (shape, params) for name, shape, params in LENET_ROWS}


def test_the_reference_passes_on_fresh_cases_and_matches_pytorch():
    rng = np.random.default_rng(0)
    exercise = EXERCISES["8.2"]
    for case in [*exercise.cases(), *exercise.fresh(rng), *exercise.fresh(rng)]:
        assert judge_case(exercise, case, decode(*encode(run_case(exercise, variant_table, case)))) is None, case
        size = case[0]
        summary = summarize(lenet_variant_net(*case), (1, size, size))  # the table is what PyTorch measures
        assert all(
            summary[n].output_shape == s and summary[n].params == p for n, (s, p) in variant_table(*case).items()
        )
    fresh = exercise.fresh(np.random.default_rng(1))
    assert set(fresh).isdisjoint(exercise.cases())


# --- 8.1 ---------------------------------------------------------------------------------------------


def test_lenet_table_right(capsys):
    summary = LeNet().summary()
    assert all(summary[n].output_shape == s and summary[n].params == p for n, (s, p) in _right_table().items())
    check_lenet_table(_right_table())
    assert "all 7 rows are right: 61,706 parameters" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"conv1": ((6, 24, 24), 156)}, "row 'conv1'.*padding is left out"),
        ({"conv1": ((6, 26, 26), 156)}, "row 'conv1'.*padding is counted once"),
        ({"conv1": ((6, 28, 28), 150)}, "row 'conv1'.*biases are missing"),
        ({"pool1": ((6, 28, 28), 0)}, "row 'pool1'.*halves"),
        ({"pool1": ((6, 14, 14), 12)}, "row 'pool1'.*no parameters"),
        ({"conv2": ((16, 10, 10), 416)}, "row 'conv2'.*all 6 input maps"),
        ({"conv2": ((16, 14, 14), 2416)}, "row 'conv2'.*no padding"),
        ({"fc1": ((120,), 48_000)}, "row 'fc1'.*biases are missing"),
        ({"fc1": ((120,), 16 * 10 * 10 * 120 + 120)}, "row 'fc1'.*400 numbers.*halving"),
        ({"fc3": ((10,), 840)}, "row 'fc3'.*biases are missing"),
        ({"pool2": ((16, 5), 0)}, r"row 'pool2'.*\(maps, height, width\)"),
        ({"conv1": ((6, 24, 24), 150), "fc3": ((10,), 840)}, "row 'conv1'"),  # the first wrong row
        ({"fc2": "84"}, "pair"),
        ({"conv1": ((6, 28, 28), 6 * (3 * 25 + 1))}, "row 'conv1'.*1 channel, not the 3"),
        ({"fc1": ((120,), 400 * 120 + 400)}, r"row 'fc1'.*One bias per unit \(120\), not per input \(400\)"),
        ({"fc2": ((84,), 120 * 84 + 120)}, r"row 'fc2'.*One bias per unit \(84\)"),
        ({"fc1": ((400,), 48_120)}, "row 'fc1'.*one number per unit: fc1 has 120 units"),
        ({"conv1": ((28, 28, 6), 156)}, r"row 'conv1'.*\(maps, height, width\), the maps first"),
    ],
)
def test_lenet_table_mistakes(change, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_lenet_table({**_right_table(), **change})


def test_lenet_table_none_or_incomplete():
    with pytest.raises(ExerciseFailure, match="is None"):
        check_lenet_table(None)
    table = _right_table()
    del table["pool2"]
    with pytest.raises(ExerciseFailure, match=r"no row for \['pool2'\]"):
        check_lenet_table(table)


# --- 8.2 ---------------------------------------------------------------------------------------------


def test_lenet_variant_right(capsys):
    check_lenet_variant(variant_table)
    assert "the tables of all 4 variants are right" in capsys.readouterr().out


def _changed(layer, fn):
    def answer(size, kernel, pad):
        table = variant_table(size, kernel, pad)
        table[layer] = fn(size, kernel, pad, table[layer])
        return table

    return answer


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda s, k, p: _right_table(), r"size=28, kernel=3, pad=1: row 'conv1'.*5×5 LeNet's count.*3×3"),
        (_changed("conv1", lambda s, k, p, r: ((6, s - k + 1, s - k + 1), r[1])), "padding is left out"),
        (_changed("conv1", lambda s, k, p, r: (r[0], 6 * k * k)), "biases are missing"),
        (_changed("pool1", lambda s, k, p, r: ((6, 2 * r[0][1], 2 * r[0][1]), 0)), "halves the height"),
        (_changed("conv2", lambda s, k, p, r: (r[0], 16 * (k * k + 1))), "all 6 input maps"),
        (_changed("fc1", lambda s, k, p, r: (r[0], 400 * 120 + 120)), "16 × 6 × 6 = 576 numbers.*modern LeNet"),
        (_changed("fc1", lambda s, k, p, r: (r[0], r[1] - 120)), "fc1.*biases are missing"),
        (lambda s, k, p: None, "is None"),
        (lambda s, k, p: [1, 2], "expected a dict"),
    ],
)
def test_lenet_variant_mistakes(answer, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_lenet_variant(answer)


def test_lenet_variant_keeps_the_students_error():
    def unfinished(size, kernel, pad):
        raise NotImplementedError("Exercise 8.2")

    with pytest.raises(NotImplementedError):
        check_lenet_variant(unfinished)


# --- 8.3 ---------------------------------------------------------------------------------------------


def _lenet(pad=2, pool=nn.MaxPool2d, act=nn.ReLU, bias=True, flat=400, tail=(), conv2_in=6):
    def build():
        layers = [
            nn.Conv2d(1, 6, 5, padding=pad, bias=bias), act(), pool(2),
            nn.Conv2d(conv2_in, 16, 5, bias=bias), act(), pool(2), nn.Flatten(),
            nn.Linear(flat, 120, bias=bias), act(), nn.Linear(120, 84, bias=bias), act(), nn.Linear(84, 10, bias=bias),
            *tail,
        ]  # fmt: skip
        return nn.Sequential(*layers)

    return build


def _fc_without_relu():
    net = _lenet()()
    net[8], net[10] = nn.Identity(), nn.Identity()
    return net


def _fc_without_one_relu(index):
    def build():
        net = _lenet()()
        net[index] = nn.Identity()
        return net

    return build


def _first_pool_mean():
    net = _lenet()()
    net[2] = nn.AvgPool2d(2)
    return net


class _MyLeNet(nn.Module):
    """The model answer, as a student would write it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


@pytest.mark.parametrize("right", [_MyLeNet, _lenet(), LeNet])
def test_my_lenet_right(right, capsys):
    check_my_lenet(right)
    assert "Exercise 8.3: your module has LeNet's 10 parameter tensors" in capsys.readouterr().out
    exercise, rng = EXERCISES["8.3"], np.random.default_rng(0)
    for case in exercise.fresh(rng):
        assert judge_case(exercise, case, decode(*encode(run_case(exercise, right, case)))) is None


@pytest.mark.parametrize(
    ("build", "hint"),
    [
        (_lenet(pad=0, flat=256), "fc1.weight.*padding is missing"),
        (_lenet(bias=False), "biases are missing"),
        (_lenet(pool=lambda k: nn.Identity(), flat=16 * 24 * 24), "both pooling layers are missing"),
        (_lenet(tail=(nn.Linear(10, 10),)), "12 parameter tensors, LeNet has 10"),
        (_lenet(act=nn.Identity), "activation g is missing"),
        (_lenet(pool=nn.AvgPool2d), "mean pooling"),
        (_lenet(act=lambda: nn.Identity(), tail=()), "activation g is missing"),
        (_fc_without_relu, "ReLU after fc1 and fc2 is missing"),
        (_fc_without_one_relu(8), "ReLU after fc1 is missing"),
        (_fc_without_one_relu(10), "ReLU after fc2 is missing"),
        (_lenet(act=nn.Tanh), "tanh is used.*1998"),
        (_lenet(act=nn.Sigmoid), "sigmoid is used as the activation"),
        (_first_pool_mean, r"pool1 is a mean"),
        (_lenet(tail=(nn.Softmax(dim=1),)), "softmax is applied at the end"),
        (_lenet(tail=(nn.ReLU(),)), "ReLU follows fc3"),
        (lambda: "LeNet", "should create an nn.Module"),
    ],
)
def test_my_lenet_mistakes(build, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_my_lenet(build)


def test_my_lenet_wrong_scores_shape_and_fallback():
    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _lenet()()

        def forward(self, x):
            return self.net(x)[:, :1]

    with pytest.raises(ExerciseFailure, match=r"score matrix has shape \(4, 1\), expected \(4, 10\)"):
        check_my_lenet(Flat)
    namespace = {}
    with pytest.raises(ExerciseFailure, match="Using the course's `MyLeNet`"):
        from course_utils.checking import check

        check(EXERCISES["8.3"], Flat, namespace)
    check_my_lenet(namespace["MyLeNet"])  # the fallback is a right answer


def test_my_lenet_error_inside_forward_is_the_students():
    with pytest.raises(RuntimeError, match="mat1 and mat2"):
        check_my_lenet(_lenet(flat=300))


def test_fresh_cases_differ():
    exercise = EXERCISES["8.3"]
    visible = [c[0].shape for c in exercise.cases()]
    assert all(c[0].shape not in visible for c in exercise.fresh(np.random.default_rng(0)))


class _WithBatchNorm(_MyLeNet):
    def __init__(self):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(6)  # registered after fc3: the 10 are all there, in order

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class _BatchNormInOrder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.norm = nn.BatchNorm2d(6)  # between conv1 and conv2
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.norm(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


@pytest.mark.parametrize(
    ("build", "extra"),
    [
        (_WithBatchNorm, "'bn1.weight' (6,), 'bn1.bias' (6,)"),
        (_BatchNormInOrder, "'norm.weight' (6,), 'norm.bias' (6,)"),
    ],
)
def test_my_lenet_extra_batchnorm_is_named(build, extra):
    with pytest.raises(ExerciseFailure) as info:
        check_my_lenet(build)
    message = str(info.value)
    assert "12 parameter tensors, LeNet has 10" in message and f"the extra ones are {extra}" in message, message
    assert "remove the BatchNorm layer" in message and "table's order" not in message, message


def test_my_lenet_wrong_layer_size_is_not_blamed_on_the_order():
    class WideConv2(_MyLeNet):
        def __init__(self):
            super().__init__()
            self.conv2, self.fc1 = nn.Conv2d(6, 20, 5), nn.Linear(500, 120)

    with pytest.raises(ExerciseFailure, match=r"conv2.weight.*\(20, 6, 5, 5\).*Compare that layer's arguments"):
        check_my_lenet(WideConv2)

    class Reordered(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)

        forward = _MyLeNet.forward

    with pytest.raises(ExerciseFailure, match="Register the layers in the table's order"):
        check_my_lenet(Reordered)
