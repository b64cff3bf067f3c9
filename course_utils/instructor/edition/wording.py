"""The student edition's wording of the cells that speak of the instructor's repository.

notebooks/00_welcome.ipynb tells a learner of this repository about its three folders (``my-work/``,
``student/``, ``notebooks/``), the outputs saved in the notebooks and the ``course`` command. The student
edition has the notebooks at its top, no solutions, no saved outputs and no ``course`` command:
:func:`edition_wording` rewrites those passages for it, as ``course release --edition`` writes each notebook.
Every passage must be found exactly once, so a change of the source's wording fails the release with the
notebook, the cell and the passage named, instead of shipping a welcome that describes what the edition lacks.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode

__all__ = ["REWORDED", "edition_wording"]

_FOLDERS = (
    "The notebooks, from `00_welcome.ipynb` to `10_features_and_history.ipynb`, are yours: write your answers\n"
    "in them and save them as you go (in JupyterLab, Ctrl+S). This edition of the course holds no solutions:\n"
    "each exercise's check tells you whether your answer is right and, when it recognises it, your likely\n"
    "mistake. An instructor who grades the notebooks also tries cases you have not seen.\n"
)

# notebook -> cell id -> [(passage of the source, a regular expression, DOTALL), its wording in the edition]
REWORDED: dict[str, dict[str, list[tuple[str, str]]]] = {
    "00_welcome.ipynb": {
        "cell-01": [
            (
                r"JupyterLab on this notebook in your own copy of the course, `my-work/`\.\n"
                r"`make test` runs every check the course has\.",
                "JupyterLab on this notebook.\n`make test` runs every notebook top to bottom, as *Run All* does.",
            ),
            (r"Three folders hold notebooks, and each has its owner:\n\n\|.*?\n\| `notebooks/` \|[^\n]*\n", _FOLDERS),
            (
                r"you normally leave it unset and get the full run, whose results are the\nones you see saved in "
                r"the notebooks\.",
                "you normally leave it unset and get the full run, the one the notebooks'\ntext describes.",
            ),
        ],
        "cell-04": [  # the edition has no `course` command (it is the instructor's)
            (r"\(`course env` prints them in full\)", "(`print(report(full_paths=True))` prints them in full)")
        ],
        "cell-07": [
            (
                r"the command\n?\s?`course data status` in a terminal says what it finds\.",
                "`print(data_status())`, with\n`from course_utils.data import data_status`, says what it finds.",
            )
        ],
        "cell-16": [(r"In your copy of the notebook \(in `my-work/`\),", "In your copy of the notebook,")],
    },
}


def edition_wording(name: str, nb: NotebookNode) -> NotebookNode:
    """``nb`` (the released notebook ``name``) with the passages of :data:`REWORDED` in the edition's words."""
    cells = {cell.get("id"): cell for cell in nb.cells}
    for cell_id, passages in REWORDED.get(name, {}).items():
        if cell_id not in cells:
            raise ValueError(f"{name}: the edition rewords cell {cell_id!r}, which the notebook no longer has")
        cell = cells[cell_id]
        for pattern, wording in passages:
            found = len(re.findall(pattern, cell.source, flags=re.DOTALL))
            if found != 1:
                raise ValueError(
                    f"{name} cell {cell_id!r}: the passage {pattern!r} is there {found} times, not once; update "
                    "course_utils/instructor/edition/wording.py to the notebook's new wording"
                )
            cell.source = re.sub(pattern, lambda _, text=wording: text, cell.source, flags=re.DOTALL)
    return nb
