"""Which exercises are safe to grade with the student edition out, and why the others are practice.

An exercise is *safe to grade* when nothing in the student edition computes its answer in the form the
exercise asks: its judge's answers are baked (``course_utils.checking.oracle``), its fallback and every
library function a later notebook calls in its place are written in another form. A *practice*
exercise's answer is in the edition (said why); grade it only as practice. docs/instructors.md shows
this table (tests/test_edition_leaks.py keeps the two equal); ``course release --edition`` prints the
practice ones.
"""

from __future__ import annotations

__all__ = ["TABLE", "SAFE", "PRACTICE", "table_markdown"]

# number -> (safe?, how its fallback is written in the edition, why it is practice, or "")
TABLE: dict[str, tuple[bool, str, str]] = {
    "0.1": (False, "the course's flat_length (numpy)", "the welcome exercise: its one line is the example"),
    "1.1": (
        False,
        "none (a value); the judge holds a as salted hashes, and judges h and f from the student's own a and h",
        "the notebook works the answer out right after the check (in its text, then in numpy and PyTorch)",
    ),
    "1.2": (
        False,
        "none (a value); the judge holds each task's choice as salted hashes",
        "the notebook's text gives the answers right after the check",
    ),
    "1.3": (False, "the course's forward_batch (numpy)", "the judge computes F in numpy"),
    "2.1": (True, "losses.gaussian_nll in PyTorch (autograd gradient)", ""),
    "2.2": (True, "losses.bernoulli_nll in PyTorch (autograd gradient)", ""),
    "2.3": (True, "losses.categorical_nll in PyTorch (autograd gradient)", ""),
    "2.4": (False, "the course's map_objective (numpy)", "its fallback is the answer"),
    "3.1": (True, "reference_backward and mlp.mlp_backward by PyTorch autograd", ""),
    "3.2": (
        True,
        "numerical_gradient and gradcheck by the five-point stencil (3.2 asks for the central difference)",
        "",
    ),
    "3.3": (
        False,
        "the course's autograd_backward (PyTorch autograd)",
        "3.1's fallback and the edition's mlp_backward are its answer: autograd is the other form 3.1 needs",
    ),
    "4.1": (True, "sgd_step by torch.optim.SGD", ""),
    "4.2": (True, "mlp.init_params by torch.nn.init, seeded from rng", ""),
    "4.3": (False, "the course's count_distinct_units (numpy)", "its fallback is the answer"),
    "5.1": (False, "the course's to_vectors (numpy)", "its fallback is the answer"),
    "5.2": (False, "the course's dense_params", "its fallback is the answer"),
    "5.3": (False, "the course's train_one_epoch (PyTorch)", "its fallback is the answer"),
    "6.1": (False, "layers.conv_output_size", "layers' size rules are the answer"),
    "6.2": (True, "conv_reference by PyTorch's conv2d; layers keeps im2col, its loops are not shipped", ""),
    "6.3": (True, "conv_backward_reference by PyTorch autograd; layers' backward is im2col/col2im", ""),
    "7.1": (True, "maxpool_forward_reference by PyTorch; layers pools by window offset, not by output", ""),
    "7.2": (True, "meanpool_forward_reference by PyTorch; layers pools by window offset, not by output", ""),
    "7.3": (True, "maxpool_backward_reference by PyTorch autograd; layers' backward by window offset", ""),
    "8.1": (
        False,
        "none (a value)",
        "models.LeNet().summary() prints the table (the notebook runs it after the check); the judge computes it "
        "with 8.2's rules and its messages name the right row",
    ),
    "8.2": (
        False,
        "none",
        "summarize(lenet_variant_net(size, kernel, pad)) computes the table in the form asked, and the judge "
        "computes it too",
    ),
    "8.3": (False, "models.LeNet (PyTorch)", "models.LeNet is the answer"),
    "9.1": (True, "gaussian_loss is PyTorch's F.mse_loss / 2", ""),
    "9.2": (True, "bernoulli_loss is PyTorch's F.binary_cross_entropy_with_logits", ""),
    "9.3": (True, "categorical_loss is PyTorch's F.cross_entropy", ""),
    "10.1": (True, "conv_cost and layers.conv_layer_cost count PyTorch's Conv2d on the meta device", ""),
    "10.2": (True, "network_cost builds the layers in PyTorch on the meta device and counts", ""),
    "10.3": (False, "none", "experiment.wider_lenet is the answer"),
}

SAFE = [number for number, (safe, _, _) in TABLE.items() if safe]
PRACTICE = [number for number, (safe, _, _) in TABLE.items() if not safe]


def table_markdown() -> str:
    """The table as docs/instructors.md shows it."""
    rows = ["| Exercise | Grade as | Fallback in the student edition | Why practice |", "|---|---|---|---|"]
    for number, (safe, fallback, why) in TABLE.items():
        rows.append(f"| {number} | {'safe to grade' if safe else 'practice'} | {fallback} | {why or '–'} |")
    return "\n".join(rows) + "\n"
