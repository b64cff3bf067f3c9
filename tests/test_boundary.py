"""The package's two sides: what ships to students never reaches what stays with the instructor.

``course_utils/`` is the student side (what a student's kernel imports); ``course_utils/instructor/`` is
what stays with the instructor (exercise definitions with their answers, release, grading, the book,
the CLI). These tests read the source as text (ast), so they see every import, also those inside
functions, without running anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"
INSTRUCTOR = PACKAGE / "instructor"

# The boundary's exceptions: student-side modules allowed to import the instructor side, and why. None: the
# registry finds the definitions (course_utils/checking/registry.py), the student edition's generated ones
# or the instructor's, without naming either.
EXCEPTIONS: set[str] = set()
MAX_LINES = 330  # "about 300 lines at most"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import statement in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _student_side() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if INSTRUCTOR not in p.parents)


def test_the_two_sides_exist():
    assert (INSTRUCTOR / "exercises").is_dir() and (INSTRUCTOR / "grade").is_dir()
    student = {p.relative_to(PACKAGE).as_posix() for p in _student_side()}
    for module in ("env.py", "data.py", "layers.py", "checks.py", "checking/runner.py", "checking/harness.py"):
        assert module in student
    for module in ("release.py", "cli.py", "site.py", "grade/grading.py", "grade/sandbox.py", "exercises/nb06.py"):
        assert (INSTRUCTOR / module).is_file()


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant in ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_nothing_on_the_student_side_imports_the_instructor_side():
    crossings = []
    for path in _student_side():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel in EXCEPTIONS:
            continue
        for line, name in _imports(path):
            if name == "course_utils.instructor" or name.startswith("course_utils.instructor."):
                crossings.append(f"{rel}:{line} imports {name}")
        # a dotted name in a string would reach it through importlib at run time
        crossings += [f"{rel}:{line} names it in a string" for line, text in _strings(path) if "instructor" in text]
    assert not crossings, "the student side reaches the instructor side:\n" + "\n".join(crossings)


def test_the_listed_exceptions_still_cross():
    """An exception that no longer imports the instructor side comes off the list: a stale one hides nothing."""
    for rel in EXCEPTIONS:
        names = [name for _, name in _imports(PACKAGE.parent / rel)]
        assert any(name.startswith("course_utils.instructor") for name in names), f"{rel} is listed but does not cross"


def test_no_import_circles_between_modules():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {
        name: {
            target
            for _, imported in _imports(path)
            for target in (imported, imported.rpartition(".")[0])
            if target in modules and target != name and not modules[target].name == "__init__.py"
        }
        for name, path in modules.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*trail[trail.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_modules_are_small_and_declare_all(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines; split it (about 300 at most)"
    tree = ast.parse(path.read_text())
    assigned = [
        node.targets if isinstance(node, ast.Assign) else [node.target]
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
    ]
    names = {target.id for targets in assigned for target in targets if isinstance(target, ast.Name)}
    assert "__all__" in names, f"{path.relative_to(PACKAGE)} has no __all__"
