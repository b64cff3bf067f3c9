"""What ``course similarity`` reads (the answers, the course's code) and writes: pairs.csv, short.csv and
copydetect's HTML report of the flagged pairs.

Not a notebook topic; see docs/instructors.md for the formats.
"""

from __future__ import annotations

import csv
import html
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import nbformat
import numpy as np

from course_utils.instructor.grade.grading import gather
from course_utils.instructor.grade.intake import read_submission
from course_utils.instructor.grade.similarity import Answer, Findings, Settings
from course_utils.instructor.grade.submissions import Source, load_sources, match_source
from course_utils.instructor.notebooks import NB_VERSION

_MAX_NOTEBOOK_BYTES = 32 * 2**20  # as course grade's intake

__all__ = ["collect_answers", "course_code", "PAIR_FIELDS", "write_pairs", "write_short", "write_html", "write_all"]


def collect_answers(submissions: Iterable[Path], source_dir: Path) -> tuple[list[Answer], list[tuple[str, str]]]:
    """Every exercise cell of every submission, and the files skipped with why.

    Files, folders and whose each file is come from the grader's own intake (``grading.gather``): the same
    students, the same refusals (links, FIFOs, oversized files, two files for one notebook).
    """
    sources = load_sources(str(Path(source_dir).resolve()))
    picked, refused = gather(list(submissions), source_dir)
    skipped = [(str(s.path), s.reason) for s in refused]
    answers = []
    for submission in picked:
        try:
            data = read_submission(submission.path, _MAX_NOTEBOOK_BYTES)
            nb = nbformat.reads(data.decode("utf-8"), as_version=NB_VERSION)
        except Exception as err:  # unreadable, not a notebook
            skipped.append((str(submission.path), f"not read: {type(err).__name__}: {str(err)[:200]}"))
            continue
        source: Source | None = match_source(nb, sources, submission.path.stem)
        if source is None:
            skipped.append((str(submission.path), f"matches no notebook of {source_dir}"))
            continue
        cells = {cell.get("id"): cell for cell in nb.cells if cell.cell_type == "code"}
        for exercise in source.exercises:
            if exercise.cell_id in cells:
                answers.append(Answer(submission.student, source.stem, exercise.number, cells[exercise.cell_id].source))
    return answers, skipped


def course_code(course_dir: Path) -> dict[str, str]:
    """Every Python file of the course's package by its label ("course:course_utils/losses.py")."""
    root = Path(course_dir)
    return {
        f"course:{root.name}/{path.relative_to(root).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


PAIR_FIELDS = ["exercise", "kind", "first", "second", "first_similarity", "second_similarity", "overlap_tokens"]


def _exercise_key(number: str) -> tuple:
    return tuple(int(part) for part in number.split("."))


def write_pairs(findings: Findings, path: Path) -> None:
    """One row per flagged pair, by exercise, the most similar first; similarities are fractions of each side."""
    rows = sorted(
        findings.pairs, key=lambda p: (_exercise_key(p.exercise), -max(p.first_similarity, p.second_similarity))
    )
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PAIR_FIELDS)
        for p in rows:
            similarities = [f"{p.first_similarity:.3f}", f"{p.second_similarity:.3f}"]
            writer.writerow([p.exercise, p.kind, p.first, p.second, *similarities, p.overlap])


def write_short(findings: Findings, path: Path) -> None:
    """The answers too short to judge: student, notebook, exercise, the filtered tokens left beyond the starter."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "exercise", "tokens"])
        for answer, tokens in sorted(findings.short, key=lambda s: (_exercise_key(s[0].exercise), s[0].student)):
            writer.writerow([answer.student, answer.notebook, answer.exercise, tokens])


def _safe(label: str) -> str:
    """A label fit for copydetect's template, which does not escape file names (a student names the file)."""
    return re.sub(r"[^\w.:/ -]", "_", label)


def write_html(findings: Findings, path: Path, settings: Settings) -> None:
    """copydetect's own report (side by side, overlaps highlighted) over the flagged pairs' documents."""
    from copydetect import CopyDetector

    if not findings.pairs:
        path.write_text(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Similarity</title></head><body>"
            f"<p>No pair reached the threshold {html.escape(str(settings.threshold))}.</p></body></html>",
            encoding="utf-8",
        )
        return
    import matplotlib

    matplotlib.use("Agg")  # copydetect draws its two plots with pyplot; no display here
    labels = sorted({label for p in findings.pairs for label in (p.first, p.second)})
    safe = {label: _safe(label) for label in labels}
    position = {label: i for i, label in enumerate(labels)}
    detector = CopyDetector(
        noise_t=settings.noise,
        guarantee_t=settings.guarantee,
        display_t=min(settings.threshold, 1.0) - 1e-9,
        out_file=str(path),
        autoopen=False,
        silent=True,
        truncate=True,  # ten lines around each overlap: a course file is long
    )
    detector.test_files = detector.ref_files = [safe[label] for label in labels]
    detector.file_data = {safe[label]: findings.fingerprints[label] for label in labels}
    detector.similarity_matrix = np.full((len(labels), len(labels), 2), -1.0)
    detector.token_overlap_matrix = np.full((len(labels), len(labels)), -1)
    detector.slice_matrix = {}
    for p in findings.pairs:
        a, b = position[p.first], position[p.second]
        detector.similarity_matrix[a, b] = (p.first_similarity, p.second_similarity)
        detector.similarity_matrix[b, a] = (p.second_similarity, p.first_similarity)
        detector.token_overlap_matrix[a, b] = detector.token_overlap_matrix[b, a] = p.overlap
        detector.slice_matrix[safe[p.first], safe[p.second]] = list(p.slices)
    with warnings.catch_warnings():  # copydetect 0.5 reads its template with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        detector.generate_html_report()


def write_all(findings: Findings, folder: Path, settings: Settings) -> dict[str, Path]:
    """pairs.csv, short.csv and report.html in ``folder`` (made if missing); their paths by name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in ("pairs.csv", "short.csv", "report.html")}
    write_pairs(findings, paths["pairs.csv"])
    write_short(findings, paths["short.csv"])
    write_html(findings, paths["report.html"], settings)
    return paths


def _expand(paths) -> list[Path]:
    """Files as given, folders as the notebooks below them (sorted)."""
    found = []
    for path in map(Path, paths):
        found += sorted(path.rglob("*.ipynb")) if path.is_dir() and not path.is_symlink() else [path]
    return found


def run(submissions, source, out, starter=None, course=None, threshold=0.6, min_tokens=60) -> int:
    """``course similarity``: collect, compare, write; print what was skipped, compared and flagged."""
    import sys
    import time

    import course_utils
    from course_utils.instructor.grade.similarity import find_similar

    try:
        settings = Settings(threshold=threshold, min_tokens=min_tokens)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    starter = Path(starter) if starter else Path(source).resolve().parent / "student"
    course = Path(course) if course else Path(course_utils.__file__).resolve().parent
    for name, folder in (("--source", Path(source)), ("--starter", starter), ("--course", course)):
        if not folder.is_dir():
            print(f"error: {name} {folder} is not a folder", file=sys.stderr)
            return 2
    start = time.perf_counter()
    answers, skipped = collect_answers(_expand(submissions), source)
    for path, why in skipped:
        print(f"skipped {path}: {why}")
    findings = find_similar(answers, source, starter, course_code(course), settings)
    paths = write_all(findings, out, settings)
    students = len({a.student for a in answers})
    print(
        f"{len(answers)} answers of {students} students; {findings.compared} of {findings.possible} pairs compared "
        f"(the rest cannot reach {settings.threshold:g}); {len(findings.pairs)} flagged, {len(findings.short)} too "
        f"short to judge; {time.perf_counter() - start:.1f} s."
    )
    print("\n".join(f"{name}: {path}" for name, path in paths.items()))
    return 0
