"""``course publish EDITION REPO``: a built student edition becomes the next commit of the class repository.

nbgitpuller merges each new commit into every student's clone, keeping the student's edits; it needs a
history that only grows, so this never rewrites one: it commits on top of the current branch and
``--push`` is a plain push (a rejected push says to pull first; never force). The commit's message is a
one-line summary of what changed (per notebook: cells added, removed, changed, matched by cell id).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

__all__ = ["PublishError", "IGNORED", "publish", "summarize", "cell_changes"]

IGNORED = (".git", "__pycache__", ".ipynb_checkpoints", "*.pyc", ".DS_Store")
FALLBACK_AUTHOR = ("-c", "user.name=course publish", "-c", "user.email=course-publish@localhost")


class PublishError(RuntimeError):
    """The edition or the repository is not in a state that can be published safely."""


def _git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed in {repo}: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def cell_changes(old: str, new: str) -> tuple[int, int, int]:
    """(added, removed, changed) cells between two notebooks' JSON texts, cells matched by id."""

    def cells(text: str) -> dict:
        return {c.get("id", str(i)): (c["cell_type"], c.get("source")) for i, c in enumerate(json.loads(text)["cells"])}

    before, after = cells(old), cells(new)
    changed = sum(1 for key in before.keys() & after.keys() if before[key] != after[key])
    return len(after.keys() - before.keys()), len(before.keys() - after.keys()), changed


def summarize(repo: Path) -> str:
    """One line saying what the staged changes of ``repo`` do to the edition."""
    has_head = _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    if not has_head:
        count = len(_git(repo, "diff", "--cached", "--name-only").split())
        return f"Publish the student edition: first release, {count} files"
    parts = []
    for line in _git(repo, "diff", "--cached", "--name-status", "--no-renames").splitlines():
        status, path = line.split("\t", 1)
        if status == "M" and path.endswith(".ipynb"):
            old = _git(repo, "show", f"HEAD:{path}")
            new = (repo / path).read_text(encoding="utf-8")
            added, removed, changed = cell_changes(old, new)
            bits = [
                f"{n} cell{'s' * (n != 1)} {what}"
                for n, what in ((changed, "changed"), (added, "added"), (removed, "removed"))
                if n
            ]
            parts.append(f"{path} ({', '.join(bits) or 'metadata'})")
        else:
            parts.append(f"{path} ({ {'A': 'new', 'D': 'removed'}.get(status, 'changed') })")
    return "Publish the student edition: " + "; ".join(parts)


def _copy_edition(edition: Path, repo: Path) -> None:
    for entry in repo.iterdir():  # the previous release goes; git keeps it in the history
        if entry.name == ".git":
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    shutil.copytree(edition, repo, dirs_exist_ok=True, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED))


def publish(edition: Path, repo: Path, push: bool = False) -> str:
    """Commit ``edition`` as the next commit of the git work tree ``repo`` (made, with branch main, if it is
    absent or empty); push it with ``push``. The one-line summary, or a line saying nothing changed."""
    edition, repo = Path(edition).resolve(), Path(repo).resolve()
    if not any(edition.glob("*.ipynb")):
        raise PublishError(f"{edition} is not a student edition: no notebooks at its top (make student-edition)")
    if repo == edition or repo in edition.parents or edition in repo.parents:
        raise PublishError(f"the repository {repo} and the edition {edition} must not contain each other")
    if not repo.exists() or (repo.is_dir() and not any(repo.iterdir())):
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "-q", "-b", "main")
    if _git(repo, "rev-parse", "--show-toplevel", check=False).strip() != str(repo):
        raise PublishError(f"{repo} is not the top of a git work tree (clone the class repository there first)")
    if _git(repo, "status", "--porcelain"):
        raise PublishError(f"{repo} has uncommitted changes; publish only into a clean clone of the class repository")
    _copy_edition(edition, repo)
    _git(repo, "add", "-A")
    if not _git(repo, "diff", "--cached", "--name-only").strip():
        return "Nothing to publish: the repository already holds this edition."
    summary = summarize(repo)
    author = () if _git(repo, "config", "user.email", check=False).strip() else FALLBACK_AUTHOR
    _git(repo, *author, "commit", "-q", "-m", summary)
    if push:
        done = subprocess.run(["git", "-C", str(repo), "push", "--quiet"], capture_output=True, text=True)
        if done.returncode != 0:
            raise PublishError(
                f"committed locally, but the push was refused: {done.stderr.strip()}\n"
                "The class repository has commits this clone lacks: `git pull` and publish again. "
                "Never force-push: students' clones follow this history."
            )
    return summary
