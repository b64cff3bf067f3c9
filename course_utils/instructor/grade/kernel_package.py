"""The ``course_utils`` a grading kernel imports: the student edition's package without any answer in it.

Not a notebook topic; ``course grade`` (``course_utils.instructor.grade.grading``) binds the folder
:func:`kernel_package` returns, read-only, into every sandbox, and nothing else of ``course_utils``.

From the student edition's package (``course release --edition``, ``make student-edition``) it keeps the
student side as the edition has it (the forms and swaps in place of the course's own versions) and
rewrites ``course_utils/exercises/``, module by module (ast), so that what is left of an exercise is only
what the kernel's half of grading needs (``course_utils.checking.harness``): its number, target, kind,
``call`` and the dotted names of the course's versions (watched at run time). Gone are:

* ``answers.json``, the edition's baked oracle answers (expected outputs of the visible cases), and every
  oracle, judge, known mistake and visible case (a checker called in the kernel prints that the grader
  judges, and decides nothing);
* the fallbacks: no exercise names one, so a failed or not-attempted check binds nothing into the
  notebook (the fallback's name stays among the references the run-time hook watches).

A definition the rewrite cannot reduce that far (an oracle its ``call`` still needs) is refused at build
time, naming it. The verdict is decided outside the kernel, with the instructor's full definitions.

Where it comes from: ``--edition DIR`` (a built student edition), else a build of the edition kept in
``_build/grading/edition/`` beside the course's package and made again when any file of
``course_utils/`` changed (a hash of them all, in its STAMP file). The derived kernel package is kept in
``_build/grading/kernel-<hash of the edition's package>/``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["JUDGED_OUTSIDE", "CACHE", "grading_source", "grading_modules", "kernel_package", "package_hash"]

_PACKAGE = Path(__file__).resolve().parents[2]  # course_utils/
CACHE = _PACKAGE.parent / "_build" / "grading"
EDITION_PACKAGE = "course_utils.exercises"
JUDGED_OUTSIDE = "Exercise {number}: judged by the grader, not in this kernel."

_STUBS = {
    "cases": "lambda: []",
    "fresh": "lambda rng: []",
    "judge": "lambda case, result: 'judged by the grader, not in this kernel'",
    "passed": repr(JUDGED_OUTSIDE),
}

_INIT = '''"""The exercises as a grading kernel sees them (course grade): each one's number, target, kind and call;
no cases, judges, answers or fallbacks. Generated from the student edition's checkers: do not edit."""

import importlib

__all__ = ["EXERCISES"]

EXERCISES = {{
    exercise.number: exercise
    for name in {modules!r}
    for exercise in importlib.import_module(f"{{__name__}}.{{name}}").EXERCISES
}}
'''


def package_hash(package: Path) -> str:
    """A hash of every file under ``package`` (paths and bytes; caches and compiled files left out)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class _Reduce(ast.NodeTransformer):
    """Each ``Exercise(...)``: cases, fresh cases, judge and message stubbed, its fallback only a reference."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "Exercise"):
            return node
        keywords = {k.arg: k for k in node.keywords}
        fallback = keywords.pop("fallback", None)
        for name, stub in _STUBS.items():
            keywords[name] = ast.keyword(name, ast.parse(stub, mode="eval").body)
        if fallback is not None:
            given = keywords.get("references")
            items = [ast.Starred(given.value, ast.Load())] if given else []
            keywords["references"] = ast.keyword("references", ast.Tuple([*items, fallback.value], ast.Load()))
        node.keywords = list(keywords.values())
        return node


def _defined(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [t.id for t in targets if isinstance(t, ast.Name)]
    return []


def _reads(body: list[ast.stmt]) -> set[str]:
    tree = ast.Module(body=[n for n in body if _defined(n) != ["__all__"]], type_ignores=[])
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def _sibling_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    return [n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith(EDITION_PACKAGE)]


def grading_modules(sources: dict[str, str]) -> dict[str, str]:
    """The grading kernel's version of each edition exercise module (name -> source), reduced together: a
    name one module imports from another is kept there only while the importer still uses it."""
    trees = {name: _Reduce().visit(ast.parse(source)) for name, source in sources.items()}
    while True:
        wanted: dict[str, set[str]] = {name: set() for name in trees}
        for tree in trees.values():  # imports of siblings: keep the names still read, drop the rest
            for node in _sibling_imports(tree):
                node.names = [a for a in node.names if (a.asname or a.name) in _reads(tree.body)]
                wanted.setdefault(node.module.rpartition(".")[2], set()).update(a.name for a in node.names)
            tree.body = [n for n in tree.body if not (isinstance(n, ast.ImportFrom) and not n.names)]
        changed = False
        for name, tree in trees.items():
            reads = _reads(tree.body) | wanted.get(name, set()) | {"EXERCISES"}
            dead = [n for n in tree.body if _defined(n) and _defined(n) != ["__all__"] and not set(_defined(n)) & reads]
            tree.body = [n for n in tree.body if all(n is not d for d in dead)]
            changed |= bool(dead)
        if not changed:
            break
    out = {}
    for name, tree in trees.items():
        kept = {d for n in tree.body for d in _defined(n)}
        for node in tree.body:
            if _defined(node) == ["__all__"] and isinstance(node.value, ast.List):
                node.value.elts = [e for e in node.value.elts if isinstance(e, ast.Constant) and e.value in kept]
        if "oracle" in _reads(tree.body):
            raise ValueError(
                f"exercises/{name}.py: an oracle is still needed once the judges are gone (its call uses one); the "
                "grading kernel must not hold one: move what the call needs out of the oracle"
            )
        ast.fix_missing_locations(tree)
        header = "# The grading kernel's copy (course grade): the call half only, no answers. Do not edit.\n"
        out[name] = header + ast.unparse(tree) + "\n"
    return out


def grading_source(edition_package: Path, target: Path) -> Path:
    """Write into ``target`` (a new course_utils/ folder) the kernel's package made from ``edition_package``."""
    if not (edition_package / "exercises" / "__init__.py").is_file():
        raise FileNotFoundError(f"{edition_package} is no student edition's package: it has no exercises/__init__.py")
    shutil.copytree(
        edition_package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "exercises", "instructor")
    )
    sources = {p.stem: p.read_text(encoding="utf-8") for p in sorted((edition_package / "exercises").glob("nb*.py"))}
    (target / "exercises").mkdir()
    for name, text in grading_modules(sources).items():
        (target / "exercises" / f"{name}.py").write_text(text, encoding="utf-8")
    (target / "exercises" / "__init__.py").write_text(_INIT.format(modules=list(sources)), encoding="utf-8")
    for path in [target, *target.rglob("*")]:  # readable by the kernel's own user id, writable by nobody there
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def _publish(build, final: Path) -> Path:
    """Build into a fresh folder beside ``final`` (``build(folder)``), then move it there in one rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    scratch.chmod(0o755)  # the kernel's own user id reads below it
    try:
        build(scratch)
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(scratch, final)
    except OSError:
        if not final.exists():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def _cached_edition(cache: Path) -> Path:
    """The student edition built from this course's package, in ``cache``/edition, rebuilt when stale."""
    from course_utils.instructor.edition.build import build_edition

    stamp = package_hash(_PACKAGE)
    edition = cache / "edition"
    if (edition / "STAMP").is_file() and (edition / "STAMP").read_text().strip() == stamp:
        return edition
    notebooks = _PACKAGE.parent / "notebooks"

    def build(folder: Path) -> None:
        with tempfile.TemporaryDirectory() as empty:
            build_edition(notebooks if notebooks.is_dir() else empty, folder)
        (folder / "STAMP").write_text(stamp + "\n")

    return _publish(build, edition)


def kernel_package(edition: str | Path | None = None, cache: str | Path = CACHE) -> Path:
    """The folder to put on the kernel's PYTHONPATH (it holds ``course_utils/``, the kernel's package).

    ``edition``: a built student edition (the folder holding its ``course_utils/``); None: the edition
    built from this course into ``cache`` (built the first time, and again whenever the package changed).
    """
    cache = Path(cache)
    edition = Path(edition).resolve() if edition is not None else _cached_edition(cache)
    package = edition / "course_utils"
    if not package.is_dir():
        raise FileNotFoundError(f"--edition {edition}: no course_utils/ in it (make student-edition writes one)")
    if (package / "instructor").exists():
        raise ValueError(f"--edition {edition}: its course_utils/ has instructor/: that is no student edition")
    folder = cache / f"kernel-{package_hash(package)}"
    if not (folder / "course_utils" / "exercises" / "__init__.py").is_file():
        _publish(lambda scratch: grading_source(package, scratch / "course_utils"), folder)
    return folder.resolve()
