"""``course collect``: each student's notebooks copied out of their home on the class hub, for ``course grade``.

A home is hostile ground: its owner controls every name in it. Only a regular file at a course notebook's
own path in the clone (``HOME/<clone folder>/NN_name.ipynb``) counts, owned by the home's owner, opened
without following symbolic links (``O_NOFOLLOW`` on the file and every folder on the way, checked on the
open descriptor, so a swap between check and read changes nothing), never blocking on a FIFO, at most
:data:`MAX_BYTES`. Copies (``-Copy1``), checkpoints and everything else are skipped and named. The student is
the hub user who owns the home, mapped to the learning platform's id by the roster (``hub_user,lms_id``);
what the notebook says about its author is never read. Each student's files land in ``OUT/<student>/``,
the folder ``course grade`` names the student after.
"""

from __future__ import annotations

import csv
import errno
import os
import pwd
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_BYTES", "Collected", "read_roster", "collect_home", "collect"]

MAX_BYTES = 20 * 1024 * 1024  # a course notebook with outputs is under 5 MB; beyond this it is not one
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


@dataclass
class Collected:
    """What one home gave: the student's id, the notebooks copied, what was skipped and why."""

    home: Path
    student: str = ""
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        who = self.student or "(nobody)"
        found = ", ".join(self.copied) or "no notebooks"
        skipped = f"; skipped: {'; '.join(self.skipped)}" if self.skipped else ""
        return f"{who} ({self.home}): {found}{skipped}"


def read_roster(path: Path) -> dict[str, str]:
    """{hub user: LMS id} from a CSV with the columns ``hub_user`` and ``lms_id``."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"hub_user", "lms_id"} <= set(rows[0]):
        raise ValueError(f"roster {path} needs the columns hub_user and lms_id; it has {sorted(rows[0])}")
    roster: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        user, lms = (row.get("hub_user") or "").strip(), (row.get("lms_id") or "").strip()
        if not SAFE_ID.match(user) or not SAFE_ID.match(lms):
            raise ValueError(f"roster {path} line {number}: {user!r} -> {lms!r} is not two plain ids")
        if user in roster and roster[user] != lms:
            raise ValueError(f"roster {path} line {number}: {user} is listed twice, as {roster[user]} and {lms}")
        roster[user] = lms
    return roster


def _open_folder(parent_fd: int, name: str, owner: int) -> int:
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
    if os.fstat(fd).st_uid != owner:
        os.close(fd)
        raise PermissionError(f"{name}/ is not owned by the home's owner")
    return fd


def _read_notebook(folder_fd: int, name: str, owner: int) -> bytes:
    """The bytes of ``name`` in the folder, if it is a regular file owned by ``owner``; else an OSError."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(f"{name} is not a regular file")
        if info.st_uid != owner:
            raise PermissionError(f"{name} belongs to uid {info.st_uid}, not to the home's owner")
        if info.st_size > MAX_BYTES:
            raise OSError(f"{name} is {info.st_size} bytes, over the {MAX_BYTES} a notebook can be")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:  # grew while we read
                raise OSError(f"{name} grew past {MAX_BYTES} bytes while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _why(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "not there"
    if err.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
        return "a symbolic link"
    if err.errno == errno.ENOTDIR:  # O_DIRECTORY | O_NOFOLLOW on a link to a folder, or on a file
        return "a symbolic link or not a folder"
    return str(err).split(": ", 1)[-1] if err.filename else str(err)


def collect_home(
    home: Path, folder: str, names: list[str], out: Path, roster: dict[str, str] | None, taken: dict | None = None
) -> Collected:
    """Copy ``names`` from ``home/folder`` into ``out/<student>/``; what happened, for the report line.
    ``taken``: {student: home} already collected in this run (a second home of one student is refused)."""
    result = Collected(Path(home))
    try:
        home_fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        result.skipped.append(f"the home itself: {_why(err)}")
        return result
    try:
        owner = os.fstat(home_fd).st_uid
        try:
            user = pwd.getpwuid(owner).pw_name
        except KeyError:
            result.skipped.append(f"the home's owner uid {owner} is no user")
            return result
        if owner == 0:
            result.skipped.append("the home belongs to root, not to a student")
            return result
        student = roster.get(user, "") if roster is not None else user
        if not student:
            result.skipped.append(f"hub user {user} is not on the roster")
            return result
        if taken and student in taken:
            result.skipped.append(f"student {student} was already collected from {taken[student]}")
            return result
        result.student = student
        try:
            folder_fd = _open_folder(home_fd, folder, owner)
        except OSError as err:
            result.skipped.append(f"{folder}/: {_why(err)}")
            return result
        try:
            wanted = set(names)
            for name in names:
                try:
                    data = _read_notebook(folder_fd, name, owner)
                except OSError as err:
                    result.skipped.append(f"{name}: {_why(err)}")
                    continue
                target = Path(out) / student / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                result.copied.append(name)
            others = sorted(e for e in os.listdir(folder_fd) if e.endswith(".ipynb") and e not in wanted)
            result.skipped += [f"{e}: not a course notebook's own path" for e in others]
        finally:
            os.close(folder_fd)
    finally:
        os.close(home_fd)
    return result


def collect(homes: list[Path], folder: str, names: list[str], out: Path, roster: dict[str, str] | None = None):
    """Collect every home; the per-home results, in order (a second home of one student is skipped)."""
    if "/" in folder or folder in ("", ".", ".."):
        raise ValueError(f"clone folder {folder!r} must be one folder name inside the home")
    results, taken = [], {}
    for home in homes:
        result = collect_home(Path(home), folder, names, Path(out), roster, taken)
        if result.student:
            taken[result.student] = home
        results.append(result)
    return results
