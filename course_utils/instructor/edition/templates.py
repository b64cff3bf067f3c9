"""The student edition's own files: README, Makefile, pyproject, its test, the generated package's __init__.

Plain text, written as they are by ``course_utils.instructor.edition.build`` (no dates, no paths of this
machine: the same source gives the same bytes).
"""

from __future__ import annotations

__all__ = ["README", "MAKEFILE", "PYPROJECT", "TEST_NOTEBOOKS", "EXERCISES_INIT", "INSTRUCTOR_ONLY_PACKAGES"]

# Packages only the instructor's tree needs (its tests, lint, browser tests, the book).
INSTRUCTOR_ONLY_PACKAGES = ("nbval", "hypothesis", "ruff", "playwright", "jupyter-book")

README = """# CNN course: your notebooks

The course's notebooks, one per topic, from `00_welcome.ipynb` to `10_features_and_history.ipynb`, and the
`course_utils` package they use. Each exercise has a cell where you write your answer and a checker cell
below it: a right answer prints one line; a wrong one says what differs and, when it recognises it, the
likely mistake. Until an exercise passes, the cells after it use the course's own version, so you are
never stuck.

## Start

You need Python 3.10 or newer and a few GB of disk (PyTorch, TensorFlow and JAX are large).

    make lab      # the first time installs everything into .venv (a few minutes), then opens JupyterLab
    make test     # runs every notebook top to bottom, as Run All does

`make lab` opens `00_welcome.ipynb`; start there. `make lab PYTHON=python3.11` picks the Python to use;
`make lab LAB_OPTS="--no-browser --port=8899"` passes options to JupyterLab.

Your answers are yours: this repository holds no solutions. The checkers judge your answers on the cases
shown in the notebooks; the instructor grades on other cases too.
"""

MAKEFILE = """# The course's two commands (see README.md).
#   make lab    JupyterLab on the notebooks (LAB_OPTS="--no-browser --port=8899")
#   make test   every notebook run top to bottom, unsolved or solved, fast mode (COURSE_FAST=1)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LAB_OPTS ?=
# how the course's package is installed: editable here (default), or a copy (INSTALL=.) for a shared venv
INSTALL ?= -e .
STAMP := $(VENV)/.installed

.PHONY: setup lab test clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
\t@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 10))" || \\
\t\t{ echo "error: Python 3.10 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." \\
\t\t\t"Run e.g. make PYTHON=python3.11 ..." >&2; exit 1; }
\t@test -x $(PY) || { echo "Creating $(VENV) ..."; $(PYTHON) -m venv $(VENV); }
\t@echo "Installing requirements.txt into $(VENV) (PyTorch is large: the first time takes a few minutes) ..."
\t$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
\t$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(INSTALL)
\t@# JupyterLab's settings for the course: no "official Jupyter news?" pop-up over the first notebook
\t@mkdir -p $(VENV)/share/jupyter/lab/settings
\t@cp config/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
\t@touch $@

ROOT_OPT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
LAB_IP := $(if $(findstring --ip,$(LAB_OPTS))$(findstring ServerApp.ip,$(LAB_OPTS)),,--ServerApp.ip=127.0.0.1)

lab: setup
\t$(VENV)/bin/jupyter lab $(LAB_IP) --ServerApp.root_dir="$(CURDIR)" $(ROOT_OPT) \\
\t\t--LabApp.default_url=/lab/tree/00_welcome.ipynb $(LAB_OPTS)

test: setup
\tCOURSE_FAST=1 $(PY) -m pytest tests -p no:cacheprovider -q

clean:
\trm -rf $(VENV) .pytest_cache
\tfind . -name __pycache__ -type d -prune -exec rm -rf {} +
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "course-utils"
version = "0.1.0"
description = "The package the CNN course's notebooks use (student edition)"
requires-python = ">=3.10"
dependencies = []

[tool.setuptools.packages.find]
include = ["course_utils*"]

[tool.setuptools.package-data]
"course_utils.exercises" = ["answers.json"]
"""

TEST_NOTEBOOKS = '''"""Every notebook runs top to bottom as Run All runs it: no cell raises, solved or not."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted(HERE.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_runs_to_the_end(path, tmp_path):
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
'''

EXERCISES_INIT = '''"""The exercises' checkers, generated from the instructor's definitions (course release --edition).

Each module keeps its exercises' cases, judges and messages; what the judges compare with (the reference's
and the known mistakes' answers on the visible cases) is read from answers.json (course_utils.checking.oracle).
"""

import importlib
from pathlib import Path

from course_utils.checking.oracle import use_baked

__all__ = ["EXERCISES"]

use_baked(Path(__file__).with_name("answers.json"))  # before the modules: they call oracles when imported

EXERCISES = {{
    exercise.number: exercise
    for name in {modules!r}
    for exercise in importlib.import_module(f"{{__name__}}.{{name}}").EXERCISES
}}
'''
