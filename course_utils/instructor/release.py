"""Instructor workflow: release student notebooks from the instructor source (``course release``).

Not a notebook topic: this is what ``course release`` and ``make student`` run; grading is in
``course_utils.instructor.grade.grading``. See docs/instructors.md for the workflow with a worked example.

In an instructor notebook an exercise is a code cell whose answer sits between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``, after a markdown heading
``Exercise N.M · title (P points)`` (points optional, default 1; add ``, all or nothing`` inside the
brackets to give no partial credit) and before a checker cell. The student copy replaces each block inside
a function with ``raise NotImplementedError("Exercise N.M: title")`` (at the block's indentation), and a
block at the top of a cell (a value exercise) with ``name = ...``, the name the checker is called with:
neither raises where it stands, so *Run All* reaches the checker, which reads either as "not attempted".
It clears outputs, execution counts, run metadata and the saved widget state, and drops cells tagged
``instructor-only``. Everything else, cell ids included, is kept, so grading can match cells by id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_utils.instructor.notebooks import NB_VERSION, read_notebook, write_notebook
from course_utils.instructor.workspace import edited_files, write_manifest

__all__ = [
    "ReleaseError",
    "BEGIN",
    "END",
    "INSTRUCTOR_ONLY",
    "Exercise",
    "find_exercises",
    "checked_name",
    "release_notebook",
    "release",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
INSTRUCTOR_ONLY = "instructor-only"
_HEADING = re.compile(r"Exercise (\d+\.\d+)\s*·\s*(.+?)\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\((\d+(?:\.\d+)?) points?(, all or nothing)?\)$")
_CHECK_CALL = re.compile(r"^\s*(check_\w+)\s*\(", re.MULTILINE)
_CHECKED_NAME = re.compile(r"^\s*check_\w+\s*\(\s*([A-Za-z_]\w*)\s*\)", re.MULTILINE)


class ReleaseError(ValueError):
    """Malformed solution markers or exercise structure; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of an instructor notebook: number, title, the ids of its two cells, its points."""

    number: str
    title: str
    cell_id: str
    checker_id: str
    checker_source: str
    points: float = 1.0
    all_or_nothing: bool = False


def _parse_heading(title: str) -> tuple[str, float, bool]:
    """(title, points, all or nothing) from a heading's text after the "·"."""
    found = _POINTS.search(title)
    if not found:
        return title, 1.0, False
    return title[: found.start()].strip(), float(found.group(1)), bool(found.group(2))


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
        number, (title, points, all_or_nothing) = heading[0], _parse_heading(heading[1])
        exercises.append(Exercise(number, title, cell.id, following.id, following.source, points, all_or_nothing))
        heading = None  # each heading introduces one exercise
    return exercises


def checked_name(exercise: Exercise) -> str | None:
    """The name the exercise's checker cell passes to its checker (``check_by_hand(by_hand)`` → "by_hand")."""
    found = _CHECKED_NAME.search(exercise.checker_source)
    return found.group(1) if found else None


def _strip_solutions(source: str, blocks: list[tuple[int, int]], exercise: Exercise, where: str) -> str:
    lines = source.splitlines()
    message = json.dumps(f"Exercise {exercise.number}: {exercise.title}", ensure_ascii=False)
    for begin, end in reversed(blocks):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        if indent:
            lines[begin : end + 1] = [f"{indent}raise NotImplementedError({message})"]
            continue
        name = checked_name(exercise)
        if name is None:
            raise ReleaseError(
                f"{where}: a solution block at the top of the cell becomes `name = ...`, but the checker cell "
                f"does not pass one plain name to its checker ({exercise.checker_source.strip()[:80]!r})"
            )
        lines[begin : end + 1] = [f"{name} = ...  # Exercise {exercise.number}: your answer, in place of the ..."]
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
    metadata = {k: v for k, v in nb.metadata.items() if k != "widgets"}  # the instructor run's widget state
    student = nbformat.v4.new_notebook(metadata=metadata)
    student.nbformat, student.nbformat_minor = nb.nbformat, nb.nbformat_minor
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_ONLY in cell.metadata.get("tags", []):
            continue
        copy = nbformat.from_dict(json.loads(json.dumps(cell)))
        copy.metadata.pop("execution", None)  # run timestamps
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
            if copy.id in exercises:
                blocks = _solution_blocks(name, index, copy)
                copy.source = _strip_solutions(copy.source, blocks, exercises[copy.id], _where(name, index, copy))
                _check_compiles(name, index, copy)
        student.cells.append(copy)
    return student


def release(source_dir: str | Path, target_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Release every notebook of ``source_dir`` into ``target_dir``; return the paths written.

    All notebooks are checked before anything is written: one malformed notebook means nothing
    changes. Student notebooks whose source is gone are removed. Running it twice changes nothing.
    A notebook of ``target_dir`` that differs from what the last release wrote there (its manifest,
    ``course_utils.instructor.workspace``) is somebody's work: it is not replaced or removed unless
    ``force``; ReleaseError names the files and nothing is written.
    """
    source_dir, target_dir = Path(source_dir), Path(target_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise ReleaseError(f"no notebooks (*.ipynb) in {source_dir}")
    released = {path.name: release_notebook(read_notebook(path), path.name) for path in sources}
    texts = {name: nbformat.writes(nb, version=NB_VERSION) + "\n" for name, nb in released.items()}
    stale = sorted(p.name for p in target_dir.glob("*.ipynb") if p.name not in released)
    changing = [name for name in released if _text(target_dir / name) != texts[name]]
    edited = edited_files(target_dir, [*changing, *stale])
    if edited and not force:
        raise ReleaseError(
            f"{len(edited)} notebook{'s' * (len(edited) != 1)} in {target_dir} changed since the last release "
            f"({', '.join(edited)}): copy your work elsewhere (make lab works in my-work/), or release with "
            "--force (make student FORCE=1) to replace them"
        )
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (target_dir / name).unlink()
    written = []
    for name, nb in released.items():
        path = target_dir / name
        if name in changing:
            write_notebook(nb, path)
        written.append(path)
    write_manifest(target_dir, list(released))
    return written


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
