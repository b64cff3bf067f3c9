"""Does a submitted solution reach the course's own answer? A static look at the submission's code.

Not a notebook topic: the grader (``course_utils.instructor.grade.grading``) calls :func:`reference_uses` for each
exercise. The course ships reference implementations (``course_utils.losses``, ``layers``, the
exercise definitions themselves), so "solving" an exercise by calling them is one import away.

What counts as reaching exercise E's reference, in the cells the student wrote or changed:

* importing it by name (``from course_utils.layers import conv2d_forward``, also ``*``), or using a
  name that any cell of the notebook bound to it;
* an attribute chain that resolves to it (``layers.conv2d_forward`` after ``from course_utils import
  layers``), or any attribute of that name on a course module;
* its name in a string next to an import of its module (``getattr(layers, "conv2d_forward")``);
* any use of ``course_utils.instructor`` (where every exercise's answer lives), or of the grading
  machinery (``course_utils.checking.harness``, ``.registry``).

The grader also watches at run time which functions the student's answer calls (``checking.harness``).
Neither catches code copied by hand from the reference's source: that is plagiarism, for the instructor.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["module_aliases", "reference_uses"]

_ANSWERS = ("course_utils.instructor", "course_utils.checking.harness", "course_utils.checking.registry")


def _parse(source: str) -> ast.AST | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def module_aliases(sources: Iterable[str]) -> dict[str, str]:
    """Names bound by imports of course code in ``sources``: local name -> dotted name."""
    aliases: dict[str, str] = {}
    for tree in filter(None, map(_parse, sources)):
        aliases.update(_aliases(tree))
    return aliases


def _aliases(tree: ast.AST) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("course_utils"):
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def reference_uses(scanned: Iterable[str], all_sources: Iterable[str], references: tuple[str, ...]) -> list[str]:
    """The references (dotted names) that the code in ``scanned`` reaches; ``all_sources`` bind names."""
    scanned = list(scanned)
    aliases = module_aliases(all_sources)
    wanted = set(references)
    names = {ref.rpartition(".")[2] for ref in references}
    modules = {ref.rpartition(".")[0] for ref in references}
    found: set[str] = set()
    for tree in filter(None, map(_parse, scanned)):
        imported = set(_aliases(tree).values())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                if any(a.name == "*" for a in node.names) and node.module in modules | set(_ANSWERS):
                    found.add(f"{node.module}.*")
            if isinstance(node, (ast.Name, ast.Attribute)):
                dotted = node.id if isinstance(node, ast.Name) else None
                dotted = aliases.get(dotted) if dotted else _dotted(node, aliases)
                if dotted and (dotted in wanted or dotted.startswith(_ANSWERS)):
                    found.add(dotted)
                elif dotted and dotted.startswith("course_utils") and dotted.rpartition(".")[2] in names:
                    found.add(dotted)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if any(name in text for name in (*_ANSWERS, *wanted)):
                    found.add(text[:80])
                elif text in names and any(m in modules for m in imported | set(aliases.values())):
                    found.add(f"getattr(..., {text!r})")
        found |= {name for name in imported if name.startswith(_ANSWERS)}
    return sorted(found)
