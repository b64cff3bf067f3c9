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
    "1.1": (False, "none (a value)", "the judge computes a, h, f from the lecture's weights in the clear"),
    "1.2": (False, "none (a value)", "the judge holds the task → output function table in the clear"),
    "1.3": (False, "the course's forward_batch (numpy)", "the judge computes F in numpy"),
    "2.1": (True, "losses.gaussian_nll in PyTorch (autograd gradient)", ""),
    "2.2": (True, "losses.bernoulli_nll in PyTorch (autograd gradient)", ""),
    "2.3": (True, "losses.categorical_nll in PyTorch (autograd gradient)", ""),
    "2.4": (False, "the course's map_objective (numpy)", "its fallback is the answer"),
    "3.1": (False, "the course's reference_backward (numpy)", "its fallback and mlp.mlp_backward are the answer"),
    "3.2": (False, "the course's numerical_gradient (numpy)", "its fallback and gradcheck are the answer"),
    "3.3": (False, "the course's autograd_backward (PyTorch)", "its fallback is the answer"),
    "4.1": (False, "the course's sgd_step (numpy)", "its fallback is the answer"),
    "4.2": (False, "mlp.init_params (numpy)", "mlp.init_params is the answer"),
    "4.3": (False, "the course's count_distinct_units (numpy)", "its fallback is the answer"),
    "5.1": (False, "the course's to_vectors (numpy)", "its fallback is the answer"),
    "5.2": (False, "the course's dense_params", "its fallback is the answer"),
    "5.3": (False, "the course's train_one_epoch (PyTorch)", "its fallback is the answer"),
    "6.1": (False, "layers.conv_output_size", "layers' size rules are the answer"),
    "6.2": (False, "the course's conv_reference (numpy loops)", "its fallback and layers' naive conv are the answer"),
    "6.3": (False, "the course's conv_backward_reference (numpy)", "its fallback and layers are the answer"),
    "7.1": (False, "the course's maxpool_forward_reference (numpy)", "its fallback and layers are the answer"),
    "7.2": (False, "the course's meanpool_forward_reference (numpy)", "its fallback and layers are the answer"),
    "7.3": (False, "the course's maxpool_backward_reference (numpy)", "its fallback and layers are the answer"),
    "8.1": (False, "none (a value)", "the judge holds LeNet's table in the clear"),
    "8.2": (False, "none", "the judge computes the variant's table"),
    "8.3": (False, "models.LeNet (PyTorch)", "models.LeNet is the answer"),
    "9.1": (False, "the course's gaussian_loss (PyTorch)", "its fallback is the answer"),
    "9.2": (False, "the course's bernoulli_loss (PyTorch)", "its fallback is the answer"),
    "9.3": (False, "the course's categorical_loss (PyTorch)", "its fallback is the answer"),
    "10.1": (False, "the course's conv_cost", "its fallback and layers.conv_layer_cost are the answer"),
    "10.2": (False, "the course's network_cost", "its fallback is the answer"),
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
