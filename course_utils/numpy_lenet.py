"""The modern LeNet of notebook 08 in numpy, built from ``course_utils.layers``: forward, backward, SGD
with momentum. Introduced in notebook 08 (LeNet), where it is checked equal to PyTorch's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from course_utils.layers import conv2d_backward, conv2d_forward, maxpool2d_backward, maxpool2x2_forward
from course_utils.losses import categorical_nll

if TYPE_CHECKING:  # only for the annotation: numpy_lenet itself never needs torch
    from torch import nn

__all__ = ["NumpyLeNet", "NUMPY_LENET_SHAPES"]

# name → shape of every parameter, in the order of LeNet("modern").parameters()
NUMPY_LENET_SHAPES = {
    "conv1.weight": (6, 1, 5, 5), "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5), "conv2.bias": (16,),
    "fc1.weight": (120, 400), "fc1.bias": (120,),
    "fc2.weight": (84, 120), "fc2.bias": (84,),
    "fc3.weight": (10, 84), "fc3.bias": (10,),
}  # fmt: skip


def _linear_forward(x, w, b):
    """x (N, D) · w (M, D)ᵀ + b (M,) → (N, M), as torch.nn.Linear."""
    return x @ w.T + b, (x, w)


def _linear_backward(dout, cache):
    x, w = cache
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def _relu_forward(x):
    return np.maximum(x, 0), x > 0


def _relu_backward(dout, positive):
    return dout * positive


class NumpyLeNet:
    """The modern LeNet (see :class:`LeNet`) in numpy: forward, backward, SGD with momentum.

    Built from ``course_utils.layers`` (im2col convolution, max pooling) plus linear and ReLU
    layers written here. Inputs x are (N, 1, 28, 28) normalised digits; ``params`` maps the
    names of :data:`NUMPY_LENET_SHAPES` (the PyTorch names) to arrays of ``dtype``.
    """

    def __init__(self, rng: np.random.Generator, dtype=np.float32):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator (from set_seed), got {type(rng).__name__}")
        self.dtype = np.dtype(dtype)
        self.params = {}
        for name, shape in NUMPY_LENET_SHAPES.items():
            # PyTorch's default: uniform(±1/sqrt(fan_in)) for weights and biases alike
            fan_in = int(np.prod(NUMPY_LENET_SHAPES[name.replace("bias", "weight")][1:]))
            bound = 1.0 / np.sqrt(fan_in)
            self.params[name] = rng.uniform(-bound, bound, size=shape).astype(self.dtype)
        self.velocity = {name: np.zeros_like(p) for name, p in self.params.items()}

    @classmethod
    def from_torch(cls, model: nn.Module, dtype=np.float64) -> NumpyLeNet:
        """A NumpyLeNet holding copies of the weights of a ``LeNet("modern")``."""
        state = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}
        if getattr(model, "variant", None) != "modern" or {k: v.shape for k, v in state.items()} != NUMPY_LENET_SHAPES:
            raise ValueError("from_torch needs a LeNet('modern'); got a model with other layers")
        net = cls.__new__(cls)
        net.dtype = np.dtype(dtype)
        net.params = {name: state[name].astype(net.dtype) for name in NUMPY_LENET_SHAPES}
        net.velocity = {name: np.zeros_like(p) for name, p in net.params.items()}
        return net

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list]:
        """x (N, 1, 28, 28) → class scores (N, 10) and the caches of every layer."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"NumpyLeNet takes digits of shape (N, 1, 28, 28), got {x.shape}")
        p, caches = self.params, []
        h, c = conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], pad=2, input_grad=False)  # (N, 6, 28, 28)
        caches.append(c)
        h, c = _relu_forward(h)
        caches.append(c)
        h, c = maxpool2x2_forward(h)  # (N, 6, 14, 14)
        caches.append(c)
        h, c = conv2d_forward(h, p["conv2.weight"], p["conv2.bias"])  # (N, 16, 10, 10)
        caches.append(c)
        h, c = _relu_forward(h)
        caches.append(c)
        h, c = maxpool2x2_forward(h)  # (N, 16, 5, 5)
        caches.append(c)
        h = h.reshape(len(x), 400)
        for layer in ("fc1", "fc2"):
            h, c = _linear_forward(h, p[f"{layer}.weight"], p[f"{layer}.bias"])
            caches.append(c)
            h, c = _relu_forward(h)
            caches.append(c)
        scores, c = _linear_forward(h, p["fc3.weight"], p["fc3.bias"])  # (N, 10)
        caches.append(c)
        return scores, caches

    def backward(self, dscores: np.ndarray, caches: list) -> dict[str, np.ndarray]:
        """Gradients of every parameter from dscores (N, 10), the gradient of the loss w.r.t. the scores."""
        (conv1, relu1, pool1, conv2, relu2, pool2, fc1, relu3, fc2, relu4, fc3) = caches
        grads = {}
        d = np.asarray(dscores, dtype=self.dtype)
        d, grads["fc3.weight"], grads["fc3.bias"] = _linear_backward(d, fc3)
        d, grads["fc2.weight"], grads["fc2.bias"] = _linear_backward(_relu_backward(d, relu4), fc2)
        d, grads["fc1.weight"], grads["fc1.bias"] = _linear_backward(_relu_backward(d, relu3), fc1)
        d = maxpool2d_backward(d.reshape(-1, 16, 5, 5), pool2)
        d, grads["conv2.weight"], grads["conv2.bias"] = conv2d_backward(_relu_backward(d, relu2), conv2)
        d = maxpool2d_backward(d, pool1)
        _, grads["conv1.weight"], grads["conv1.bias"] = conv2d_backward(_relu_backward(d, relu1), conv1)
        return grads

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean softmax cross-entropy on (x, y), the gradient of every parameter, and the scores (N, 10)."""
        scores, caches = self.forward(x)
        loss, dscores = categorical_nll(scores, y)
        return loss, self.backward(dscores, caches), scores

    def sgd_step(self, grads: dict[str, np.ndarray], lr: float, momentum: float = 0.9) -> None:
        """v ← momentum·v + g;  θ ← θ − lr·v  (torch.optim.SGD's rule)."""
        for name, grad in grads.items():
            v = self.velocity[name]
            v *= momentum
            v += grad
            self.params[name] -= lr * v

    def train_epoch(self, x, y, batch_size: int, lr, rng: np.random.Generator, momentum: float = 0.9) -> list[float]:
        """One pass over (x (N, 1, 28, 28), y (N,)) in shuffled minibatches; returns the loss of every step.

        ``lr`` is a number or a function of the step number within the epoch (for a schedule).
        The last incomplete batch is dropped, so every step averages over ``batch_size`` digits.
        """
        if not isinstance(batch_size, int) or not 1 <= batch_size <= len(x):
            raise ValueError(f"batch_size must be an int in 1..{len(x)}, got {batch_size!r}")
        order = rng.permutation(len(x))
        losses = []
        for step, start in enumerate(range(0, len(x) - batch_size + 1, batch_size)):
            index = order[start : start + batch_size]
            loss, grads, _ = self.loss_and_grads(x[index], y[index])
            self.sgd_step(grads, lr(step) if callable(lr) else lr, momentum)
            losses.append(loss)
        return losses

    def predict(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Class scores (N, 10) for x (N, 1, 28, 28), in chunks."""
        return np.concatenate([self.forward(x[i : i + batch_size])[0] for i in range(0, len(x), batch_size)])
