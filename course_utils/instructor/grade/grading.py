"""``course grade``: grade submitted notebooks, each in a sandboxed kernel, judged outside it.

Not a notebook topic; docs/instructors.md describes the workflow. For one submission:

1. It is matched to its instructor notebook by the exercise cell ids it carries (whatever its file
   name); the student's name is the file name with the notebook's name taken out, or else its folder.
2. Each checker cell is replaced by a grading cell placed right after the exercise cell. The notebook
   runs from the top (errors do not stop it) to its last grading cell, in a fresh kernel inside a sandbox
   (``course_utils.instructor.grade.sandbox``) in fast mode, with time limits per cell and per notebook.
3. Each grading cell calls the student's answer on the exercise's visible cases and on cases drawn fresh
   for this student, and writes back plain data only (``course_utils.checking.harness``); the grader reads
   it at once, before the next cell runs.
4. The grader judges every case with the exercise's declaration (``course_utils.exercises``): points are
   the fraction of cases right (all or nothing where the exercise says so). A solution that reaches the
   course's own reference (``course_utils.instructor.grade.refscan``, and calls watched at run time) gets no points.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import secrets
import stat
import subprocess
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import numpy as np

from course_utils.checking import Opaque, Raised, judge_case, load_plain, save_plain
from course_utils.checking.registry import get as get_definition
from course_utils.instructor.grade.refscan import reference_uses
from course_utils.instructor.grade.reports import Result
from course_utils.instructor.grade.sandbox import (
    Sandbox,
    SandboxedKernelManager,
    SandboxError,
    sandbox_problem,
    unconfined_kernel_manager,
)
from course_utils.instructor.grade.submissions import Source, load_sources, match_source, student_name
from course_utils.instructor.notebooks import NB_VERSION
from course_utils.instructor.release import Exercise

__all__ = ["Options", "grade_submission", "grade"]

_MAX_ANSWER_BYTES = 64 * 2**20
_MAX_OUTPUT_CHARS = 32 * 2**20  # outputs kept per run; no verdict reads them, but they fill the grader's memory


def _bounded_client(nb, **kwargs):
    """An nbclient NotebookClient that keeps at most _MAX_OUTPUT_CHARS of outputs per run (errors always)."""
    from nbclient import NotebookClient

    class BoundedClient(NotebookClient):
        kept = 0

        def output(self, outs, msg, display_id, cell_index):
            if msg["msg_type"] != "error":
                content = msg.get("content", {})
                parts = [content.get("text", ""), *content.get("data", {}).values()]
                self.kept += sum(len(part) for part in parts if isinstance(part, str))
                if self.kept > _MAX_OUTPUT_CHARS:
                    return None  # a notebook printing gigabytes
            return super().output(outs, msg, display_id, cell_index)

    return BoundedClient(nb, **kwargs)


@dataclass(frozen=True)
class Options:
    """How submissions are run: limits, fast mode, the sandbox, and the seed of the fresh cases."""

    cell_timeout: float = 120
    notebook_timeout: float = 900
    memory_limit_gb: float | None = 8
    max_processes: int = 256
    sandbox: bool = True
    fast: bool = True
    seed: int = 0


def _grading_source(number: str, cases: Path, out: Path) -> str:
    return (
        "import course_utils.checking.harness as _grading\n"
        f"_grading.collect({number!r}, globals(), {str(cases)!r}, {str(out)!r})"
    )


def _read_answer(path: Path) -> dict | str:
    """What the grading cell wrote: plain data only, from a regular file of bounded size; else why not.

    The file lies in a folder the kernel owns, so it is opened without following links and without
    blocking (a FIFO planted there must not hang the grader), checked, and read into memory first.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return "the grading cell wrote no answer"
    except OSError:
        return "the grading cell's answer is not a plain file"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ANSWER_BYTES:
            return "the grading cell's answer is not a plain file of at most 64 MB"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(_MAX_ANSWER_BYTES + 1)
        answer = load_plain(io.BytesIO(data))
    except Exception as err:  # not our format: the kernel wrote something else there
        return f"the answer could not be read ({type(err).__name__})"
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    return answer if isinstance(answer, dict) else "the answer could not be read"


def _run(nb, source: Source, student: str, options: Options) -> tuple[dict, dict, str]:
    """Run ``nb`` with grading cells; return (answers by exercise, exercise cells by id, problem)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    checkers = {e.checker_id for e in source.exercises}
    by_cell = {e.cell_id: e for e in source.exercises}
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    for cell in nb.cells:
        if cell.get("id") in checkers:
            continue  # the student's copy of a checker decides nothing
        run.cells.append(cell)
        if cell.get("id") in by_cell:
            grading = nbformat.v4.new_code_cell("")
            grading.metadata["grading"] = by_cell[cell.get("id")].number
            run.cells.append(grading)
    rng = np.random.default_rng([options.seed, zlib.crc32(student.encode()), zlib.crc32(source.stem.encode())])
    answers, problem = {}, ""
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        env = {"COURSE_FAST": "1" if options.fast else "0"}
        if os.environ.get("COURSE_DATA"):
            env["COURSE_DATA"] = os.environ["COURSE_DATA"]
        sandbox = Sandbox(
            Path(tmp) / "scratch",
            Path(tmp) / "sockets",
            env=env,
            memory_bytes=int(options.memory_limit_gb * 2**30) if options.memory_limit_gb else None,
            max_processes=options.max_processes,
            cpu_seconds=int(options.notebook_timeout * (os.cpu_count() or 1)) + 60,
        )
        km = SandboxedKernelManager(sandbox) if options.sandbox else unconfined_kernel_manager(sandbox)
        sandbox.prepare()
        client = _bounded_client(run, km=km, timeout=options.cell_timeout, allow_errors=True, interrupt_on_timeout=True)
        deadline = time.monotonic() + options.notebook_timeout
        try:
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # the kernel's own banner
            launch = {"preexec_fn": sandbox.set_limits, "cwd": str(sandbox.scratch), "env": {**os.environ, **env}}
            with client.setup_kernel(**launch, **quiet):
                last = max((i for i, c in enumerate(run.cells) if c.metadata.get("grading")), default=-1)
                for index, cell in enumerate(run.cells[: last + 1]):  # later cells cannot change a verdict
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        problem = f"notebook time limit ({options.notebook_timeout:g} s) reached before cell {index}"
                        break
                    number = cell.metadata.get("grading")
                    if number:
                        definition = get_definition(number)
                        token = secrets.token_hex(8)
                        cases, out = sandbox.scratch / f"{token}-cases.npz", sandbox.scratch / f"{token}-answer.npz"
                        sent = [*definition.cases(), *definition.fresh(rng)]
                        save_plain(cases, sent)
                        cell.source = _grading_source(number, cases, out)
                    client.timeout = max(1, int(min(options.cell_timeout, remaining)))
                    client.execute_cell(cell, index)
                    if number:
                        answer = _read_answer(out)
                        if isinstance(answer, str) and (_error(cell) or ("",))[0] == "KeyboardInterrupt":
                            answer = f"time limit: the answer ran longer than {client.timeout} s and was interrupted"
                        answers[number] = (sent, answer)
                        cases.unlink(missing_ok=True)
        except DeadKernelError:
            problem = "the kernel died (the notebook crashed it, called os._exit, or ran out of memory)"
        except CellTimeoutError:
            problem = "a cell could not be interrupted after its time limit"
        except Exception as err:  # the kernel did not start, or nbclient failed: report, go on
            problem = f"{type(err).__name__}: {err}"
        finally:
            _stop(km)
    return answers, {cell.get("id"): cell for cell in run.cells}, problem


def _stop(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)() if hasattr(km, "cleanup_resources") else None
    except Exception:  # a kernel that is already gone
        pass


def _error(cell) -> tuple[str, str] | None:
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    return (errors[0].get("ename", "Error"), errors[0].get("evalue", "")) if errors else None


def _is_placeholder(outcome) -> bool:
    """A value exercise's answer that came back as the release's ``...`` (read in the kernel as Opaque)."""
    value = outcome.get("value") if isinstance(outcome, dict) else None
    return isinstance(value, Opaque) and value.type == "ellipsis"


def _verdict(exercise: Exercise, cell, sent_and_answer, problem: str, used: list[str]) -> tuple[str, float, str]:
    """(status, points, message) for one exercise, from the cases sent and the answer that came back."""
    definition = get_definition(exercise.number)
    sent, answer = sent_and_answer or ([], None)
    if cell is None:
        return "error", 0.0, "the exercise cell was deleted"
    raised = _error(cell)
    if raised and raised[0] == "NotImplementedError":
        return "not attempted", 0.0, raised[1]
    if answer is None:
        return "error", 0.0, f"not run: {problem or 'the grading cell did not run'}"
    if isinstance(answer, str):
        return "error", 0.0, answer
    if answer.get("missing"):
        why = f": its cell raised {raised[0]}: {raised[1]}" if raised else " after its exercise cell"
        return "error", 0.0, f"`{definition.target}` is not defined{why}"[:500]
    outcomes = answer.get("outcomes") or []
    if outcomes and all(isinstance(o, Raised) and o.type == "NotImplementedError" for o in outcomes):
        return "not attempted", 0.0, outcomes[0].message
    if definition.kind == "value" and outcomes and all(_is_placeholder(o) for o in outcomes):
        return "not attempted", 0.0, f"`{definition.target}` is still the `...` of the student copy"
    used = sorted({*used, *(answer.get("reference_calls") or [])})
    if used:
        return (
            "failed",
            0.0,
            (
                f"the solution uses the course's own answer ({', '.join(used)}) instead of its own code: no points "
                "for this exercise."
            ),
        )
    messages = []
    for index, case in enumerate(sent):
        try:
            outcome = outcomes[index] if index < len(outcomes) else Raised("Missing", "no answer for this case")
            messages.append(judge_case(definition, case, outcome))
        except Exception as err:  # the judge met something it did not expect: that case is wrong
            messages.append(f"the answer could not be judged ({type(err).__name__}: {err})")
    right = sum(m is None for m in messages)
    if messages and right == len(messages):
        return "passed", exercise.points, definition.passed.format(number=exercise.number, n=len(messages))
    wrong = next((m for m in messages if m), "no case was run")
    all_or_nothing = exercise.all_or_nothing or definition.all_or_nothing
    points = 0.0 if all_or_nothing or not messages else exercise.points * right / len(messages)
    return "failed", points, f"{right} of {len(messages)} cases right. First wrong case: {wrong}"[:1500]


def _scan(nb, source: Source, exercise: Exercise) -> list[str]:
    """Course references the student's own cells reach (their exercise cell, cells they added or changed)."""
    own = {cell.get("id"): cell.source for cell in source.nb.cells}
    checkers = {e.checker_id for e in source.exercises}
    cells = [c for c in nb.cells if c.cell_type == "code" and c.get("id") not in checkers]
    scanned = [c.source for c in cells if c.get("id") == exercise.cell_id or own.get(c.get("id")) != c.source]
    return reference_uses(scanned, [c.source for c in cells], get_definition(exercise.number).references)


def grade_submission(path: str | Path, source_dir: str | Path, options: Options = Options()) -> list[Result]:
    """Grade one submitted notebook; one Result per exercise of its instructor notebook (never raises)."""
    path = Path(path)
    sources = load_sources(str(Path(source_dir).resolve()))
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=NB_VERSION)
        source = match_source(nb, sources, path.stem)
    except Exception as err:  # not JSON, not a notebook, unreadable: all reported the same way
        message = f"not a valid notebook: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"
        named = [s for stem, s in sources.items() if stem in path.stem]
        if len(named) == 1:
            return [
                Result(student_name(path, named[0].stem), named[0].stem, e.number, "error", 0, e.points, message)
                for e in named[0].exercises
            ]
        return [Result(student_name(path, ""), path.stem, "-", "error", 0, 0, message)]
    if source is None:
        message = (
            f"{path.name} matches no notebook of {source_dir}: it carries none of their exercise cells (ids like ex5-1)"
        )
        return [Result(student_name(path, ""), path.stem, "-", "error", 0, 0, message)]
    student = student_name(path, source.stem)
    answers, cells, problem = _run(nb, source, student, options)
    results = []
    for exercise in source.exercises:
        status, points, message = _verdict(
            exercise, cells.get(exercise.cell_id), answers.get(exercise.number), problem, _scan(nb, source, exercise)
        )
        if not options.sandbox:
            message += " [graded without the sandbox: --no-sandbox]"
        results.append(
            Result(student, source.stem, exercise.number, status, round(points, 4), exercise.points, message)
        )
    return results


def _grade_one(args) -> list[Result]:
    path, source_dir, options = args
    try:
        return grade_submission(path, source_dir, options)
    except Exception as err:  # last line of defence: one submission never stops the others
        return [Result(Path(path).parent.name, Path(path).stem, "-", "error", 0, 0, f"{type(err).__name__}: {err}")]


def grade(submissions, source_dir: str | Path, *, jobs: int = 1, options: Options | None = None) -> list[Result]:
    """Grade every submission, at most ``jobs`` at a time, each in its own sandboxed kernel.

    Raises SandboxError when no sandbox can be made here, unless ``options.sandbox`` is False.
    A seed of 0 draws a new one (the fresh cases differ between runs; pass a seed to repeat a run).
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    options = options or Options()
    if options.sandbox and (problem := sandbox_problem()):
        raise SandboxError(
            f"cannot grade in a sandbox: {problem}. Students' code would run with your rights; install what is "
            "missing, or pass --no-sandbox to grade without one (every row of the report then says so)."
        )
    if not options.seed:
        options = replace(options, seed=secrets.randbelow(2**31 - 1) + 1)
    work = [(str(path), str(source_dir), options) for path in submissions]
    if jobs == 1 or len(work) < 2:
        batches = [_grade_one(item) for item in work]
    else:
        # spawn, not fork: a fork of a process with threads (torch, a test runner) can deadlock in the child
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            batches = list(pool.map(_grade_one, work))
    return [result for batch in batches for result in batch]
