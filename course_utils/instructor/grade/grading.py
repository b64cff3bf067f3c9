"""``course grade``: grade submitted notebooks, each in a sandboxed kernel, judged outside it.

Not a notebook topic; docs/instructors.md describes the workflow. For one submission:

1. Intake (``course_utils.instructor.grade.intake``) says whose it is (the folder it was collected into,
   else a Canvas or Moodle download name) and opens it only if it is a regular file of bounded size; it
   is matched to its instructor notebook by the exercise cell ids it carries (whatever its file name).
2. Each checker cell is replaced by a grading cell placed right after the exercise cell. The notebook
   runs from the top (errors do not stop it) to its last grading cell, in a fresh kernel inside a sandbox
   (``course_utils.instructor.grade.sandbox``) in fast mode, with time limits per cell and per notebook
   (``course_utils.instructor.grade.running``). The kernel imports the student edition's package with no
   answers, judges or fallbacks in it (``course_utils.instructor.grade.kernel_package``).
3. Each grading cell calls the student's answer on the exercise's visible cases and on cases drawn fresh
   for this student, and writes back plain data only (``course_utils.checking.harness``) into a file the
   grader made for that cell; the grader reads it only if the cell completed
   (``course_utils.instructor.grade.answers``).
4. The grader judges every case with the exercise's declaration (``course_utils.exercises``): points are
   the fraction of cases right (all or nothing where the exercise says so). A solution that reaches the
   course's own reference (``course_utils.instructor.grade.refscan``, and calls watched at run time) gets no points.
"""

from __future__ import annotations

import multiprocessing
import secrets
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np

from course_utils.checking import Opaque, Raised, judge_case
from course_utils.checking.registry import get as get_definition
from course_utils.instructor.grade.confine import usable_cores
from course_utils.instructor.grade.intake import Skipped, Submission, intake, read_submission
from course_utils.instructor.grade.kernel_package import kernel_package
from course_utils.instructor.grade.refscan import reference_uses
from course_utils.instructor.grade.reports import Result
from course_utils.instructor.grade.running import Options, run_notebook
from course_utils.instructor.grade.sandbox import SandboxError, sandbox_problem
from course_utils.instructor.grade.submissions import Source, load_sources, match_source
from course_utils.instructor.notebooks import NB_VERSION
from course_utils.instructor.release import Exercise

__all__ = ["Options", "grade_submission", "grade", "gather", "skipped_rows"]


def _grading_source(number: str, cases: Path, out: Path) -> str:
    return (
        "import course_utils.checking.harness as _grading\n"
        f"_grading.collect({number!r}, globals(), {str(cases)!r}, {str(out)!r})"
    )


def _run(nb, source: Source, student: str, options: Options, core: int | None) -> tuple[dict, dict, str]:
    """Run ``nb`` with grading cells; return (answers by exercise, exercise cells by id, problem)."""
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
    exchange = {}
    for cell in run.cells:
        if number := cell.metadata.get("grading"):
            definition = get_definition(number)
            sent = [*definition.cases(), *definition.fresh(rng)]
            exchange[number] = (sent, lambda cases, out, number=number: _grading_source(number, cases, out))
    sandbox = {
        "env": {"COURSE_FAST": "1" if options.fast else "0"},
        "memory_bytes": int(options.memory_limit_gb * 2**30) if options.memory_limit_gb else None,
        "max_processes": options.max_processes,
        "cpu_seconds": int(options.notebook_timeout) + 60,  # one core each: CPU time is at most wall time
        "scratch_bytes": options.scratch_mb * 2**20,
        "package": Path(options.kernel) if options.kernel else kernel_package(options.edition or None),
    }
    answers, problem = run_notebook(run, exchange, sandbox, options, core)
    return answers, {cell.get("id"): cell for cell in run.cells}, problem


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


def _unreadable(submission: Submission, sources: dict, message: str) -> list[Result]:
    """Rows for a file that is no notebook: one per exercise of the notebook its name gives, else one."""
    named = [s for stem, s in sources.items() if stem in submission.path.stem]
    if len(named) == 1:
        return [
            Result(submission.student, named[0].stem, e.number, "error", 0, e.points, message)
            for e in named[0].exercises
        ]
    return [Result(submission.student, submission.path.stem, "-", "error", 0, 0, message)]


def grade_submission(
    submission: Submission, source_dir: str | Path, options: Options | None = None, core: int | None = None
) -> list[Result]:
    """Grade one submitted notebook; one Result per exercise of its instructor notebook (never raises).

    ``core``: the one core its kernel is pinned to (None: wherever the grader runs).
    """
    path, student, options = submission.path, submission.student, options or Options()
    sources = load_sources(str(Path(source_dir).resolve()))
    try:
        data = read_submission(path, int(options.max_submission_mb * 2**20))
        nb = nbformat.reads(data.decode("utf-8"), as_version=NB_VERSION)
        source = match_source(nb, sources, path.stem)
    except Exception as err:  # not JSON, not a notebook, unreadable: all reported the same way
        text = str(err).splitlines()[0][:200] if str(err) else ""
        return _unreadable(submission, sources, f"not a valid notebook: {type(err).__name__}: {text}")
    if source is None:
        message = (
            f"{path.name} matches no notebook of {source_dir}: it carries none of their exercise cells (ids like ex5-1)"
        )
        return [Result(student, path.stem, "-", "error", 0, 0, message)]
    answers, cells, problem = _run(nb, source, student, options, core)
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


_CORE: list[int | None] = [None]  # the core of this grading worker, from _take_core


def _take_core(cores) -> None:
    _CORE[0] = cores.get()


def _grade_one(args) -> list[Result]:
    submission, source_dir, options, core = args
    try:
        return grade_submission(submission, source_dir, options, core if core is not None else _CORE[0])
    except Exception as err:  # last line of defence: one submission never stops the others
        return [Result(submission.student, submission.path.stem, "-", "error", 0, 0, f"{type(err).__name__}: {err}")]


def gather(arguments, source_dir: str | Path, options: Options | None = None) -> tuple[list, list]:
    """Intake of the command line's files and folders: (submissions, skipped), each with whose it is."""
    sources, options = load_sources(str(Path(source_dir).resolve())), options or Options()

    def notebook(data: bytes, path: Path) -> str:
        try:
            found = match_source(nbformat.reads(data.decode("utf-8"), as_version=NB_VERSION), sources, path.stem)
        except Exception:  # not a notebook: grade_submission reports it
            return ""
        return found.stem if found else ""

    return intake([Path(a) for a in arguments], notebook, int(options.max_submission_mb * 2**20))


def skipped_rows(skipped: list[Skipped]) -> list[Result]:
    """One error row per skipped file, so that the report lists it."""
    return [
        Result(s.student or f"(unknown: {s.path.name})", s.path.stem, "-", "error", 0, 0, s.reason) for s in skipped
    ]


def grade(submissions, source_dir: str | Path, *, jobs: int = 1, options: Options | None = None) -> list[Result]:
    """Grade every submission, at most ``jobs`` at a time (no more than the cores), each in its own sandbox.

    ``submissions``: Submission objects from :func:`gather` (the list a shard may filter by student), or
    files and folders, gathered here (what is skipped gets an error row).
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
    if not options.kernel:  # built (or checked) once, before any worker starts
        options = replace(options, kernel=str(kernel_package(options.edition or None)))
    submissions, rows = list(submissions), []
    if not all(isinstance(s, Submission) for s in submissions):
        submissions, skipped = gather(submissions, source_dir, options)
        rows = skipped_rows(skipped)
    cores = usable_cores()
    jobs = min(jobs, len(cores))
    if jobs == 1 or len(submissions) < 2:
        batches = [_grade_one((s, str(source_dir), options, cores[0])) for s in submissions]
        return rows + [result for batch in batches for result in batch]
    return rows + _in_workers(submissions, str(source_dir), options, cores[:jobs])


def _in_pool(group: list, source_dir: str, options: Options, cores: list[int]) -> tuple[dict, list]:
    """({index: rows}, the (index, submission) pairs whose worker died) for ``group``, one core per worker."""
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")  # not fork: a fork of a threaded process can deadlock
    queue = context.Queue()
    for core in cores:
        queue.put(core)
    done, broken = {}, []
    workers = min(len(cores), len(group))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_take_core, initargs=(queue,)) as pool:
        futures = [(i, s, pool.submit(_grade_one, (s, source_dir, options, None))) for i, s in group]
        for i, submission, future in futures:
            try:
                done[i] = future.result()
            except BrokenProcessPool:
                broken.append((i, submission))
    return done, broken


def _in_workers(submissions: list[Submission], source_dir: str, options: Options, cores: list[int]) -> list[Result]:
    """Grade in len(cores) worker processes. A worker that dies (which no submission should be able to
    cause) costs only the submissions it had: they are graded again, each in a worker of its own."""
    results, broken = _in_pool(list(enumerate(submissions)), source_dir, options, cores)
    for item in broken:
        again, still = _in_pool([item], source_dir, options, cores[:1])
        results |= again
        for i, submission in still:
            message = "the grading process died while grading this submission"
            results[i] = [Result(submission.student, submission.path.stem, "-", "error", 0, 0, message)]
    return [result for i in sorted(results) for result in results[i]]
