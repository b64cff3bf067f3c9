"""The files a grading cell reads its cases from and writes its answer into, made by the grader.

Not a notebook topic; used by ``course_utils.instructor.grade.running``. The rule they keep: nothing the
kernel writes is trusted but its returned values, read only after a grading cell that completed, from a
file the grader created for that cell.

* The grader creates every cases file and every (empty) answer file before the kernel starts, in an
  exchange folder the sandbox sees read-only; only the answer files are bound writable, one by one. The
  kernel can write into them, but cannot create, rename, replace (by a symlink) or delete anything there.
* The grader keeps its own descriptor of each answer file and reads through it: the path is never opened
  again, so no link planted later is followed.
* The answer is decoded with bounded memory: every member of the ``.npz`` is read through a counter, so a
  small compressed file that inflates to gigabytes is refused at the bound, whatever its header says.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils.checking import save_plain
from course_utils.checking.plain import decode

__all__ = ["MAX_ANSWER_BYTES", "Exchange", "GradingFiles", "read_bounded_plain"]

MAX_ANSWER_BYTES = 64 * 2**20  # an answer, compressed or not; also the kernel's file-size limit


def _read_member(archive: zipfile.ZipFile, name: str, budget: int) -> bytes:
    """One member's bytes, at most ``budget`` of them once inflated (the header's size is not believed)."""
    chunks, size = [], 0
    with archive.open(name) as member:
        while chunk := member.read(2**20):
            size += len(chunk)
            if size > budget:
                raise ValueError(f"the answer inflates past {MAX_ANSWER_BYTES // 2**20} MB")
            chunks.append(chunk)
    return b"".join(chunks)


def read_bounded_plain(data: bytes, limit: int = MAX_ANSWER_BYTES):
    """Decode what ``save_plain`` wrote (``data``: the file's bytes) with at most ``limit`` bytes inflated.

    Raises ValueError for anything else: a member that inflates past the limit in total, a pickle, not a zip.
    """
    budget = limit
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {}
        for info in archive.infolist()[:10_000]:
            raw = _read_member(archive, info.filename, budget)
            budget -= len(raw)
            members[info.filename] = raw
    tree = np.lib.format.read_array(io.BytesIO(members.pop("__tree__.npy")), allow_pickle=False)
    arrays = []
    while f"a{len(arrays)}.npy" in members:
        arrays.append(np.lib.format.read_array(io.BytesIO(members[f"a{len(arrays)}.npy"]), allow_pickle=False))
    return decode(json.loads(str(tree)), arrays)


@dataclass
class GradingFiles:
    """The cases file and the answer file of one grading cell; ``fd`` is the grader's own handle."""

    number: str
    cases: Path
    answer: Path
    fd: int
    sent: list

    def read(self) -> dict | str:
        """The answer the kernel wrote into the grader's file (plain data), else why it cannot be used."""
        info = os.fstat(self.fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return "the grading cell wrote no answer"
        if info.st_size > MAX_ANSWER_BYTES:
            return f"the answer is larger than {MAX_ANSWER_BYTES // 2**20} MB"
        data = os.pread(self.fd, MAX_ANSWER_BYTES + 1, 0)
        try:
            answer = read_bounded_plain(data)
        except Exception as err:  # not our format, or a bomb: the kernel wrote something else there
            return f"the answer could not be read ({type(err).__name__}: {str(err)[:120]})"
        return answer if isinstance(answer, dict) else "the answer could not be read"


class Exchange:
    """The exchange folder of one submission: every grading cell's files, made before the kernel starts.

    ``uid``: the kernel's user id when it has one of its own (the grader is root): the folder and the
    cases stay the grader's, readable; the answer files stay the grader's too, writable by anyone who can
    reach them (only that kernel can), so the kernel cannot change their mode or owner.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(mode=0o711)
        self.files: dict[str, GradingFiles] = {}

    def add(self, number: str, sent: list) -> GradingFiles:
        token = secrets.token_hex(8)
        cases, answer = self.folder / f"{token}-cases.npz", self.folder / f"{token}-answer.npz"
        save_plain(cases, sent)
        os.chmod(cases, 0o644)
        fd = os.open(answer, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o666)  # the kernel's own user id must write it; nobody else can reach it
        files = GradingFiles(number, cases, answer, fd, sent)
        self.files[number] = files
        return files

    def answer_paths(self) -> list[Path]:
        return [files.answer for files in self.files.values()]

    def close(self) -> None:
        for files in self.files.values():
            os.close(files.fd)
        self.files = {}
