"""What ``course grade`` writes: the per-exercise CSV, the gradebook CSV, one feedback file per student.

Not a notebook topic; see docs/instructors.md for the formats.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from course_utils.instructor.edition.safety import PRACTICE, TABLE

__all__ = [
    "Result",
    "FIELDS",
    "MEASURED_IN_KERNEL",
    "graded_as",
    "write_report",
    "read_report",
    "write_gradebook",
    "write_feedback",
    "summary",
]

# Exercises whose answer the kernel measures with the course's own code (the grader only reads the numbers).
MEASURED_IN_KERNEL = {"10.3": "course_utils.experiment trains and measures the network in the student's kernel"}


@dataclass
class Result:
    """One line of the report: a student's result on one exercise of one notebook."""

    student: str
    notebook: str
    exercise: str
    status: str  # passed | failed | not attempted | error
    points: float = 0.0
    max_points: float = 0.0
    message: str = ""


FIELDS = ["student", "notebook", "exercise", "status", "points", "max_points", "message", "graded_as"]


def graded_as(exercise: str) -> str:
    """How far a row's verdict shows the student's own code: "" (an exercise safe to grade: nothing in the
    kernel holds its answer), "practice: ..." (its answer is in the student edition, safety.PRACTICE), or
    "measured with course code in the kernel: ..." first for an exercise in MEASURED_IN_KERNEL."""
    marks = []
    if exercise in MEASURED_IN_KERNEL:
        marks.append(f"measured with course code in the kernel ({MEASURED_IN_KERNEL[exercise]})")
    if exercise in PRACTICE:
        marks.append(f"practice: its answer is in the student edition ({TABLE[exercise][2]})")
    return "; ".join(marks)


def _number(value: float) -> str:
    return f"{value:g}" if value == round(value, 2) else f"{value:.2f}"


def write_report(results: Sequence[Result], path: str | Path) -> None:
    """One row per student and exercise: student, notebook, exercise, status, points, max_points, message,
    graded_as (:func:`graded_as`: empty, or what the verdict cannot show of the student's own code)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for result in results:
            row = asdict(result)
            row["points"], row["max_points"] = _number(result.points), _number(result.max_points)
            row["graded_as"] = graded_as(result.exercise)
            writer.writerow(row)


def read_report(path: str | Path) -> list[Result]:
    """The rows of a report :func:`write_report` wrote (for ``course grade --resume``)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            Result(
                row["student"],
                row["notebook"],
                row["exercise"],
                row["status"],
                float(row["points"]),
                float(row["max_points"]),
                row["message"],
            )
            for row in csv.DictReader(handle)
        ]


def _totals(results: Sequence[Result]) -> tuple[list[str], list[str], dict, dict]:
    results = [r for r in results if r.exercise != "-"]  # a file that matched no notebook has no column
    students = sorted({r.student for r in results})
    notebooks = sorted({r.notebook for r in results})
    points: dict[tuple[str, str], float] = {}
    maxima: dict[str, float] = {}
    seen: set[tuple[str, str, str]] = set()
    for r in results:
        points[r.student, r.notebook] = points.get((r.student, r.notebook), 0.0) + r.points
        if (r.notebook, r.exercise, "max") not in seen:
            seen.add((r.notebook, r.exercise, "max"))
            maxima[r.notebook] = maxima.get(r.notebook, 0.0) + r.max_points
    return students, notebooks, points, maxima


def write_gradebook(results: Sequence[Result], path: str | Path) -> None:
    """One row per student, one column of points per notebook, then the total.

    The second line, "Points Possible", gives each column's maximum (the layout Canvas exports and
    imports; Moodle and others map the columns on import). A notebook a student did not hand in is empty;
    a file that matched no notebook is left out (the per-exercise report lists it).
    """
    students, notebooks, points, maxima = _totals(results)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", *notebooks, "Total"])
        writer.writerow(["Points Possible", *(_number(maxima[n]) for n in notebooks), _number(sum(maxima.values()))])
        for student in students:
            row = [points.get((student, n)) for n in notebooks]
            total = sum(p for p in row if p is not None)
            writer.writerow([student, *("" if p is None else _number(p) for p in row), _number(total)])


_SYMBOL = {"passed": "✓", "failed": "✗", "not attempted": "–", "error": "!"}


def _file_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def _student_note(exercise: str) -> str:
    """What the feedback tells the student about how far this verdict shows their own code."""
    notes = []
    if exercise in MEASURED_IN_KERNEL:
        notes.append("Measured with the course's code in your notebook's kernel: the grader read the numbers it gave.")
    if exercise in PRACTICE:
        notes.append("A practice exercise: its answer is part of the course's student edition, so this verdict shows")
        notes[-1] += " that your notebook gave the right answer, not that your own code computed it."
    return " ".join(notes)


def write_feedback(results: Sequence[Result], folder: str | Path) -> list[Path]:
    """One markdown file per student: each notebook, each exercise's verdict, points and message."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for student in sorted({r.student for r in results}):
        own = [r for r in results if r.student == student]
        total, possible = sum(r.points for r in own), sum(r.max_points for r in own)
        lines = [f"# Feedback for {student}", "", f"Total: **{_number(total)} / {_number(possible)} points**", ""]
        for notebook in sorted({r.notebook for r in own}):
            lines += [f"## {notebook}", ""]
            for r in (r for r in own if r.notebook == notebook):
                lines.append(
                    f"- {_SYMBOL.get(r.status, '?')} **Exercise {r.exercise}**: {r.status}, "
                    f"{_number(r.points)} / {_number(r.max_points)} points"
                )
                if r.message:
                    lines += ["", "  " + r.message.replace("\n", "\n  "), ""]
                if note := _student_note(r.exercise):
                    lines += ["", f"  *{note}*", ""]
            lines.append("")
        path = folder / f"{_file_name(student)}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        written.append(path)
    return written


_MARKS = {"passed": "✓ passed", "failed": "✗ failed", "not attempted": "– not attempted", "error": "! error"}


def _exercise_key(exercise: str) -> list:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in exercise.split(".")]


def summary(results: Sequence[Result]) -> str:
    """A short markdown table: one row per student, one column per exercise, then points and counts.
    A practice exercise's column is marked *, one measured with course code in the kernel †."""
    exercises = sorted({r.exercise for r in results}, key=_exercise_key)
    students = sorted({r.student for r in results})
    table = {(r.student, r.exercise): r for r in results}
    marked = [e + "†" * (e in MEASURED_IN_KERNEL) + "*" * (e in PRACTICE) for e in exercises]
    header = "| student | " + " | ".join(marked) + " | points |"
    lines = [header, "|---|" + "---|" * (len(exercises) + 1)]
    for student in students:
        marks = [_MARKS.get(table[student, e].status, "") if (student, e) in table else "" for e in exercises]
        own = [r for r in results if r.student == student]
        score = f"{_number(sum(r.points for r in own))}/{_number(sum(r.max_points for r in own))}"
        lines.append(f"| {student} | " + " | ".join(marks) + f" | {score} |")
    counts = {status: sum(r.status == status for r in results) for status in _MARKS}
    lines += ["", ", ".join(f"{n} {status}" for status, n in counts.items())]
    if any(e in PRACTICE for e in exercises):
        lines.append("* practice: its answer is in the student edition; † measured with course code in the kernel")
    return "\n".join(lines)
