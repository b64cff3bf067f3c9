"""Structure of the instructor notebooks: links, committed outputs, exercises and their checkers.

nbval (run by `make test` after these tests) executes them and compares outputs.
"""

import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _read(path):
    return nbformat.read(str(path), as_version=4)


def test_notebooks_exist_and_are_named_nn_topic():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


def test_welcome_links_every_notebook_and_every_link_resolves():
    welcome = _read(REPO / "notebooks" / "00_welcome.ipynb")
    text = "\n".join(cell.source for cell in welcome.cells if cell.cell_type == "markdown")
    links = set(re.findall(r"\]\(([^)#]+\.ipynb)\)", text))
    for link in links:
        assert (REPO / "notebooks" / link).is_file(), f"00_welcome links to missing {link}"
    for path in NOTEBOOKS:
        assert path.name in links, f"00_welcome does not link {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_committed_from_one_top_to_bottom_run(path):
    nb = _read(path)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts}"
    for cell in code:
        tags = cell.metadata.get("tags", [])
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors or "raises-exception" in tags, f"{path.name} cell {cell.id} has an error output"


# Warnings of the machine that made the outputs, not of the course: a broken matplotlib font cache, TensorFlow's
# start-up banner, and the build machine's own folders in the environment report.
MACHINE_NOISE = ("findfont:", "oneDNN custom operations", "absl::InitializeLog", "/work/", "/home/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_carry_no_machine_noise(path):
    nb = _read(path)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            plain = str(out.get("data", {}).get("text/plain", ""))
            text = out.get("text", "") if out.output_type == "stream" else plain
            found = [noise for noise in MACHINE_NOISE if noise in text]
            assert not found, f"{path.name} cell {cell.id}: {found} in a committed output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_is_followed_by_its_checker(path):
    cells = _read(path).cells
    for index, cell in enumerate(cells):
        if "### BEGIN SOLUTION" in cell.source:
            assert cell.cell_type == "code", f"{path.name}: solution markers in a {cell.cell_type} cell"
            following = [c for c in cells[index + 1 :] if c.cell_type == "code"]
            assert following and "check" in following[0].source, (
                f"{path.name}: the exercise in cell {cell.id} is not followed by a checker cell"
            )
