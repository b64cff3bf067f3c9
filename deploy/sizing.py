"""The class hub's sizes, computed from what was measured here (deploy/sizing.json "measured").

    python deploy/sizing.py            print the per-student sizes and the table for 50, 200 and 1,000
    python deploy/sizing.py --write    also store the computed "limits" and "per_student" in sizing.json

Assumed concurrency: a lab session, every student of the class logged in with a server and one kernel at
once, and every one of them training notebook 08's LeNet in the same minutes (the worst hour of a term).
deploy/z2jh/values.yaml and the local hub's rlimits (deploy/hub_settings.py) take their figures from here;
tests/test_deploy.py keeps them, and docs/deploy.md's table, equal to what this computes.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

__all__ = [
    "SIZING", "CLASSES", "NODE", "per_student", "limits", "class_table", "markdown_table", "markdown_measured",
    "markdown_per_student",
]  # fmt: skip

SIZING = Path(__file__).resolve().parent / "sizing.json"
CLASSES = (50, 200, 1000)
NODE = {"name": "8 vCPU / 32 GB", "cpu": 8, "allocatable_gb": 28.0, "allocatable_cpu": 7.5}  # a common node shape


def _up(value: float, step: float) -> float:
    return round(math.ceil(value / step - 1e-9) * step, 2)


def per_student(measured: dict) -> dict:
    """Memory guaranteed: an idle server plus one kernel at notebook 08's peak; limit: room for a second
    kernel. CPU guaranteed: a quarter core (students mostly read and type); limit: what training asks for,
    PyTorch's threads, one per core of the measuring machine (under load it got less: training_cpu_cores)."""
    server_gb, kernel_gb = measured["idle_server_mb"] / 1024, measured["kernel_peak_memory_mb"] / 1024
    return {
        "memory_guarantee_gb": _up(server_gb + kernel_gb, 0.25),
        "memory_limit_gb": _up(server_gb + 2 * kernel_gb, 0.5),
        "cpu_guarantee": 0.25,
        "cpu_limit": _up(max(measured["training_cpu_cores"], measured["cpu_count"]), 0.5),
    }


def limits(measured: dict) -> dict:
    """The local hub's per-process rlimits: the per-student memory limit for any one process's data."""
    return {
        "memory_limit_gb": per_student(measured)["memory_limit_gb"],
        "processes": 2048,  # threads count too: torch, JAX and TensorFlow each start a pool per kernel
        "open_files": 4096,
        "file_size_gb": 2,
        "idle_timeout_s": 3600,
    }


def class_table(measured: dict) -> list[dict]:
    """For each class size: memory and CPU guaranteed, nodes needed, CPU for all training at once, and how
    long one training epoch then takes when the guaranteed share is all a student gets."""
    student = per_student(measured)
    rows = []
    for n in CLASSES:
        memory, cpu = n * student["memory_guarantee_gb"], n * student["cpu_guarantee"]
        nodes = max(math.ceil(memory / NODE["allocatable_gb"]), math.ceil(cpu / NODE["allocatable_cpu"]))
        rows.append({
            "students": n,
            "memory_guaranteed_gb": round(memory, 1),
            "cpu_guaranteed": round(cpu, 1),
            "nodes": nodes,
            "cpu_all_training": round(n * student["cpu_limit"], 1),
            "training_slowdown": round(student["cpu_limit"] / student["cpu_guarantee"], 1),
        })  # fmt: skip
    return rows


def markdown_table(measured: dict) -> str:
    lines = [
        f"| students | memory guaranteed | CPU guaranteed | nodes ({NODE['name']}) | CPU if all train at once "
        "| training time at the guaranteed CPU |",
        "|---|---|---|---|---|---|",
    ]
    for row in class_table(measured):
        lines.append(
            f"| {row['students']:,} | {row['memory_guaranteed_gb']:,g} GB | {row['cpu_guaranteed']:,g} cores "
            f"| {row['nodes']} | {row['cpu_all_training']:,g} cores | {row['training_slowdown']:g}× as long as alone |"
        )
    return "\n".join(lines)


def markdown_measured(m: dict) -> str:
    """The measurements as docs/deploy.md lists them."""
    starts = m["server_start_s"]
    return "\n".join([
        f"- a student's kernel through notebook 08 ({m['mode']} mode, every exercise left to the course's "
        f"fallback, `deploy/measure.py`): **{m['kernel_peak_memory_mb']:,} MB** peak resident memory;",
        f"- its longest cell, the training (`{m['training_cell']}`, {m['training_wall_s']:g} s): it got "
        f"**{m['training_cpu_cores']:g} cores** on average, on a machine shared with other jobs (load average "
        f"{m['load_average_1min']:g} on {m['cpu_count']} cores); alone it asks for PyTorch's "
        f"{m['cpu_count']} threads, one per core;",
        f"- a single-user server (`make test-hub`, three students one after another): started in "
        f"**{min(starts):.1f}–{max(starts):.1f} s** under that load, holding **{m['idle_server_mb']:g} MB** "
        "without its kernel.",
    ])  # fmt: skip


def markdown_per_student(m: dict) -> str:
    s = per_student(m)
    return "\n".join([
        "| per student | guaranteed | limit |",
        "|---|---|---|",
        f"| memory | {s['memory_guarantee_gb']:g} GB | {s['memory_limit_gb']:g} GB |",
        f"| CPU | {s['cpu_guarantee']:g} cores | {s['cpu_limit']:g} cores |",
    ])  # fmt: skip


def main(argv: list[str]) -> int:
    data = json.loads(SIZING.read_text())
    data["per_student"], data["limits"] = per_student(data["measured"]), limits(data["measured"])
    print(json.dumps(data["per_student"], indent=1))
    print(markdown_table(data["measured"]))
    if "--write" in argv:
        SIZING.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
