"""What grading costs: a submission graded in the sandbox against the same cells run plainly, in fast mode.

For each notebook (05 and 08 by default) the instructor's notebook, handed in as a submission
(every exercise answered), is, in interleaved pairs:

* graded: ``course_utils.instructor.grade.grading.grade_submission`` in fast mode, one job, the
  kernel in the bubblewrap sandbox with its limits, each checker replaced by a grading cell that
  calls the answer on the visible and fresh cases and is judged outside the kernel;
* run plainly: the same notebook up to its last checker cell (the cells grading runs; it stops
  there), in a fresh kernel without a sandbox, with ``COURSE_FAST=1``, as ``course run --fast`` would.

Like for like: everything of both sides runs on one core: the kernels (pinned, with one BLAS/OpenMP
thread: ``OMP_NUM_THREADS=1`` and the like, as the sandbox sets them) and this process, which drives
them and, when grading, judges the answers. Before, the plain kernel got every core and PyTorch's
default threads, and the grader judged on the other core while the graded kernel kept its own: the
graded side had the machine's second core to itself where the plain side judged in its kernel (the
earlier "-13 %"). The kernel package is resolved once, before the pairs, as ``course grade`` does.

Each pair gives one ratio graded / plain; the overhead is that ratio minus one (goal: at most
30 %). Throughput is submissions per core-minute: one graded submission keeps one core busy
(the grader's kernel; ``--jobs`` at most the cores), so it is 60 s over the graded seconds.

Usage: python benchmarks/grading.py [--fast] [--pairs N] [--notebooks 05 08]
    --fast: notebook 05 only, one pair, no warm-up (a smoke test).
The last line is the median overhead over all pairs of all notebooks.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _pairs import interleaved_pairs, pair_ratios, ratio_line

from course_utils.instructor.grade.grading import Options, grade_submission
from course_utils.instructor.grade.intake import Submission
from course_utils.instructor.grade.kernel_package import kernel_package
from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.release import find_exercises

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "notebooks"


def graded_cells(path: Path):
    """The notebook cut after its last checker cell: the cells grading runs."""
    nb = read_notebook(path)
    checkers = {e.checker_id for e in find_exercises(nb, path.name)}
    last = max(i for i, cell in enumerate(nb.cells) if cell.get("id") in checkers)
    nb.cells = nb.cells[: last + 1]
    return nb


ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def run_plainly(nb, core: int) -> None:
    """``nb`` in a fresh python3 kernel pinned to ``core`` with one thread, in fast mode, no sandbox."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(SOURCE)}})
    env = {**os.environ, "COURSE_FAST": "1", **ONE_THREAD}
    with client.setup_kernel(env=env, cwd=str(SOURCE), preexec_fn=lambda: os.sched_setaffinity(0, {core})):
        for index, cell in enumerate(client.nb.cells):
            client.execute_cell(cell, index)


def sides(stem: str, work: Path, core: int):
    """(grade it, run it plainly) for notebook ``stem`` handed in by a student named "bench", both kernels
    on ``core``."""
    submission = work / "bench" / f"bench_{stem}.ipynb"
    submission.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE / f"{stem}.ipynb", submission)
    options = Options(fast=True, sandbox=True, seed=1, kernel=str(kernel_package()))

    def graded():
        results = grade_submission(Submission("bench", submission, "folder"), SOURCE, options, core)
        if not results or any(r.status == "error" for r in results):
            raise RuntimeError(f"grading {stem} went wrong: {[(r.exercise, r.message) for r in results]}")

    def plain():
        run_plainly(graded_cells(SOURCE / f"{stem}.ipynb"), core)

    return graded, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="notebook 05 only, one pair, no warm-up")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs per notebook (default 5)")
    parser.add_argument("--notebooks", nargs="+", default=["05", "08"], help="notebook numbers (default 05 08)")
    args = parser.parse_args()
    numbers, count, warmup = (["05"], 1, 0) if args.fast else (args.notebooks, args.pairs, 1)
    stems = [p.stem for n in numbers for p in sorted(SOURCE.glob(f"{n}_*.ipynb"))]
    os.environ["COURSE_FAST"] = "1"
    machine = platform.processor() or platform.machine()
    core = sorted(os.sched_getaffinity(0))[-1]
    os.sched_setaffinity(0, {core})  # this process too: the grader's judging and nbclient, for both sides
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; everything on core {core}")
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    every = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        for stem in stems:
            graded, plain = sides(stem, Path(tmp), core)
            pairs = interleaved_pairs(graded, plain, count=count, warmup=warmup)
            every += pairs
            ratios = pair_ratios(pairs)
            per_minute = [60 / graded_seconds for graded_seconds, _ in pairs]
            print(ratio_line(f"{stem}: graded / plain", pairs, "graded", "plain"))
            print(
                f"{stem}: {statistics.median(per_minute):.1f} submissions per core-minute "
                f"(pairs {min(per_minute):.1f}-{max(per_minute):.1f}); overhead "
                f"{100 * (statistics.median(ratios) - 1):+.0f} % ({100 * (min(ratios) - 1):+.0f} to "
                f"{100 * (max(ratios) - 1):+.0f} %)"
            )
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"sandbox + harness overhead: {100 * (statistics.median(pair_ratios(every)) - 1):+.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
