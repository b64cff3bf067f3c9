"""A per-layer summary of a PyTorch model: output shapes, parameters and multiply-adds for one image.
Introduced in notebook 08 (LeNet), whose parameter table it prints."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from course_utils.lenet_parts import PartialConv2d, Subsampling

__all__ = ["LayerRow", "ModelSummary", "summarize"]


@dataclass(frozen=True)
class LayerRow:
    """One line of a model summary: output shape (without the batch), parameters, multiply-adds per image."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    mult_adds: int


class ModelSummary:
    """Per-layer output shapes, parameters and multiply-adds of a model on one input; printable as a table."""

    def __init__(self, rows: list[LayerRow], input_shape: tuple[int, ...]):
        self.rows = rows
        self.input_shape = input_shape

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def mult_adds(self) -> int:
        return sum(row.mult_adds for row in self.rows)

    def __getitem__(self, name: str) -> LayerRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no layer named {name!r}; the layers are {[row.name for row in self.rows]}")

    def __str__(self) -> str:
        name_w = max([len("layer"), len("total")] + [len(r.name) for r in self.rows]) + 2
        kind_w = max([len("kind")] + [len(r.kind) for r in self.rows]) + 2
        shape_w = (
            max([len("output shape"), len(_shape(self.input_shape))] + [len(_shape(r.output_shape)) for r in self.rows])
            + 2
        )
        num_w = max(len(f"{self.params:,}"), len("params")) + 2
        add_w = max(len(f"{self.mult_adds:,}"), len("mult-adds")) + 2

        def line(name, kind, shape, params, adds):
            return f"{name:<{name_w}}{kind:<{kind_w}}{shape:<{shape_w}}{params:>{num_w}}{adds:>{add_w}}".rstrip()

        lines = [line("layer", "kind", "output shape", "params", "mult-adds")]
        lines.append(line("input", "", _shape(self.input_shape), "", ""))
        for row in self.rows:
            lines.append(line(row.name, row.kind, _shape(row.output_shape), f"{row.params:,}", f"{row.mult_adds:,}"))
        lines.append(line("total", "", "", f"{self.params:,}", f"{self.mult_adds:,}"))
        return "\n".join(lines)

    __repr__ = __str__


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def _params(module: nn.Module) -> int:
    if isinstance(module, PartialConv2d):
        return module.connections * module.kernel_size[0] * module.kernel_size[1] + module.out_channels
    return sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)


def _mult_adds(module: nn.Module, output: torch.Tensor) -> int:
    """Multiplications by a weight for one image (the cost that dominates; pooling and activations count 0)."""
    per_image = output[0].numel()
    if isinstance(module, PartialConv2d):  # each position of map k reads len(table[k]) maps
        return module.connections * module.kernel_size[0] * module.kernel_size[1] * output.shape[2] * output.shape[3]
    if isinstance(module, nn.Conv2d):
        fan_in = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        return per_image * fan_in
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(module, Subsampling):
        return per_image
    return 0


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> ModelSummary:
    """Run one zero image of ``input_shape`` (C, H, W) through ``model`` and record every leaf layer.

    Returns a :class:`ModelSummary` (rows in the order the layers ran). The model's mode is kept.
    """
    if not (
        isinstance(input_shape, tuple)
        and len(input_shape) == 3
        and all(isinstance(s, int) and s > 0 for s in input_shape)
    ):
        raise ValueError(f"input_shape must be (C, H, W) positive ints, got {input_shape!r}")
    rows: list[LayerRow] = []
    names = {module: name for name, module in model.named_modules()}

    def record(module, _inputs, output):
        rows.append(
            LayerRow(
                names[module],
                type(module).__name__,
                tuple(output.shape[1:]),
                _params(module),
                _mult_adds(module, output),
            )
        )

    hooks = [m.register_forward_hook(record) for m in model.modules() if not list(m.children())]
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            model(torch.zeros(1, *input_shape))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return ModelSummary(rows, input_shape)
