"""nbgitpuller links: one click clones (first time) or merges (later) the class repository into the student's
home on the hub, then opens one notebook in JupyterLab.

The link is nbgitpuller's documented form ``{hub}/hub/user-redirect/git-pull?repo=…&branch=…&urlpath=…``;
``urlpath`` is the path JupyterLab opens after the pull, so it includes the clone's folder, which
nbgitpuller names after the last part of the repository URL (``…/cnn-course.git`` -> ``cnn-course.git``),
exactly as :func:`clone_folder` does. The book shows these links as buttons when ``COURSE_HUB_URL`` and
``COURSE_HUB_REPO`` are set while it is built (:func:`hub_button`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

__all__ = ["clone_folder", "nbgitpuller_link", "notebook_links", "edition_notebooks", "hub_button"]

NOTEBOOK = re.compile(r"^\d\d_[A-Za-z0-9_]+\.ipynb$")


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} {url!r} is not an http(s) URL with a host (e.g. https://hub.example.edu)")
    return url.rstrip("/")


def clone_folder(repo: str) -> str:
    """The folder nbgitpuller clones ``repo`` into, in the student's home: the URL's last part, as nbgitpuller
    names it (trailing slashes dropped, a ``.git`` ending kept)."""
    folder = repo.rstrip("/").split("/")[-1]
    if not folder or folder in (".", ".."):
        raise ValueError(f"repository {repo!r} has no last path part to name the clone's folder after")
    return folder


def nbgitpuller_link(hub: str, repo: str, notebook: str, branch: str = "main") -> str:
    """The link that pulls ``repo`` (``branch``) into the student's home on ``hub`` and opens ``notebook``."""
    if not NOTEBOOK.match(notebook):
        raise ValueError(f"notebook {notebook!r} is not a course notebook name (NN_name.ipynb)")
    if not branch or branch.startswith("-") or any(c.isspace() for c in branch):
        raise ValueError(f"branch {branch!r} is not a git branch name")
    query = {"repo": repo, "branch": branch, "urlpath": f"lab/tree/{clone_folder(repo)}/{notebook}"}
    return f"{_check_url(hub, 'hub URL')}/hub/user-redirect/git-pull?{urlencode(query)}"


def edition_notebooks(folder: Path) -> list[str]:
    """The course notebooks at the top of a student edition (or of student/), in order."""
    names = sorted(p.name for p in Path(folder).glob("*.ipynb") if NOTEBOOK.match(p.name))
    if not names:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) at the top of {folder}")
    return names


def notebook_links(hub: str, repo: str, names: list[str], branch: str = "main") -> list[tuple[str, str]]:
    """[(notebook, link)] for each of ``names``."""
    return [(name, nbgitpuller_link(hub, repo, name, branch)) for name in names]


def hub_button(notebook: str, environ: dict | None = None) -> str:
    """MyST for the book: a button opening ``notebook`` on the class hub, when ``COURSE_HUB_URL`` and
    ``COURSE_HUB_REPO`` (optionally ``COURSE_HUB_BRANCH``) are set; "" otherwise."""
    environ = os.environ if environ is None else environ
    hub, repo = environ.get("COURSE_HUB_URL", "").strip(), environ.get("COURSE_HUB_REPO", "").strip()
    if not hub and not repo:
        return ""
    if not hub or not repo:
        raise ValueError("the book's hub buttons need both COURSE_HUB_URL and COURSE_HUB_REPO (one is unset)")
    link = nbgitpuller_link(hub, repo, notebook, environ.get("COURSE_HUB_BRANCH", "").strip() or "main")
    return f"```{{button-link}} {link}\n:color: primary\n\nOpen {notebook} on the class hub\n```\n\n"
