"""Shards for a cluster: ``course grade --shard K/N --seed S`` grades a share of the students, ``course merge``
puts the shares back together into the report, gradebook and feedback that one run with that seed writes.

Not a notebook topic; docs/instructors.md shows a Kubernetes indexed Job and a Slurm array.

* A share is by student, so each student's files, and so their feedback file, come from one shard.
  Every shard names the students of all the submissions it is given by the grader's own intake
  (``grading.gather``: cheap, no kernel runs), sorts
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

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from course_utils.instructor.grade.reports import Result

__all__ = [
    "ShardError",
    "parse_shard",
    "assign",
    "split",
    "ordered",
    "shard_file",
    "write_shard",
    "merge_shards",
]

_FORMAT = "course-grade-shard/1"


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


def _rank(student: str) -> str:
    return hashlib.sha256(student.encode("utf-8")).hexdigest()


def assign(students: Iterable[str], n: int) -> dict[str, int]:
    """Each student's shard: sorted by the hash of the name, every N-th to the same shard (balanced)."""
    ranked = sorted(set(students), key=lambda s: (_rank(s), s))
    return {student: index % n for index, student in enumerate(ranked)}


def split(picked: Sequence, skipped: Sequence, k: int, n: int) -> tuple[list, list, dict[str, int]]:
    """Shard K's share of the intake (``grading.gather``), by student: (submissions, skipped, every student's shard).

    A skipped file whose student is not known goes to shard 0, so that the merged report lists it once.
    """
    shard = assign([s.student for s in picked] + [s.student for s in skipped if s.student], n)
    mine = [s for s in picked if shard[s.student] == k]
    kept = [s for s in skipped if (shard[s.student] == k if s.student else k == 0)]
    return mine, kept, shard


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
