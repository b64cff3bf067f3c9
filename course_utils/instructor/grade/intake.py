"""What ``course grade`` picks up, whose it is, and what it skips (and why), before anything runs.

Not a notebook topic; used by ``course_utils.instructor.grade.grading`` and ``course grade``.

Identity, in this order:

1. **The folder the instructor collected into.** ``course grade submissions/`` takes every
   ``submissions/<student>/…/*.ipynb`` as ``<student>``'s, whatever the file is called
   (``mallory/bob_05_mlp.ipynb`` is mallory's). A file named on the command line is its folder's.
   A Moodle folder (``Jane Smith_123456_assignsubmission_file_``) names ``Jane Smith_123456``.
2. **A learning platform's download name**, for files directly in a folder given on the command line:
   Canvas (``<name>[_LATE]_<user id>_<submission id>_<original name>``, student ``<name>_<user id>``)
   and Moodle (``<full name>_<id>_assignsubmission_file_<original name>``, student ``<full name>_<id>``).
3. Anything else directly in such a folder is refused, with a message: it would be a fake student.

A file is opened only when it is a regular file (no symbolic link, FIFO or device: checked on the open
descriptor, ``O_NOFOLLOW | O_NONBLOCK``) of at most ``max_bytes``. Two files claiming one student's
notebook are both skipped and reported, never merged.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Submission", "Skipped", "read_submission", "lms_student", "intake", "already_graded", "listing"]

CANVAS = re.compile(r"^(?P<name>[a-z][a-z-]*?)(?:_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<rest>.+)$", re.I)
MOODLE = re.compile(r"^(?P<student>.+?_\d+)_assignsubmission_file_(?P<rest>.*)$")


@dataclass(frozen=True)
class Submission:
    """One file to grade and whose it is; ``named_by`` says which rule gave the name."""

    student: str
    path: Path
    named_by: str
    notebook: str = ""  # the instructor notebook it answers, when intake could tell


@dataclass(frozen=True)
class Skipped:
    """A file that is not graded, and why; ``student`` when it is known whose it is."""

    path: Path
    reason: str
    student: str = ""


def read_submission(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, if it is a regular file of at most ``max_bytes``; else ValueError saying why."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        why = "a symbolic link" if os.path.islink(path) else os.strerror(err.errno or 0).lower()
        raise ValueError(f"not opened: {why}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file (a FIFO, device or socket)")
        if info.st_size > max_bytes:
            raise ValueError(f"{info.st_size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit")
        data = os.read(fd, max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"over the {max_bytes / 2**20:g} MB limit")
        return data
    finally:
        os.close(fd)


def lms_student(file_name: str) -> tuple[str, str] | None:
    """(student, platform) when ``file_name`` is a Canvas or Moodle download name, else None."""
    stem = Path(file_name).name
    if match := MOODLE.match(stem):
        return match["student"], "Moodle name"
    if match := CANVAS.match(stem):
        return f"{match['name']}_{match['user']}", "Canvas name"
    return None


def _folder_student(name: str) -> str:
    match = MOODLE.match(name)
    return match["student"] if match and not match["rest"] else name


def _candidates(argument: Path) -> Iterable[tuple[Path, str, str] | Skipped]:
    """(file, student, rule) for every notebook under ``argument``, or Skipped; links are never followed."""
    if argument.is_symlink() and argument.is_dir():
        yield Skipped(argument, "a symbolic link to a folder: give the folder itself")
        return
    if not argument.is_dir():
        if argument.suffix != ".ipynb" and argument.exists():
            yield Skipped(argument, "not a notebook (.ipynb)")
            return
        yield argument, _folder_student(Path(os.path.abspath(argument)).parent.name), "folder"
        return
    for entry in sorted(argument.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            student = _folder_student(entry.name)
            for folder, dirs, files in os.walk(entry):  # os.walk does not follow links to folders
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(".ipynb") and not name.startswith("."):
                        yield Path(folder) / name, student, "folder"
        elif entry.name.endswith(".ipynb"):
            named = lms_student(entry.name)
            if named:
                yield entry, *named
            else:
                yield Skipped(entry, "directly in the folder, and not a Canvas or Moodle download name: whose is it?")


def intake(arguments: Sequence[Path], match=None, max_bytes: int = 32 * 2**20) -> tuple[list, list]:
    """(submissions, skipped) for the files and folders of the command line, before anything runs.

    ``match(data, path)``: the instructor notebook a file's bytes answer (its stem), or "" (not known):
    two files that claim one student's notebook are both skipped. Without it, each file is its own.
    """
    picked: list[Submission] = []
    skipped: list[Skipped] = []
    seen = set()
    for argument in arguments:
        for item in _candidates(Path(argument)):
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            path, student, rule = item
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            try:
                data = read_submission(path, max_bytes)
            except ValueError as err:
                skipped.append(Skipped(path, str(err), student))
                continue
            picked.append(Submission(student, path, rule, match(data, path) if match else ""))
    claims: dict[tuple[str, str], list[Submission]] = {}
    for submission in picked:
        claims.setdefault((submission.student, submission.notebook or str(submission.path)), []).append(submission)
    for (student, notebook), claimants in claims.items():
        if len(claimants) > 1:
            files = ", ".join(str(c.path) for c in claimants)
            for claimant in claimants:
                reason = f"{len(claimants)} files claim {student}'s {notebook}: {files}; none graded, keep one"
                skipped.append(Skipped(claimant.path, reason, student))
    duplicated = {s.path for s in skipped}
    return [s for s in picked if s.path not in duplicated], skipped


def already_graded(report: Path) -> set[str]:
    """The students with rows in an existing per-exercise report (for ``--resume``); none if it is missing."""
    if not report.is_file():
        return set()
    with report.open(newline="", encoding="utf-8") as handle:
        return {row["student"] for row in csv.DictReader(handle) if row.get("student")}


def listing(picked: Sequence[Submission], skipped: Sequence[Skipped], resumed: Iterable[str] = ()) -> str:
    """What will be graded (student, file, how named) and what will not, with why."""
    lines = [f"Picked up {len(picked)} submission{'s' * (len(picked) != 1)}:"]
    lines += [f"  {s.student:<24} {s.path}  ({s.named_by})" for s in picked]
    resumed = sorted(resumed)
    if resumed:
        lines.append(f"Already in the report, not graded again (--resume): {', '.join(resumed)}")
    lines.append(f"Skipped {len(skipped)}:" if skipped else "Skipped none.")
    lines += [f"  {s.path}: {s.reason}" for s in skipped]
    return "\n".join(lines)
