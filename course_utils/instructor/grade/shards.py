"""Shards for a cluster: ``course grade --shard K/N --seed S`` grades a share of the students, ``course merge``
puts the shares back together into the report, gradebook and feedback that one run with that seed writes.

Not a notebook topic; docs/instructors.md shows a Kubernetes indexed Job and a Slurm array.

* A share is by student, so each student's files, and so their feedback file, come from one shard.
  Every shard names the students of all the submissions it is given (cheap: no kernel runs), sorts
  them by a hash of the name and takes every N-th from K (0-based, as JOB_COMPLETION_INDEX and
  SLURM_ARRAY_TASK_ID count): the shares differ by at most one student and need no coordination.
* A student's fresh cases are drawn from the seed, the student and the notebook only, so a student
  gets the same cases in whichever shard, and the same verdicts.
* Report rows are ordered by student, then notebook, keeping each submission's exercise order, in one
  run as in a merge (``ordered``), so the merged files are byte-equal to a single run's.
* Each shard writes ``<out>-shard.json`` beside its report: the seed, K/N, the assignment of every
  student, and its results exactly (floats as JSON numbers, not the report's rounded text).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import nbformat

from course_utils.instructor.grade.reports import Result
from course_utils.instructor.grade.submissions import load_sources, match_source, student_name
from course_utils.instructor.notebooks import NB_VERSION

__all__ = [
    "ShardError",
    "parse_shard",
    "read_submission",
    "student_of",
    "assign",
    "select",
    "ordered",
    "shard_file",
    "write_shard",
    "merge_shards",
]

_FORMAT = "course-grade-shard/1"
_MAX_NOTEBOOK_BYTES = 16 * 2**20


class ShardError(ValueError):
    """Shards that do not fit together, or a malformed --shard; the message says which and why."""


def parse_shard(text: str) -> tuple[int, int]:
    """ "K/N" -> (K, N) with 0 <= K < N (K counts from 0, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID)."""
    try:
        k, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ShardError(f"--shard must be K/N with whole numbers, e.g. 0/4, got {text!r}") from None
    if not 0 <= k < n:
        raise ShardError(f"--shard K/N needs 0 <= K < N (K counts from 0), got {text!r}")
    return k, n


def student_of(path: str | Path, source_dir: str | Path) -> str:
    """The student ``course grade`` names for this file (as ``grade_submission`` does), without running it."""
    path = Path(path)
    sources = load_sources(str(Path(source_dir).resolve()))
    try:
        nb = read_submission(path)  # a regular file of bounded size only: a FIFO must not hang every shard
        source = match_source(nb, sources, path.stem)
    except Exception:  # unreadable: the grader names it from its file name, as here
        named = [stem for stem in sources if stem in path.stem]
        return student_name(path, named[0] if len(named) == 1 else "")
    return student_name(path, source.stem if source else "")


def read_submission(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook, opened only if it is a regular file of at most 16 MB (no link, FIFO, device).

    Opened without following a link and without blocking, then checked on the open file (no race).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ValueError("a symbolic link, not a regular file") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > _MAX_NOTEBOOK_BYTES:
            raise ValueError(f"larger than {_MAX_NOTEBOOK_BYTES // 2**20} MB")
        text = handle.read(_MAX_NOTEBOOK_BYTES + 1).decode("utf-8")
    return nbformat.reads(text, as_version=NB_VERSION)


def _rank(student: str) -> str:
    return hashlib.sha256(student.encode("utf-8")).hexdigest()


def assign(students: Iterable[str], n: int) -> dict[str, int]:
    """Each student's shard: sorted by the hash of the name, every N-th to the same shard (balanced)."""
    ranked = sorted(set(students), key=lambda s: (_rank(s), s))
    return {student: index % n for index, student in enumerate(ranked)}


def select(submissions: Sequence, source_dir, k: int, n: int) -> tuple[list[Path], dict[str, int]]:
    """(this shard's submissions in their given order, every student's shard)."""
    named = [(Path(path), student_of(path, source_dir)) for path in submissions]
    shard = assign((student for _, student in named), n)
    return [path for path, student in named if shard[student] == k], shard


def ordered(results: Sequence[Result]) -> list[Result]:
    """Rows by student, then notebook; a submission's rows keep their exercise order (a stable sort)."""
    return sorted(results, key=lambda r: (r.student, r.notebook))


def shard_file(out: str | Path) -> Path:
    """Where a shard's results go: beside its report, "<report stem>-shard.json"."""
    out = Path(out)
    return out.with_name(f"{out.stem}-shard.json")


def write_shard(results: Sequence[Result], out: str | Path, *, seed: int, k: int, n: int, shard: dict) -> Path:
    """Write this shard's exact results and what ``merge_shards`` checks; return the file's path."""
    path = shard_file(out)
    record = {
        "format": _FORMAT,
        "seed": seed,
        "shard": [k, n],
        "students": dict(sorted(shard.items())),
        "results": [asdict(r) for r in ordered(results)],
    }
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def _load(path: Path) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ShardError(f"{path} is not a shard's output: {err}") from None
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        raise ShardError(f"{path} is not a shard's output (no format {_FORMAT!r})")
    return record


def _shard_paths(outputs: Iterable) -> list[Path]:
    """Shard files as given, folders as the *-shard.json files in them."""
    paths = []
    for output in map(Path, outputs):
        found = sorted(output.glob("*-shard.json")) if output.is_dir() else [output]
        if not found:
            raise ShardError(f"{output} holds no *-shard.json file")
        paths += found
    return paths


def merge_shards(outputs: Iterable) -> tuple[list[Result], int]:
    """(every result in a single run's order, the seed) from all N shards' outputs; ShardError if they disagree."""
    records = [(path, _load(path)) for path in _shard_paths(outputs)]
    if not records:
        raise ShardError("no shard outputs given")
    first_path, first = records[0]
    n = first["shard"][1]
    seen: dict[int, Path] = {}
    results = []
    for path, record in records:
        for key, what in (("seed", "seed"), ("students", "student list"), ("shard", "shard count")):
            mine, theirs = record[key], first[key]
            if (key == "shard" and mine[1] != theirs[1]) or (key != "shard" and mine != theirs):
                raise ShardError(f"{path} and {first_path} differ in their {what}: not shards of one run")
        k = record["shard"][0]
        if k in seen:
            raise ShardError(f"shard {k}/{n} given twice: {seen[k]} and {path}")
        seen[k] = path
        for row in record["results"]:
            if first["students"].get(row["student"]) != k:
                raise ShardError(f"{path} (shard {k}/{n}) holds {row['student']!r}, who belongs to another shard")
            results.append(Result(**row))
    missing = sorted(set(range(n)) - set(seen))
    if missing:
        raise ShardError(f"shard{'s' * (len(missing) > 1)} {', '.join(f'{k}/{n}' for k in missing)} missing")
    return ordered(results), first["seed"]
