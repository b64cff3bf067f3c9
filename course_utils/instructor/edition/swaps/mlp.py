"""The student edition's mlp.init_params and mlp.mlp_backward (swapped in for the student side's own by
course_utils.instructor.edition.build): the same results, written in PyTorch. Exercise 4.2 asks for the
initialisation drawn with numpy, exercise 3.1 for the backward pass written out in numpy.
"""

import numpy as np

__all__ = ["init_params", "mlp_backward"]


def init_params(n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator, bias: bool = True) -> dict:
    """Random weights scaled by 1/sqrt(fan-in) (so activations neither vanish nor explode), zero biases.

    Returns a dict with W (n_hidden, n_in), V (n_out, n_hidden) and, if ``bias``,
    b (n_hidden,), c (n_out,); all float64. (PyTorch's initialiser, seeded from ``rng``.)
    """
    import torch

    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    params = {}
    for name, (rows, cols) in (("W", (n_hidden, n_in)), ("V", (n_out, n_hidden))):
        weights = torch.empty(rows, cols, dtype=torch.float64)
        torch.nn.init.normal_(weights, std=cols**-0.5, generator=generator)
        params[name] = weights.numpy()
    if bias:
        params["b"] = torch.zeros(n_hidden, dtype=torch.float64).numpy()
        params["c"] = torch.zeros(n_out, dtype=torch.float64).numpy()
    return params


def mlp_backward(dZ: np.ndarray, cache: dict) -> dict:
    """Backward pass from dL/dZ, the gradient at the output *before* o (PyTorch's autograd on the forward pass).

    dZ: (N, K); cache: from :func:`mlp_forward`. Returns the gradients with the shapes of what they
    differentiate: W (H, D), V (K, H), X (N, D), and b (H,), c (K,) when the params have them.
    """
    import torch

    if np.shape(dZ) != cache["Z"].shape:
        raise ValueError(f"dZ must have the shape of Z, {cache['Z'].shape}; got {np.shape(dZ)}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small arrays in training loops: PyTorch's threads cost more than they save
    try:
        g = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}[cache["g"]]
        leaves = {
            k: torch.tensor(np.ascontiguousarray(v, dtype=np.float64), requires_grad=True)
            for k, v in cache["params"].items()
        }
        X = torch.tensor(np.ascontiguousarray(cache["X"], dtype=np.float64), requires_grad=True)
        Z = g(X @ leaves["W"].T + leaves.get("b", 0.0)) @ leaves["V"].T + leaves.get("c", 0.0)
        Z.backward(torch.as_tensor(np.ascontiguousarray(dZ, dtype=np.float64)))
        grads = {k: leaf.grad.numpy() for k, leaf in leaves.items() if k in ("W", "V", "b", "c")}
        grads["X"] = X.grad.numpy()
        return grads
    finally:
        torch.set_num_threads(threads)
