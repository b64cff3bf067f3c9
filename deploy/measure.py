"""Measure what sizing the class hub needs (writes the "measured" part of deploy/sizing.json).

Run with the single-user environment's Python, as a student would use it:
    $EDITION_VENV/bin/python deploy/measure.py student/08_lenet.ipynb
It runs the notebook top to bottom in a fresh kernel (full mode unless COURSE_FAST=1; exercises as a
student who solved none of them, the course's fallbacks carrying the notebook through) and samples the
kernel every 0.2 s: its peak resident memory (the kernel and its children) and its CPU use, the busiest
cell's average being the training's. Then it prints the measurements as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def main(path: str) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}
    )
    peak, stop, cells = [0], threading.Event(), []

    def sample(pid: int) -> None:
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in _tree(pid)))
            except psutil.Error:
                pass
            time.sleep(0.2)

    def cpu(pid: int) -> float:
        try:
            return sum(sum(p.cpu_times()[:2]) for p in _tree(pid))
        except psutil.Error:
            return 0.0

    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        threading.Thread(target=sample, args=(pid,), daemon=True).start()
        start = time.perf_counter()
        stopped = ""
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0, c0 = time.perf_counter(), cpu(pid)
            try:
                client.execute_cell(cell, index)
            except Exception as err:  # a timeout on a crowded machine: report what was measured up to there
                stopped = f"{cell.get('id', index)}: {type(err).__name__}"
            cells.append((time.perf_counter() - t0, cpu(pid) - c0, cell.get("id", str(index))))
            if stopped:
                break
        wall = time.perf_counter() - start
        stop.set()
    longest = max(cells)
    return {
        "notebook": Path(path).name,
        "mode": "fast" if os.environ.get("COURSE_FAST") == "1" else "full",
        "stopped_at": stopped,
        "kernel_peak_memory_mb": round(peak[0] / 2**20),
        "notebook_wall_s": round(wall, 1),
        "training_cell": longest[2],
        "training_wall_s": round(longest[0], 1),
        "training_cpu_cores": round(longest[1] / longest[0], 2),
        "cpu_count": psutil.cpu_count(),
        "load_average_1min": round(psutil.getloadavg()[0], 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), indent=1))
