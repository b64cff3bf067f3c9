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

import contextlib
import copy
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import copydetect.utils as copydetect_utils
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage

from course_utils.instructor.grade.submissions import load_sources
from course_utils.instructor.notebooks import read_notebook

__all__ = [
    "Settings",
    "Answer",
    "Pair",
    "Findings",
    "find_similar",
]


@dataclass(frozen=True)
class Settings:
    """noise: k-gram length in filtered tokens (shorter matches are noise); guarantee: matches this long
    are always found (winnowing window = guarantee - noise + 1); threshold: flagged overlap fraction;
    min_tokens: filtered tokens an answer needs, beyond its starter code, to be judged; a fingerprint held
    by more than max(common_floor, common_share × answers) answers of an exercise does not count between
    students (see ``_compare_exercise``)."""

    noise: int = 20
    guarantee: int = 24
    threshold: float = 0.6
    min_tokens: int = 60
    common_share: float = 0.1
    common_floor: int = 10

    def common_limit(self, answers: int) -> int:
        """Most answers a fingerprint may be held by and still count between students (MOSS's -m)."""
        return max(self.common_floor, math.ceil(self.common_share * answers))

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


def _stable_kgrams(string: str, k: int) -> np.ndarray:
    """copydetect's k-gram hashes from blake2b rather than ``hash()``, which changes with every process:
    the winnowed fingerprints, so the report, are then the same on every run."""
    grams = (string[i : i + k].encode("utf-8", "surrogatepass") for i in range(len(string) - k + 1))
    return np.array(
        [int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "little", signed=True) for gram in grams],
        dtype=np.int64,
    )


@contextlib.contextmanager
def _stable_hashes():
    original = copydetect_utils.hashed_kgrams
    copydetect_utils.hashed_kgrams = _stable_kgrams
    try:
        yield
    finally:
        copydetect_utils.hashed_kgrams = original


def _fingerprint(label: str, code: str, settings: Settings, boilerplate=None) -> CodeFingerprint:
    window = settings.guarantee - settings.noise + 1
    return CodeFingerprint(label, settings.noise, window, boilerplate, language="python", fp=io.StringIO(code))


def _bounds(prints: list[CodeFingerprint], hashes: set, noise: int) -> np.ndarray:
    """bound[i, j]: at most this fraction of document i's tokens can overlap with document j.

    Each fingerprint position of i whose hash j also holds covers at most ``noise`` tokens of i.
    """
    column = {h: c for c, h in enumerate(sorted(hashes))}
    weights = np.zeros((len(prints), len(column)), dtype=np.float32)
    for row, fp in enumerate(prints):
        for h in fp.hashes & hashes:
            weights[row, column[h]] = len(fp.hash_idx[h])
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
    with _stable_hashes():
        return _find_similar(answers, source_dir, starter_dir, course, settings)


def _find_similar(answers, source_dir, starter_dir, course, settings: Settings) -> Findings:
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


def _without(fp: CodeFingerprint, drop: set) -> CodeFingerprint:
    """``fp`` with the fingerprints in ``drop`` taken out, as copydetect takes out boilerplate."""
    if not fp.hashes & drop:
        return fp
    kept = copy.copy(fp)
    kept.hashes = fp.hashes - drop
    kept.hash_idx = {h: positions for h, positions in fp.hash_idx.items() if h not in drop}
    kept.token_coverage = get_token_coverage(kept.hash_idx, fp.k, len(fp.filtered_code))
    return kept


def _compare_exercise(number: str, judged: list, references: list, settings: Settings, findings: Findings) -> None:
    """Compare the answers of one exercise with each other and with the references, where the index allows.

    Between students, a fingerprint held by more answers than ``settings.common_limit(n)`` is the class's
    common way to write that passage (MOSS's -m), not evidence that two of them copied: it is left out.
    An answer with fewer than ``min_tokens`` tokens beyond them is not compared with other students.
    Against the solution and the course code every fingerprint counts.
    """
    n = len(judged)
    if not n:
        return
    held: dict = {}
    for fp in judged:
        for h in fp.hashes:
            held[h] = held.get(h, 0) + 1
    common = {h for h, count in held.items() if count > settings.common_limit(n)}
    own = [_without(fp, common) for fp in judged]
    between = _bounds(own, {h for h, count in held.items() if 1 < count <= settings.common_limit(n)}, settings.noise)
    judgeable = np.array([fp.token_coverage >= settings.min_tokens for fp in own])  # beyond common passages
    between *= judgeable[:, None] & judgeable[None, :]
    prints = judged + [fp for fp, _ in references]
    in_references = set().union(*(fp.hashes for fp, _ in references)) if references else set()
    against = _bounds(prints, set(held) & in_references, settings.noise)
    kinds = [kind for _, kind in references]
    findings.possible += n * (n - 1) // 2 + n * len(references)
    reach = np.maximum(between, between.T)
    candidates = [(i, j, "student") for i, j in np.argwhere(np.triu(reach >= settings.threshold, 1))]
    solution_side = np.array([kind == "solution" for kind in kinds])
    ref_reach = np.where(solution_side[None, :], np.maximum(against[:n, n:], against[n:, :n].T), against[:n, n:])
    candidates += [(i, n + r, kinds[r]) for i, r in np.argwhere(ref_reach >= settings.threshold)]
    for i, j, kind in candidates:
        first_fp, second_fp = (own[i], own[j]) if kind == "student" else (prints[i], prints[j])
        findings.compared += 1
        overlap, (first, second), slices = compare_files(first_fp, second_fp)
        if max(first, second if kind != "course" else 0) >= settings.threshold:
            similarities = round(float(first), 3), round(float(second), 3)
            findings.pairs.append(
                Pair(number, first_fp.filename, second_fp.filename, kind, *similarities, int(overlap), slices)
            )
