"""``course similarity``: answers that look copied, exercise by exercise, with copydetect's winnowing.

Not a notebook topic; docs/instructors.md shows the command. For each exercise (matched by its cell
id, as grading does) every student's answer cell is compared with every other student's, with the
instructor's solution cell (``notebooks/``) and with each file of the course's code (``course_utils/``).
The released starter cell (``student/``) is boilerplate: what a student was given is never evidence.

copydetect (Python tokens, names replaced by V/F/O, strings by S, whitespace and comments dropped;
k-gram hashes, winnowed as in MOSS) turns each answer into fingerprints. Comparing two answers costs
about 250 µs, so not every pair is compared: an index of fingerprints per exercise bounds, for every
pair at once, how much of an answer can overlap with another (each shared fingerprint covers at most
``noise`` tokens); only pairs whose bound reaches the threshold are compared. The bound never
misses a pair the full comparison would flag.

A pair is flagged when the overlap covers at least ``threshold`` of either answer (of the student's
answer alone against course code, whose files are long). An answer with fewer than ``min_tokens``
filtered tokens left once the starter code is removed is listed as too short to judge, not compared.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files

from course_utils.instructor.grade.submissions import Source, load_sources, match_source, student_name
from course_utils.instructor.notebooks import NB_VERSION, read_notebook

__all__ = ["Settings", "Answer", "Pair", "Findings", "collect_answers", "course_code", "find_similar"]

_MAX_NOTEBOOK_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Settings:
    """noise: k-gram length in filtered tokens (shorter matches are noise); guarantee: matches this long
    are always found (winnowing window = guarantee - noise + 1); threshold: flagged overlap fraction;
    min_tokens: filtered tokens an answer needs, beyond its starter code, to be judged."""

    noise: int = 20
    guarantee: int = 24
    threshold: float = 0.6
    min_tokens: int = 60

    def __post_init__(self):
        if not (isinstance(self.noise, int) and isinstance(self.guarantee, int) and 1 <= self.noise <= self.guarantee):
            raise ValueError(
                f"need ints 1 <= noise <= guarantee, got noise={self.noise!r}, guarantee={self.guarantee!r}"
            )
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold!r}")


@dataclass(frozen=True)
class Answer:
    """One student's answer cell to one exercise."""

    student: str
    notebook: str
    exercise: str
    code: str

    @property
    def label(self) -> str:
        return f"student:{self.student}/{self.notebook}/{self.exercise}"


@dataclass(frozen=True)
class Pair:
    """Two documents whose overlap reached the threshold; kind: "student", "solution" or "course"."""

    exercise: str
    first: str
    second: str
    kind: str
    first_similarity: float
    second_similarity: float
    overlap: int
    slices: tuple = field(default=(), compare=False, repr=False)


@dataclass
class Findings:
    """What ``find_similar`` found: flagged pairs, answers too short to judge, and what was compared."""

    pairs: list[Pair]
    short: list[tuple[Answer, int]]
    fingerprints: dict[str, CodeFingerprint]
    compared: int = 0
    possible: int = 0


def _read_submission(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook, opened only if it is a regular file of at most 16 MB (no link, FIFO, device)."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    if info.st_size > _MAX_NOTEBOOK_BYTES:
        raise ValueError(f"larger than {_MAX_NOTEBOOK_BYTES // 2**20} MB")
    with open(path, "rb") as handle:
        text = handle.read(_MAX_NOTEBOOK_BYTES + 1).decode("utf-8")
    return nbformat.reads(text, as_version=NB_VERSION)


def collect_answers(submissions: Iterable[Path], source_dir: Path) -> tuple[list[Answer], list[tuple[str, str]]]:
    """Every exercise cell of every submission, and the files skipped with why (one file per student and notebook)."""
    sources = load_sources(str(Path(source_dir).resolve()))
    answers, skipped, seen = [], [], set()
    for path in map(Path, submissions):
        try:
            nb = _read_submission(path)
        except Exception as err:  # unreadable, not a notebook, not a regular file
            skipped.append((str(path), f"not read: {type(err).__name__}: {str(err)[:200]}"))
            continue
        source: Source | None = match_source(nb, sources, path.stem)
        if source is None:
            skipped.append((str(path), f"matches no notebook of {source_dir}"))
            continue
        student = student_name(path, source.stem)
        if (student, source.stem) in seen:
            skipped.append((str(path), f"a second file of {student} for {source.stem}; the first one is compared"))
            continue
        seen.add((student, source.stem))
        cells = {cell.get("id"): cell for cell in nb.cells if cell.cell_type == "code"}
        for exercise in source.exercises:
            if exercise.cell_id in cells:
                answers.append(Answer(student, source.stem, exercise.number, cells[exercise.cell_id].source))
    return answers, skipped


def _cells(folder: Path) -> dict[tuple[str, str], str]:
    """Exercise cell sources of the notebooks in ``folder`` by (exercise number, "notebook stem")."""
    found = {}
    for stem, source in load_sources(str(Path(folder).resolve())).items():
        cells = {cell.get("id"): cell.source for cell in source.nb.cells}
        for exercise in source.exercises:
            found[exercise.number, stem] = cells.get(exercise.cell_id, "")
    return found


def _starter_cells(starter_dir: Path, source_dir: Path) -> dict[str, str]:
    """The released cell of each exercise by number (the exercise ids come from the instructor source)."""
    by_number = {}
    sources = load_sources(str(Path(source_dir).resolve()))
    for path in sorted(Path(starter_dir).glob("*.ipynb")):
        if path.stem not in sources:
            continue
        cells = {cell.get("id"): cell.source for cell in read_notebook(path).cells}
        for exercise in sources[path.stem].exercises:
            by_number[exercise.number] = cells.get(exercise.cell_id, "")
    return by_number


def course_code(course_dir: Path) -> dict[str, str]:
    """Every Python file of the course's package by its label ("course:course_utils/losses.py")."""
    root = Path(course_dir)
    return {
        f"course:{root.name}/{path.relative_to(root).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _fingerprint(label: str, code: str, settings: Settings, boilerplate=None) -> CodeFingerprint:
    window = settings.guarantee - settings.noise + 1
    return CodeFingerprint(label, settings.noise, window, boilerplate, language="python", fp=io.StringIO(code))


def _bounds(prints: list[CodeFingerprint], hashes: set, noise: int) -> np.ndarray:
    """bound[i, j]: at most this fraction of document i's tokens can overlap with document j.

    Each fingerprint position of i whose hash j also holds covers at most ``noise`` tokens of i.
    """
    column = {h: c for c, h in enumerate(hashes)}
    weights = np.zeros((len(prints), len(column)), dtype=np.float32)
    for row, fp in enumerate(prints):
        for h, positions in fp.hash_idx.items():
            if h in column:
                weights[row, column[h]] = len(positions)
    shared = weights @ (weights > 0).T.astype(np.float32)
    coverage = np.array([max(fp.token_coverage, 1) for fp in prints], dtype=np.float32)
    return np.minimum(shared * noise, coverage[:, None]) / coverage[:, None]


def find_similar(
    answers: list[Answer],
    source_dir: Path,
    starter_dir: Path,
    course: dict[str, str],
    settings: Settings = Settings(),
) -> Findings:
    """Flag the pairs of documents, exercise by exercise, whose copydetect overlap reaches the threshold."""
    solutions = _cells(source_dir)
    starters = _starter_cells(starter_dir, source_dir)
    course_prints = [_fingerprint(label, code, settings) for label, code in course.items()]
    findings = Findings([], [], {fp.filename: fp for fp in course_prints})
    for number in sorted({a.exercise for a in answers}, key=lambda n: tuple(map(int, n.split(".")))):
        starter = _fingerprint("starter", starters.get(number, ""), Settings(settings.noise, settings.noise))
        boilerplate = np.array(sorted(starter.hashes), dtype=np.int64)
        judged = []
        for answer in (a for a in answers if a.exercise == number):
            fp = _fingerprint(answer.label, answer.code, settings, boilerplate)
            if fp.token_coverage < settings.min_tokens:
                if answer.code.strip() != starters.get(number, "").strip():  # untouched starter: not attempted
                    findings.short.append((answer, int(fp.token_coverage)))
                continue
            judged.append(fp)
        references = [(fp, "course") for fp in course_prints]
        for (_, stem), code in ((key, code) for key, code in solutions.items() if key[0] == number):
            solution = _fingerprint(f"solution:{stem}/{number}", code, settings, boilerplate)
            references.insert(0, (solution, "solution"))
        findings.fingerprints.update({fp.filename: fp for fp in judged} | {fp.filename: fp for fp, _ in references})
        _compare_exercise(number, judged, references, settings, findings)
    return findings


def _compare_exercise(number: str, judged: list, references: list, settings: Settings, findings: Findings) -> None:
    """Compare the answers of one exercise with each other and with the references, where the index allows."""
    if not judged:
        return
    in_answers = set().union(*(fp.hashes for fp in judged))
    prints = judged + [fp for fp, _ in references]
    counts: dict = {}
    for fp in prints:
        for h in fp.hashes & in_answers:
            counts[h] = counts.get(h, 0) + 1
    bound = _bounds(prints, {h for h, n in counts.items() if n > 1}, settings.noise)
    n = len(judged)
    findings.possible += n * (n - 1) // 2 + n * len(references)
    for i in range(n):
        for j in range(i + 1, len(prints)):
            kind = "student" if j < n else references[j - n][1]
            reach = bound[i, j] if kind == "course" else max(bound[i, j], bound[j, i])
            if reach < settings.threshold:
                continue
            findings.compared += 1
            overlap, (first, second), slices = compare_files(prints[i], prints[j])
            if max(first, second if kind != "course" else 0) >= settings.threshold:
                findings.pairs.append(
                    Pair(
                        number,
                        prints[i].filename,
                        prints[j].filename,
                        kind,
                        round(float(first), 3),
                        round(float(second), 3),
                        int(overlap),
                        slices,
                    )
                )
