"""Reading, executing and writing notebooks (the plumbing behind `course run`, release and grade).

Not something a student needs; maintainers use ``make outputs`` (which calls
``course run``) to refresh the committed outputs from a full run.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

__all__ = ["read_notebook", "write_notebook", "execute_notebook"]

NB_VERSION = 4


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook (nbformat 4), raising ValueError naming the file if it is not valid JSON."""
    try:
        return nbformat.read(str(path), as_version=NB_VERSION)
    except Exception as err:  # nbformat raises several types for broken files
        raise ValueError(f"{path} is not a readable notebook: {type(err).__name__}: {err}") from err


def write_notebook(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write ``nb`` with a trailing newline, the way JupyterLab does."""
    text = nbformat.writes(nb, version=NB_VERSION)
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def execute_notebook(
    nb: nbformat.NotebookNode,
    cwd: str | Path,
    *,
    cell_timeout: int = 900,
    env: dict[str, str] | None = None,
    allow_errors: bool = False,
) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh python3 kernel started in ``cwd``; return it with outputs.

    ``env`` entries are set in the kernel's environment (e.g. COURSE_FAST).
    """
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
    )
    old = {key: os.environ.get(key) for key in (env or {})}
    os.environ.update(env or {})  # the kernel inherits this process's environment
    try:
        return client.execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
