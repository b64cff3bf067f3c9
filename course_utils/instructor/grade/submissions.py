"""Which instructor notebook a submitted file is: matching by content (whose it is: ``intake``).

Not a notebook topic; used by ``course_utils.instructor.grade.grading``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.release import Exercise, find_exercises

__all__ = ["Source", "load_sources", "match_source"]


@dataclass
class Source:
    """An instructor notebook and its exercises."""

    stem: str
    nb: nbformat.NotebookNode
    exercises: list[Exercise]


@functools.lru_cache(maxsize=4)
def load_sources(source_dir: str) -> dict[str, Source]:
    """The instructor notebooks of ``source_dir`` by file stem (read once per process)."""
    sources = {}
    for path in sorted(Path(source_dir).glob("*.ipynb")):
        nb = read_notebook(path)
        sources[path.stem] = Source(path.stem, nb, find_exercises(nb, path.name))
    return sources


def match_source(nb, sources: dict[str, Source], file_stem: str = "") -> Source | None:
    """The instructor notebook whose exercise and checker cell ids ``nb`` carries most (file name breaks ties)."""
    ids = {cell.get("id") for cell in nb.cells}
    scores = {
        stem: len(ids & {i for e in s.exercises for i in (e.cell_id, e.checker_id)})
        for stem, s in sources.items()
        if s.exercises
    }
    best = max(scores.values(), default=0)
    tied = [stem for stem, score in scores.items() if score == best] if best else []
    named = [stem for stem in tied if stem in file_stem]
    return sources[(named or tied)[0]] if len(named) == 1 or len(tied) == 1 else None
