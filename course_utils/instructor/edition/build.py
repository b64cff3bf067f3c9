"""``course release --edition DIR``: the student edition, the repository a class gets.

DIR gets: the student notebooks at its top (00_welcome's passages on the folders in the edition's words,
``wording.py``), the student side of ``course_utils`` only (no ``instructor/``),
with the functions of each module of ``swaps/`` in place of the student-side module's functions of the
same name (the same results, written in another form than the exercises ask), the generated checkers
``course_utils/exercises/`` (each exercise module without its answers, ``generate.py``, and the baked
answers.json, ``bake.py``), a README, a Makefile (``make lab``, ``make test``), pyproject.toml,
requirements.txt without the instructor-only packages, and tests/ (every notebook runs to the end). Same
source, same bytes.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from course_utils.instructor.edition import templates
from course_utils.instructor.edition.generate import INSTRUCTOR_PACKAGE, defined_names, edition_source
from course_utils.instructor.edition.wording import edition_wording
from course_utils.instructor.notebooks import NB_VERSION, read_notebook
from course_utils.instructor.release import release_notebook

__all__ = ["PACKAGE", "SWAPS", "build_edition", "bake_into", "release_salt", "swap_functions"]

PACKAGE = Path(__file__).resolve().parents[2]  # course_utils/
SWAPS = Path(__file__).resolve().parent / "swaps"
_EXERCISES = PACKAGE / "instructor" / "exercises"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def swap_functions(source: str, swaps: str) -> str:
    """``source`` (a module) with each top-level function defined in ``swaps`` replaced by that definition, and
    the functions ``swaps`` lists in ``DROP`` removed (with their line in ``__all__``); the rest kept verbatim.

    A private function of ``swaps`` (``_name``) that ``source`` lacks is a helper of the swapped ones: it goes
    in before the first of them; the imports of ``swaps`` that ``source`` lacks go in after its last import."""
    swap_tree = ast.parse(swaps)
    new = {n.name: ast.get_source_segment(swaps, n) for n in swap_tree.body if isinstance(n, ast.FunctionDef)}
    drop = set()
    for node in swap_tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DROP" for t in node.targets):
            drop = set(ast.literal_eval(node.value))
    tree = ast.parse(source)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    helpers = [name for name in new if name.startswith("_") and name not in defined]
    lines = source.splitlines(keepends=True)
    found, first = set(), len(lines)
    for node in sorted(tree.body, key=lambda n: -n.lineno):  # from the end: line numbers hold
        if isinstance(node, ast.FunctionDef) and (node.name in new or node.name in drop):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            lines[start : node.end_lineno] = [new[node.name] + "\n"] if node.name in new else []
            found.add(node.name)
            first = start
    missing = (set(new) - set(helpers) | drop) - found
    if missing:
        raise ValueError(f"the edition swaps functions the module does not define: {sorted(missing)}")
    lines[first:first] = [new[name] + "\n\n\n" for name in helpers]
    had = {ast.get_source_segment(source, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    own = {name for n in tree.body for name in defined_names(n)}  # importing these is for the linter's sake only
    imports = [
        ast.get_source_segment(swaps, n) + "\n"
        for n in swap_tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and ast.get_source_segment(swaps, n) not in had
        and not (isinstance(n, ast.ImportFrom) and {a.name for a in n.names} <= own)
    ]
    last_import = max((n.end_lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
    lines[last_import:last_import] = imports
    return "".join(line for line in lines if line.strip() not in {f'"{name}",' for name in drop})


def _student_side(target: Path) -> None:
    """Copy the student side of the package into ``target`` (a course_utils/ folder): a module of swaps/
    replaces some functions of the module of its name (``swap_functions``)."""
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.is_dir() or rel.parts[0] == "instructor" or "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        text = path.read_text(encoding="utf-8")
        if rel.parent == Path(".") and (SWAPS / rel).is_file():
            text = swap_functions(text, (SWAPS / rel).read_text(encoding="utf-8"))
        _write(target / rel, text)


def _imported_names() -> dict[str, set[str]]:
    """module name (nbNN) → the names other exercise modules import from it."""
    wanted: dict[str, set[str]] = {}
    for path in sorted(_EXERCISES.glob("nb*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(INSTRUCTOR_PACKAGE + "."):
                module = node.module.rpartition(".")[2]
                wanted.setdefault(module, set()).update(alias.name for alias in node.names)
    return wanted


def release_salt(notebooks: list[Path]) -> str:
    """The salt of this release's sealed answers (``course_utils.checking.sealed``): a hash of the exercise
    definitions and the notebooks, so another release (another source) has another salt, and the same
    source the same bytes."""
    digest = hashlib.sha256()
    for path in [*sorted(_EXERCISES.glob("nb*.py")), *sorted(notebooks)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def bake_into(answers: Path, outcomes: Path, salt: str = "unreleased") -> None:
    """Run the bake in a fresh process (``bake.py``): answers.json for the edition, the outcomes for the test;
    ``salt``: the release's, for the sealed answers."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent), "PYTHONHASHSEED": "0", "COURSE_SEAL_SALT": salt}
    command = [sys.executable, "-m", "course_utils.instructor.edition.bake", str(answers), str(outcomes)]
    subprocess.run(command, check=True, env=env, cwd=PACKAGE.parent)


def _checkers(target: Path, outcomes: Path, salt: str) -> None:
    """course_utils/exercises/ in ``target`` (the edition's package folder)."""
    wanted = _imported_names()
    modules = [path.stem for path in sorted(_EXERCISES.glob("nb*.py"))]
    for name in modules:
        source = (_EXERCISES / f"{name}.py").read_text(encoding="utf-8")
        _write(target / "exercises" / f"{name}.py", edition_source(source, wanted.get(name, set())))
    _write(target / "exercises" / "__init__.py", templates.EXERCISES_INIT.format(modules=modules))
    bake_into(target / "exercises" / "answers.json", outcomes, salt)


def _requirements(repo: Path) -> str:
    lines = (repo / "requirements.txt").read_text(encoding="utf-8").splitlines()
    drop = templates.INSTRUCTOR_ONLY_PACKAGES
    kept = [line for line in lines if line.startswith("#") or line.split("==")[0].strip() not in drop]
    header = "# What the course installs (the instructor's list without its test, lint and book tools).\n"
    return header + "\n".join(line for line in kept if not line.startswith("#")) + "\n"


def build_edition(source_dir: str | Path, target: str | Path, *, outcomes: str | Path | None = None) -> Path:
    """Write the student edition of the notebooks in ``source_dir`` into ``target`` (emptied first).

    ``outcomes``: where the bake's outcomes (each judged answer with the full checker's message) go; by
    default a temporary file, removed. Returns ``target``.
    """
    source_dir, target = Path(source_dir), Path(target)
    repo = PACKAGE.parent
    sources = sorted(source_dir.glob("*.ipynb"))
    released = {
        path.name: edition_wording(path.name, release_notebook(read_notebook(path), path.name)) for path in sources
    }
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, nb in released.items():
        text = nbformat.writes(nb, version=NB_VERSION)
        _write(target / name, text if text.endswith("\n") else text + "\n")
    _student_side(target / "course_utils")
    with tempfile.TemporaryDirectory() as scratch:
        outcomes_path = Path(outcomes) if outcomes else Path(scratch) / "outcomes.json"
        _checkers(target / "course_utils", outcomes_path, release_salt(sources))
    _write(target / "README.md", templates.README)
    _write(target / "Makefile", templates.MAKEFILE)
    _write(target / "pyproject.toml", templates.PYPROJECT)
    _write(target / "requirements.txt", _requirements(repo))
    _write(target / "tests" / "test_notebooks.py", templates.TEST_NOTEBOOKS)
    _write(target / ".gitignore", ".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\ndata/\n")
    if (repo / "config").is_dir():
        shutil.copytree(repo / "config", target / "config")
    return target
