"""A learner's work is never overwritten: the release manifest of ``student/`` and the learner's own copy.

* ``student/`` is the release. ``course release`` records what it wrote in ``student/MANIFEST.json``
  (sha256 of each notebook) and refuses to replace a notebook whose bytes differ from what it last
  wrote, naming the files, unless forced: someone edited the release by hand (a learner working in
  it). Hashes, not git state, so that switching branches does not trip it.
* ``make lab`` opens the learner's own copy (``my-work/``, git-ignored): the first time it copies every
  student notebook there, later only the ones that are missing; a notebook already there is never
  touched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

__all__ = ["MANIFEST", "ManifestError", "read_manifest", "edited_files", "write_manifest", "copy_missing"]

MANIFEST = "MANIFEST.json"


class ManifestError(ValueError):
    """A release would replace notebooks that were edited after they were released."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """{notebook name: sha256} of the last release into ``folder`` ({} when there was none)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("notebooks", {}))


def edited_files(folder: Path, names: list[str]) -> list[str]:
    """Which of ``names`` in ``folder`` exist but differ from the manifest (or are not in it at all)."""
    folder = Path(folder)
    released = read_manifest(folder)
    return [name for name in sorted(names) if (folder / name).exists() and released.get(name) != _sha256(folder / name)]


def write_manifest(folder: Path, names: list[str]) -> Path:
    """Record the sha256 of each of ``names`` in ``folder`` as released; the manifest's path."""
    folder = Path(folder)
    notebooks = {name: _sha256(folder / name) for name in sorted(names)}
    text = json.dumps(
        {"about": "written by `course release`: what it last wrote here (make student refuses to replace edits)",
         "notebooks": notebooks},
        indent=1, ensure_ascii=False,
    )  # fmt: skip
    path = folder / MANIFEST
    if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
        path.write_text(text + "\n", encoding="utf-8")
    return path


def copy_missing(release: Path, work: Path) -> tuple[list[str], list[str]]:
    """Copy each notebook of ``release`` that ``work`` lacks; (copied, kept) names. Nothing is overwritten."""
    release, work = Path(release), Path(work)
    notebooks = sorted(p.name for p in release.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {release}: run `make student` first")
    work.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for name in notebooks:
        target = work / name
        if target.exists() or target.is_symlink():
            kept.append(name)
            continue
        shutil.copyfile(release / name, target)
        copied.append(name)
    return copied, kept
