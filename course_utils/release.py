"""Instructor workflow: release student notebooks from the instructor source, and grade submissions.

Not a notebook topic: this is what ``course release`` and ``course grade`` (and ``make student``) run.
See docs/instructors.md for the workflow with a worked example.

Release. In an instructor notebook an exercise is a code cell whose answer sits between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``, after a markdown heading
``Exercise N.M · title`` and before a checker cell. The student copy replaces each block with
``raise NotImplementedError("Exercise N.M: title")`` (at the block's indentation), clears outputs,
execution counts and run metadata, and drops cells tagged ``instructor-only``. Everything else,
cell ids included, is kept, so grading can match cells by id.

Grade. Each submission runs in a fresh kernel in a fresh temporary directory, with a time limit per
cell and per notebook and a memory limit. Before it runs, every checker cell is restored from the
instructor source by cell id (re-inserted after its exercise if deleted), and re-imports its
checker, so a student who edits, deletes or redefines a checker cannot pass that exercise.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from course_utils.notebooks import NB_VERSION, read_notebook, write_notebook

__all__ = [
    "ReleaseError",
    "BEGIN",
    "END",
    "INSTRUCTOR_ONLY",
    "Exercise",
    "find_exercises",
    "release_notebook",
    "release",
    "Result",
    "grade_submission",
    "grade",
    "write_report",
    "summary",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
INSTRUCTOR_ONLY = "instructor-only"
_HEADING = re.compile(r"Exercise (\d+\.\d+)\s*·\s*(.+?)\s*$", re.MULTILINE)
_CHECK_CALL = re.compile(r"^\s*(check_\w+)\s*\(", re.MULTILINE)


class ReleaseError(ValueError):
    """Malformed solution markers or exercise structure; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of an instructor notebook: its number, title, and the ids of its two cells."""

    number: str
    title: str
    cell_id: str
    checker_id: str
    checker_source: str


def _where(name: str, index: int, cell) -> str:
    return f"{name}, cell {index} (id {cell.get('id', '?')})"


def _solution_blocks(name: str, index: int, cell) -> list[tuple[int, int]]:
    """(begin line, end line) of each solution block in a code cell; ReleaseError if the markers are malformed."""
    blocks, begin = [], None
    for number, line in enumerate(cell.source.splitlines()):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ReleaseError(
                    f"{_where(name, index, cell)}: nested '{BEGIN}' (line {number + 1}) "
                    f"inside the block opened on line {begin + 1}"
                )
            begin = number
        elif marker == END:
            if begin is None:
                raise ReleaseError(
                    f"{_where(name, index, cell)}: '{END}' on line {number + 1} without a '{BEGIN}' before it"
                )
            blocks.append((begin, number))
            begin = None
    if begin is not None:
        raise ReleaseError(f"{_where(name, index, cell)}: '{BEGIN}' on line {begin + 1} is never closed by '{END}'")
    return blocks


def find_exercises(nb, name: str) -> list[Exercise]:
    """The exercises of an instructor notebook, in order; ReleaseError naming the cell when one is malformed.

    Rules: markers only in code cells, properly paired, not nested; a markdown heading
    "Exercise N.M · title" before the exercise; the next code cell calls a checker (``check_...(``).
    """
    exercises, heading = [], None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            if BEGIN in cell.source or END in cell.source:
                raise ReleaseError(
                    f"{_where(name, index, cell)}: solution markers in a markdown cell; they belong in code cells"
                )
            found = _HEADING.findall(cell.source)
            heading = found[-1] if found else heading
            continue
        if cell.cell_type != "code" or not _solution_blocks(name, index, cell):
            continue
        if heading is None:
            raise ReleaseError(
                f"{_where(name, index, cell)}: no markdown heading 'Exercise N.M · title' before this exercise"
            )
        following = next((c for c in nb.cells[index + 1 :] if c.cell_type == "code"), None)
        if following is None or not _CHECK_CALL.search(following.source):
            raise ReleaseError(
                f"{_where(name, index, cell)}: the exercise is not followed by a checker cell (check_...(...))"
            )
        number, title = heading
        exercises.append(Exercise(number, title, cell.id, following.id, following.source))
        heading = None  # each heading introduces one exercise
    return exercises


def _strip_solutions(source: str, blocks: list[tuple[int, int]], exercise: Exercise) -> str:
    lines = source.splitlines()
    message = json.dumps(f"Exercise {exercise.number}: {exercise.title}", ensure_ascii=False)
    for begin, end in reversed(blocks):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin : end + 1] = [f"{indent}raise NotImplementedError({message})"]
    return "\n".join(lines)


def _check_compiles(name: str, index: int, cell) -> None:
    """A student cell must still be valid Python once its solution is gone (a solution block inside
    a dict or a call leaves a bare ``raise`` where only an expression may stand)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        compile(TransformerManager().transform_cell(cell.source), f"<{name} cell {index}>", "exec")
    except SyntaxError as err:
        raise ReleaseError(
            f"{_where(name, index, cell)}: without its solution the cell is not valid Python "
            f"({err.msg}, line {err.lineno}); put the markers around whole statements"
        ) from None


def release_notebook(nb, name: str):
    """The student copy of instructor notebook ``nb`` (a new NotebookNode; ``nb`` is not changed)."""
    exercises = {exercise.cell_id: exercise for exercise in find_exercises(nb, name)}
    student = nbformat.v4.new_notebook(metadata=nb.metadata)
    student.nbformat, student.nbformat_minor = nb.nbformat, nb.nbformat_minor
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_ONLY in cell.metadata.get("tags", []):
            continue
        copy = nbformat.from_dict(json.loads(json.dumps(cell)))
        copy.metadata.pop("execution", None)  # run timestamps
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
            if copy.id in exercises:
                copy.source = _strip_solutions(copy.source, _solution_blocks(name, index, copy), exercises[copy.id])
                _check_compiles(name, index, copy)
        student.cells.append(copy)
    return student


def release(source_dir: str | Path, target_dir: str | Path) -> list[Path]:
    """Release every notebook of ``source_dir`` into ``target_dir``; return the paths written.

    All notebooks are checked before anything is written: one malformed notebook means nothing
    changes. Student notebooks whose source is gone are removed. Running it twice changes nothing.
    """
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise ReleaseError(f"no notebooks (*.ipynb) in {source_dir}")
    released = {path.name: release_notebook(read_notebook(path), path.name) for path in sources}
    target_dir.mkdir(parents=True, exist_ok=True)
    for stale in target_dir.glob("*.ipynb"):
        if stale.name not in released:
            stale.unlink()
    written = []
    for name, nb in released.items():
        path = target_dir / name
        text = nbformat.writes(nb, version=NB_VERSION)
        if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
            write_notebook(nb, path)
        written.append(path)
    return written


# --- grading -----------------------------------------------------------------------------------


@dataclass
class Result:
    """One line of the report: a student's result on one exercise."""

    student: str
    notebook: str
    exercise: str
    status: str  # passed | failed | not attempted | error
    message: str = ""


def _match_source(path: Path, sources: dict[str, Path]) -> tuple[str, Path | None]:
    """(student, source notebook) for a submission named <student>/<NN_topic>.ipynb or <NN_topic>-<student>.ipynb."""
    stem = path.stem
    for source_stem in sorted(sources, key=len, reverse=True):
        if stem == source_stem:
            return path.parent.name or stem, sources[source_stem]
        if stem.startswith(source_stem):
            rest = stem[len(source_stem) :].strip("-_ .")
            return rest or path.parent.name, sources[source_stem]
    return path.parent.name or stem, None


def _restore_checkers(nb, exercises: list[Exercise]) -> None:
    """Put each checker cell back as the instructor wrote it (by id), re-importing its checker function."""
    by_id = {cell.get("id"): index for index, cell in enumerate(nb.cells)}
    for exercise in exercises:
        names = sorted(set(_CHECK_CALL.findall(exercise.checker_source)))
        source = (
            f"from course_utils.checks import {', '.join(names)}\n{exercise.checker_source}"
            if names
            else exercise.checker_source
        )
        cell = nbformat.v4.new_code_cell(source)
        cell.id = exercise.checker_id
        if exercise.checker_id in by_id:
            nb.cells[by_id[exercise.checker_id]] = cell
        elif exercise.cell_id in by_id:
            nb.cells.insert(by_id[exercise.cell_id] + 1, cell)
        by_id = {c.get("id"): index for index, c in enumerate(nb.cells)}


def _error_text(output) -> str:
    value = output.get("evalue", "")
    return f"{output.get('ename', 'Error')}: {value}".strip()


def _judge(cell) -> tuple[str, str]:
    """(status, message) from a checker cell that ran to its end."""
    errors = [out for out in cell.outputs if out.output_type == "error"]
    if not errors:
        text = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
        return ("passed", text.strip()) if "passed" in text else ("error", "the checker printed no result")
    error = errors[0]
    name = error.get("ename", "")
    if name == "NotImplementedError":
        return "not attempted", error.get("evalue", "")
    if name in ("ExerciseFailure", "AssertionError"):
        return "failed", error.get("evalue", "")
    if name == "KeyboardInterrupt":
        return "error", "time limit: the cell was interrupted"
    return "error", _error_text(error)


def _set_memory_limit(limit_bytes: int | None) -> None:
    if limit_bytes:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def grade_submission(
    path: str | Path,
    source_dir: str | Path,
    *,
    cell_timeout: float = 120,
    notebook_timeout: float = 600,
    memory_limit_gb: float | None = 8,
) -> list[Result]:
    """Grade one submitted notebook against the instructor source; one Result per exercise (never raises).

    The notebook runs top to bottom (errors do not stop it) in a fresh kernel in a fresh temporary
    directory. A cell over ``cell_timeout`` seconds is interrupted; once ``notebook_timeout`` seconds
    have passed, no further cell runs. The kernel's address space is limited to ``memory_limit_gb``.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path, source_dir = Path(path), Path(source_dir)
    sources = {p.stem: p for p in source_dir.glob("*.ipynb")}
    student, source = _match_source(path, sources)
    if source is None:
        return [
            Result(student, path.stem, "-", "error", f"no notebook in {source_dir} matches the file name {path.name}")
        ]
    exercises = find_exercises(read_notebook(source), source.name)
    notebook = source.stem

    def everyone(status: str, message: str) -> list[Result]:
        return [Result(student, notebook, e.number, status, message) for e in exercises]

    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=NB_VERSION)
    except Exception as err:  # not JSON, not a notebook, unreadable: all reported the same way
        return everyone("error", f"not a valid notebook: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    missing = [e.number for e in exercises if e.cell_id not in {c.get("id") for c in nb.cells}]
    _restore_checkers(nb, exercises)

    limit = int(memory_limit_gb * 2**30) if memory_limit_gb else None
    problem, finished = "", set()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as workdir:
        # nbclient makes its own (async) kernel manager: with a sync one, interrupting on timeout hangs.
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=cell_timeout,
            allow_errors=True,
            interrupt_on_timeout=True,
            resources={"metadata": {"path": workdir}},
        )
        deadline = time.monotonic() + notebook_timeout
        try:
            with client.setup_kernel(cwd=workdir, preexec_fn=lambda: _set_memory_limit(limit)):
                for index, cell in enumerate(nb.cells):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        problem = f"notebook time limit ({notebook_timeout:g} s) reached before cell {index}"
                        break
                    client.timeout = max(1, int(min(cell_timeout, remaining)))
                    client.execute_cell(cell, index)
                    finished.add(cell.get("id"))
        except DeadKernelError:
            problem = "the kernel died (the notebook crashed it, called os._exit, or ran out of memory)"
        except CellTimeoutError:
            problem = "a cell could not be interrupted after its time limit"
        except Exception as err:  # the kernel did not start, or nbclient failed: report, go on
            problem = f"{type(err).__name__}: {err}"
    results = []
    cells = {cell.get("id"): cell for cell in nb.cells}
    for exercise in exercises:
        if exercise.number in missing:
            results.append(Result(student, notebook, exercise.number, "error", "the exercise cell was deleted"))
            continue
        verdict = _judge(cells[exercise.checker_id]) if exercise.checker_id in finished else None
        status, message = verdict if verdict else ("error", f"not run: {problem or 'the checker cell did not run'}")
        results.append(Result(student, notebook, exercise.number, status, message))
    return results


def _grade_one(args) -> list[Result]:
    path, source_dir, options = args
    try:
        return grade_submission(path, source_dir, **options)
    except Exception as err:  # last line of defence: one submission never stops the others
        return [Result(Path(path).parent.name, Path(path).stem, "-", "error", f"{type(err).__name__}: {err}")]


def grade(
    submissions: Iterable[str | Path],
    source_dir: str | Path,
    *,
    jobs: int = 1,
    cell_timeout: float = 120,
    notebook_timeout: float = 600,
    memory_limit_gb: float | None = 8,
) -> list[Result]:
    """Grade every submission, at most ``jobs`` at a time (each in its own process and kernel)."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    options = {"cell_timeout": cell_timeout, "notebook_timeout": notebook_timeout, "memory_limit_gb": memory_limit_gb}
    work = [(str(path), str(source_dir), options) for path in submissions]
    if jobs == 1 or len(work) < 2:
        batches = [_grade_one(item) for item in work]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            batches = list(pool.map(_grade_one, work))
    return [result for batch in batches for result in batch]


def write_report(results: Sequence[Result], path: str | Path) -> None:
    """The report as CSV: student, notebook, exercise, status, message."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "notebook", "exercise", "status", "message"])
        writer.writeheader()
        for result in results:
            writer.writerow(asdict(result))


_MARKS = {"passed": "✓ passed", "failed": "✗ failed", "not attempted": "– not attempted", "error": "! error"}


def summary(results: Sequence[Result]) -> str:
    """A short markdown summary: one row per student, one column per exercise, then the totals."""
    exercises = sorted(
        {r.exercise for r in results},
        key=lambda e: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in e.split(".")],
    )
    students = sorted({r.student for r in results})
    table = {(r.student, r.exercise): r.status for r in results}
    lines = ["| student | " + " | ".join(exercises) + " | passed |", "|---|" + "---|" * (len(exercises) + 1)]
    for student in students:
        marks = [_MARKS.get(table.get((student, e), ""), "") for e in exercises]
        own = [e for e in exercises if (student, e) in table]
        passed = sum(table[student, e] == "passed" for e in own)
        lines.append(f"| {student} | " + " | ".join(marks) + f" | {passed}/{len(own)} |")
    counts = {status: sum(r.status == status for r in results) for status in _MARKS}
    lines.append("")
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()))
    return "\n".join(lines)
