"""The leak test: no solution of a safe exercise is in the student edition, in any function or cell.

Every solution block of notebooks/ (between ### BEGIN SOLUTION and ### END SOLUTION) is fingerprinted as
plagiarism detectors do (MOSS's winnowing: tokens with names, numbers and strings normalised, hashes of
k-grams, the smallest hash of each window kept), and so is every function (nested ones too) of every
Python file and every code cell of the edition. A block shares most of its fingerprints with a unit: it
is there. A block too short to have fingerprints is looked for token for token (only spaces and comments
normalised). Practice exercises are expected to leak (docs/instructors.md says why); two of them are the
positive control that the detector finds what is there.
"""

import ast
import hashlib
import keyword
import re
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor.edition.safety import SAFE, TABLE, table_markdown
from course_utils.instructor.release import BEGIN, END, find_exercises

REPO = Path(__file__).resolve().parent.parent
K, WINDOW = 8, 4  # k-gram length and window, in tokens: a block of K + WINDOW - 1 tokens has one fingerprint
SHARED = 0.6  # a block is found in a unit holding this share of its fingerprints
_TOKEN = re.compile(
    r"\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|\w+|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\*\*|//|[-+*/@=<>!]=|\S"
)


def tokens(code: str, *, normalise: bool = True) -> list[str]:
    """The code's tokens, comments dropped; names → N, numbers → 0, strings → S when ``normalise``."""
    code = "\n".join(
        line.split("#", 1)[0] if "#" in line and "'" not in line and '"' not in line else line
        for line in code.splitlines()
    )
    found = _TOKEN.findall(code)
    if not normalise:
        return found
    out = []
    for tok in found:
        if tok[0] in "\"'":
            out.append("S")
        elif tok[0].isdigit() or (tok[0] == "." and len(tok) > 1):
            out.append("0")
        elif (tok[0].isalpha() or tok[0] == "_") and not keyword.iskeyword(tok):
            out.append("N")
        else:
            out.append(tok)
    return out


def fingerprints(toks: list[str]) -> set[int]:
    """Winnowing: of the hashes of every K-gram, the smallest in each window of WINDOW consecutive ones."""
    grams = [
        int(hashlib.sha1(" ".join(toks[i : i + K]).encode()).hexdigest()[:12], 16) for i in range(len(toks) - K + 1)
    ]
    return {min(grams[i : i + WINDOW]) for i in range(len(grams) - WINDOW + 1)}


def _solution_blocks() -> list[tuple[str, str]]:
    """(exercise number, the code of one solution block) for every block of notebooks/."""
    blocks = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        numbers = {e.cell_id: e.number for e in find_exercises(nb, path.name)}
        for cell in nb.cells:
            if cell.get("id") not in numbers:
                continue
            inside, lines = False, []
            for line in cell.source.splitlines():
                if line.strip() == BEGIN:
                    inside, lines = True, []
                elif line.strip() == END:
                    inside = False
                    blocks.append((numbers[cell.id], "\n".join(lines)))
                elif inside:
                    lines.append(line)
    return blocks


def _units(edition: Path) -> list[tuple[str, str]]:
    """(where, code) for every function of every .py file and every code cell of the edition."""
    units = []
    for path in sorted(edition.rglob("*.py")):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                units.append((f"{path.relative_to(edition)}:{node.lineno}", ast.get_source_segment(text, node) or ""))
    for path in sorted(edition.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(str(path), as_version=4).cells):
            if cell.cell_type == "code":
                units.append((f"{path.name} cell {index}", cell.source))
    return units


def find_leaks(edition: Path) -> dict[str, list[str]]:
    """exercise number → where in the edition one of its solution blocks is."""
    units = [
        (where, fingerprints(tokens(code)), " ".join(tokens(code, normalise=False))) for where, code in _units(edition)
    ]
    leaks: dict[str, list[str]] = {}
    for number, block in _solution_blocks():
        prints = fingerprints(tokens(block))
        for where, unit_prints, unit_text in units:
            if prints:
                found = len(prints & unit_prints) >= SHARED * len(prints)
            else:
                exact = " ".join(tokens(block, normalise=False))
                found = bool(exact) and len(exact.split()) >= 3 and exact in unit_text
            if found:
                leaks.setdefault(number, []).append(where)
    return leaks


@pytest.fixture(scope="module")
def leaks(edition):
    return find_leaks(edition[0])


def test_no_safe_exercise_leaks(leaks):
    found = {number: where for number, where in leaks.items() if number in SAFE}
    assert not found, f"solutions of safe exercises are in the student edition: {found}"


def test_the_detector_finds_what_is_there(leaks):
    """Practice exercises whose answers ship: 0.1's one line (a block too short to fingerprint, found token for
    token) in the edition's nb00.py, 10.3's network (found by its fingerprints) as experiment.wider_lenet."""
    assert any("exercises/nb00.py" in where for where in leaks.get("0.1", [])), leaks.get("0.1")
    assert any("course_utils/experiment.py" in where for where in leaks.get("10.3", [])), leaks.get("10.3")


def test_the_instructors_guide_shows_the_table():
    guide = (REPO / "docs" / "instructors.md").read_text()
    assert table_markdown() in guide, "docs/instructors.md: paste safety.table_markdown() (the 32 rows) in"
    assert len(TABLE) == 32 and f"{len(SAFE)} of 32 are\nsafe" in guide
