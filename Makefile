# The course's commands. Every target that needs Python sets up .venv first;
# set-up is skipped while requirements.txt and pyproject.toml are unchanged.
#   make lab         JupyterLab on your own copy of the course, my-work/ (LAB_OPTS="--no-browser --port=8899")
#   make test        lint + unit tests + every notebook under nbval, fast mode (COURSE_FAST=1)
#   make test-full   the same with full training
#   make test-browser every notebook with widgets run in JupyterLab in Chromium (apt-get install chromium)
#   make site        the course as a static book in _build/site/ (needs npm);  make test-site  checks it in Chromium
#   make test-hub    the class on a local JupyterHub, end to end in Chromium (root; EDITION_VENV; needs npm)
#   make outputs     re-run notebooks in full mode and save their outputs (NOTEBOOKS=... to pick)
#   make student     release student/ from notebooks/ (solutions removed; FORCE=1 replaces edited copies)
#   make student-edition  student/ and the repository a class gets, _build/student-edition/ (no answers)
#   make bench       speed ratios (benchmarks/)
#   make lint        ruff
#   make setup       set-up alone;  make clean  remove .venv and caches

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAB_OPTS ?=
# Per-cell time limit for nbval, in seconds.
CELL_TIMEOUT ?= 900

# The stamp's name carries a hash of the files that decide what is installed.
SETUP_FILES := requirements.txt pyproject.toml config/jupyterlab-overrides.json
DEPS_HASH := $(shell $(PYTHON) -c "import hashlib, sys; print(hashlib.sha256(b''.join(open(f,'rb').read() for f in sys.argv[1:])).hexdigest()[:16])" $(SETUP_FILES) 2>/dev/null)
STAMP := $(VENV)/.installed-$(DEPS_HASH)

NBVAL := $(PY) -m pytest -p tests.conftest --nbval --nbval-current-env \
	--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT)

.PHONY: setup lab test test-full test-browser test-unit test-notebooks outputs student student-edition bench lint clean \
	site test-site test-hub

setup: $(STAMP)

$(STAMP):
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 10))" || \
		{ echo "error: Python 3.10 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run e.g. make PYTHON=python3.11 ..." >&2; exit 1; }
	@test -x $(PY) || { echo "Creating $(VENV) ..."; $(PYTHON) -m venv $(VENV); }
	@echo "Installing requirements.txt into $(VENV) (PyTorch is large: the first time takes a few minutes) ..."
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# JupyterLab's settings for the course: no "official Jupyter news?" pop-up over the first notebook
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp config/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "Set-up done."

# JupyterLab refuses to start as root (containers, some VMs) unless told it may.
ROOT_OPT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

# 127.0.0.1 unless LAB_OPTS names an address (--ip=... wins; the same setting twice is an error).
LAB_IP := $(if $(findstring --ip,$(LAB_OPTS))$(findstring ServerApp.ip,$(LAB_OPTS)),,--ServerApp.ip=127.0.0.1)

# The learner works in my-work/ (git-ignored), their own copy of student/: made the first time, later only
# the notebooks it lacks are added; nothing there is ever overwritten.
WORK ?= my-work

lab: setup
	@$(VENV)/bin/course workspace student $(WORK)
	@case " $(LAB_OPTS) " in \
		*--ip=127.*|*--ip=localhost*|*--ip=::1*|*ServerApp.ip=127.*) ;; \
		*--ip*|*ServerApp.ip*) echo "warning: JupyterLab will listen beyond this machine ($(LAB_OPTS)): anyone who reaches it and has the token can run code here" >&2 ;; \
	esac
	$(VENV)/bin/jupyter lab $(LAB_IP) --ServerApp.root_dir="$(CURDIR)" $(ROOT_OPT) \
		--LabApp.default_url=/lab/tree/$(WORK)/00_welcome.ipynb $(LAB_OPTS)

test-unit: setup
	COURSE_FAST=$${COURSE_FAST:-1} $(PY) -m pytest tests

test-notebooks: setup
	COURSE_FAST=$${COURSE_FAST:-1} $(NBVAL) notebooks/

test: setup lint
	COURSE_FAST=1 $(PY) -m pytest tests
	COURSE_FAST=1 $(NBVAL) notebooks/

test-full: setup
	COURSE_FAST=0 $(PY) -m pytest tests
	COURSE_FAST=0 $(NBVAL) notebooks/

# JupyterLab on 127.0.0.1 + Debian's Chromium driven by playwright (never `playwright install`).
# axe-core (tests/axe.py) comes with the book's npm packages, site/package-lock.json
test-browser: setup site/node_modules/.installed
	COURSE_FAST=1 $(PY) -m pytest tests/browser -p no:cacheprovider -v

# The static book: Jupyter Book on notebooks/ with their committed outputs (nothing runs), exercises as
# students get them. npm installs MathJax and the widget manager (site/package-lock.json) into the book.
SITE_NPM := site/node_modules/.installed
$(SITE_NPM): site/package.json site/package-lock.json
	@command -v npm >/dev/null || { echo "error: make site needs Node.js and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd site && npm ci --no-fund --no-audit --ignore-scripts
	@touch $@

site: setup $(SITE_NPM)
	$(PY) -m course_utils.instructor.site

# Every page of the built book in Chromium with the network blocked, plus the leak and no-CDN checks.
test-site: site
	$(PY) -m pytest tests/site -p no:cacheprovider -v

# The class hub (deploy/, docs/deploy.md) end to end: JupyterHub from the student edition's environment
# (EDITION_VENV, built on the system Python by .ci/run) plus deploy/requirements.txt, the npm proxy, three
# students made and removed by the test, Chromium. Needs root. Screenshots in tests/hub/artifacts/.
EDITION_VENV ?= /opt/course-edition/venv
DEPLOY_NPM := deploy/node_modules/.installed
$(DEPLOY_NPM): deploy/package.json deploy/package-lock.json
	@command -v npm >/dev/null || { echo "error: make test-hub needs Node.js and npm (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd deploy && npm ci --no-fund --no-audit --ignore-scripts
	@touch $@

test-hub: setup $(DEPLOY_NPM)
	@test -x $(EDITION_VENV)/bin/python || { echo "error: no student-edition environment at $(EDITION_VENV) (EDITION_VENV=...; .ci/run builds it)" >&2; exit 1; }
	$(EDITION_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r deploy/requirements.txt
	EDITION_VENV=$(EDITION_VENV) $(PY) -m pytest tests/hub -p no:cacheprovider -v

# Refresh the committed outputs: every notebook run top to bottom in full mode (as DESIGN.md asks).
NOTEBOOKS ?= notebooks/*.ipynb
outputs: setup
	$(VENV)/bin/course run $(NOTEBOOKS)

# Student copies: solutions replaced by NotImplementedError, outputs cleared (commit student/).
student: setup
	$(VENV)/bin/course release notebooks student $(if $(FORCE),--force)

# The student edition: the student notebooks at its top, the student side of course_utils with the checkers'
# data baked from notebooks' exercise definitions, its own README, Makefile (make lab, make test) and
# requirements; the practice exercises (answers in the edition) are printed (docs/instructors.md).
student-edition: setup
	$(VENV)/bin/course release notebooks student $(if $(FORCE),--force) --edition _build/student-edition

bench: setup
	@for script in benchmarks/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: setup
	$(VENV)/bin/ruff check course_utils tests benchmarks notebooks
	$(VENV)/bin/ruff format --check course_utils tests benchmarks

clean:
	rm -rf $(VENV) data/cache .pytest_cache .ruff_cache .hypothesis artifacts *.egg-info _build site/node_modules deploy/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
