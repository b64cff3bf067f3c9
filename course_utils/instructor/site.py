"""The course as a static book (``make site``): notebooks 00-10 read in a browser, offline, nothing installed.

Not a notebook topic: this is what ``make site`` runs (``python -m course_utils.instructor.site``). Each page is an
instructor notebook with its committed outputs (nothing is executed), except that every exercise is
shown as students get it: the exercise and checker cells come from ``release_notebook`` (solution
replaced by ``raise NotImplementedError``, no outputs). Each page starts with a download link to its
student notebook and how to run it. MathJax and the widget manager are copied from ``site/node_modules``
(npm, pinned in site/package-lock.json) into the book, so reading it fetches nothing from elsewhere.
Saved widget views render as their last state; a widget whose code the book cannot bundle (the
ipycanvas drawing pad) is replaced by a line saying where it runs.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from course_utils.instructor.hub.links import hub_button  # with COURSE_HUB_URL/_REPO set: "open on the class hub"
from course_utils.instructor.notebooks import read_notebook, write_notebook
from course_utils.instructor.release import BEGIN, END, find_exercises, release_notebook
from course_utils.instructor.site_widgets import BUILTIN_WIDGETS, WIDGET_STATE, WIDGET_VIEW, _prune_widgets

__all__ = [
    "SLIDES",
    "BUILTIN_WIDGETS",
    "WIDGET_STATE",
    "WIDGET_VIEW",
    "book_notebook",
    "stage",
    "build",
    "solution_lines",
    "page_lines",
    "main",
]

REPO = Path(__file__).resolve().parents[2]
# The lecture's slide titles each notebook covers (exactly as in the lecture), shown as captions in the navigation.
SLIDES = {
    "01": ("Multi-Layer Perceptron", "Forward Pass"),
    "02": (
        "Regression Algorithms · Linear Regression Pipeline",
        "Binary Classification Algorithms · Binary Logistic Regression Pipeline",
        "Multiclass Logistic Regression Algorithms · Multiclass Logistic Regression Pipeline",
        "Select Optimizer",
    ),
    "03": ("Backpropagation: Chain Rule on Neural Network", "Backward Pass", "Auto-differentiation Packages"),
    "04": ("(Stochastic) Gradient Descent",),
    "05": ("Revisit MLP for MNIST · MNIST hand-written character recognition", "MLP for CIFAR10"),
    "06": ("Convolution Layer",),
    "07": ("Pooling (Subsampling)",),
    "08": ("Put Everything Together", "Multiclass Logistic Regression Algorithms · Select Optimizer"),
    "09": (
        "Multiclass Logistic Regression Algorithms with CNN",
        "Regression Algorithms · Binary Classification Algorithms",
    ),
    "10": ("Convolution Features", "A Bit of History", "AlexNet (2012)", "Image Classification on ImageNet"),
}
NODE_MODULES = REPO / "site" / "node_modules"
# (source under site/node_modules, target under the book's _static): what reading the book needs.
ASSETS = [
    ("mathjax/es5/tex-chtml.js", "mathjax/tex-chtml.js"),
    ("mathjax/es5/input/tex/extensions", "mathjax/input/tex/extensions"),
    ("mathjax/es5/output/chtml", "mathjax/output/chtml"),
    ("mathjax/es5/ui", "mathjax/ui"),
    ("mathjax/es5/a11y", "mathjax/a11y"),
    ("@jupyter-widgets/html-manager/dist", "widgets"),
]
# Source maps; the AMD builds (the book uses embed.js); Font Awesome's formats for browsers without woff2.
UNUSED = ("*.map", "*-amd.js", "*.LICENSE.txt", "*.eot", "*.ttf", "*.svg")
RUN_LINE = (
    "```{{admonition}} Run this notebook yourself\n:class: tip\n"
    "{{download}}`Download the student notebook <downloads/{name}>` (exercises open, no outputs), or in the "
    "course repository run `make lab` (it installs everything the first time) and open `student/{name}`.\n```"
)


def book_notebook(nb, name: str):
    """The page for instructor notebook ``nb``: the student copy, with the instructor's outputs in every
    code cell that is neither an exercise nor a checker, and the run line after the title cell."""
    student = release_notebook(nb, name)
    if "widgets" in nb.metadata:  # the saved views' state (student copies may leave it out)
        student.metadata["widgets"] = json.loads(json.dumps(nb.metadata["widgets"]))
    blank = {cell_id for e in find_exercises(nb, name) for cell_id in (e.cell_id, e.checker_id)}
    source = {cell.get("id"): cell for cell in nb.cells}
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        if cell.id not in blank:
            cell.outputs = nbformat.from_dict(json.loads(json.dumps(source[cell.id].outputs)))
            cell.execution_count = source[cell.id].execution_count
        if cell.metadata.get("jupyter", {}).get("source_hidden"):  # assert-only cells: collapsed, as in the lab
            cell.metadata.setdefault("tags", []).append("hide-input")
    _prune_widgets(student)
    run_line = nbformat.v4.new_markdown_cell(hub_button(name) + RUN_LINE.format(name=name))
    title, _, rest = student.cells[0].source.partition("\n")
    if student.cells[0].cell_type == "markdown" and title.startswith("# ") and rest.strip():
        student.cells[0].source = title  # the run line goes right under the page title
        student.cells.insert(1, nbformat.v4.new_markdown_cell(rest.strip("\n")))
    student.cells.insert(1, run_line)
    return student


def _config(title: str) -> dict:
    return {
        "title": title,
        "author": "the course team",
        "copyright": "2026",
        "only_build_toc_files": True,
        "exclude_patterns": ["downloads/*", "_assets/*"],
        "execute": {"execute_notebooks": "off"},
        "html": {"use_multitoc_numbering": False, "home_page_in_navbar": True},
        "launch_buttons": {"notebook_interface": "jupyterlab", "thebe": False},
        "repository": {"url": "", "path_to_book": "", "branch": "main"},
        "sphinx": {
            "config": {
                # Jupyter Book's own list without thebe and intersphinx, which point at servers
                "extensions": [
                    "sphinx_togglebutton",
                    "sphinx_copybutton",
                    "myst_nb",
                    "jupyter_book",
                    "sphinx_comments",
                    "sphinx_external_toc",
                    "sphinx_design",
                    "sphinx_book_theme",
                ],  # fmt: skip
                "html_static_path": ["_assets"],
                "html_css_files": ["course.css"],
                "html_js_files": ["widgets-mathjax.js", "a11y.js"],
                "mathjax_path": "mathjax/tex-chtml.js",
                "nb_ipywidgets_js": {"widgets/embed.js": {}},
                "html_copy_source": False,
                "suppress_warnings": ["myst.domains"],  # no myst.header: a skipped heading level fails the build
                "html_show_sourcelink": False,
                "myst_dmath_double_inline": True,  # $$...$$ inside a paragraph, as Jupyter renders it
                "html_show_search_summary": False,  # summaries fetch each page: refused on file://
                "html_context": {"default_mode": "light"},  # the figures and widgets are drawn for light
                "html_theme_options": {
                    "search_bar_text": "Search this book...",
                    "use_download_button": False,
                    "use_repository_button": False,
                },
            }
        },
    }


def _toc(names: list[str]) -> dict:
    parts = []
    for name in names[1:]:
        slides = SLIDES.get(name[:2])
        if slides is None:
            raise ValueError(
                f"{name}: no lecture slides listed for it in course_utils.instructor.site.SLIDES; add its entry"
            )
        parts.append({"caption": "Slides: " + " / ".join(slides), "chapters": [{"file": Path(name).stem}]})
    return {"format": "jb-book", "root": Path(names[0]).stem, "parts": parts}


def stage(notebooks: Path, staging: Path, node_modules: Path = NODE_MODULES) -> list[str]:
    """Write the book's sources into ``staging``: pages, student downloads, _toc.yml, _config.yml, assets."""
    paths = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks NN_*.ipynb in {notebooks}")
    missing = [source for source, _ in ASSETS if not (node_modules / source).exists()]
    if missing:
        raise FileNotFoundError(f"{missing} not found in {node_modules}: run `npm ci` in site/ (make site does)")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "downloads").mkdir(parents=True)
    for path in paths:
        instructor = read_notebook(path)
        write_notebook(release_notebook(instructor, path.name), staging / "downloads" / path.name)
        nbformat.write(book_notebook(instructor, path.name), staging / path.name)
    names = [path.name for path in paths]
    (staging / "_toc.yml").write_text(json.dumps(_toc(names), indent=1, ensure_ascii=False))  # JSON is YAML
    (staging / "_config.yml").write_text(json.dumps(_config("CNN course companion"), indent=1))
    for source, target in ASSETS:
        if (node_modules / source).is_dir():
            shutil.copytree(node_modules / source, staging / "_assets" / target, ignore=shutil.ignore_patterns(*UNUSED))
        else:
            (staging / "_assets" / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(node_modules / source, staging / "_assets" / target)
    for name in ("course.css", "widgets-mathjax.js", "a11y.js"):
        shutil.copy2(REPO / "site" / name, staging / "_assets" / name)
    return names


def build(notebooks: Path = REPO / "notebooks", out: Path = REPO / "_build" / "site") -> Path:
    """Stage and build the book into ``out`` (emptied first); return the landing page. Warnings fail the build."""
    from jupyter_book.sphinx import build_sphinx

    staging, doctrees = out.parent / f"{out.name}-src", out.parent / f"{out.name}-doctrees"
    stage(notebooks, staging)
    for folder in (out, doctrees):
        shutil.rmtree(folder, ignore_errors=True)
    result = build_sphinx(
        staging, out, path_config=staging / "_config.yml", doctreedir=doctrees, noconfig=True, freshenv=True,
        confoverrides={"external_toc_path": (staging / "_toc.yml").as_posix(), "latex_individualpages": False},
        warningiserror=True, keep_going=True, quiet=True,
    )  # fmt: skip
    if result != 0:
        raise RuntimeError(f"the book did not build ({result}); the warnings above say why")
    for source_map in out.rglob("*.map"):  # the theme's, for its developers: 3.5 MB no reader needs
        source_map.unlink()
    return out / "index.html"


def solution_lines(nb) -> list[str]:
    """Every non-empty line inside a solution block of instructor notebook ``nb``, stripped."""
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


class _Text(HTMLParser):
    BLOCKS = {"p", "div", "pre", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "script"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def page_lines(page: str) -> set[str]:
    """The stripped lines of text an HTML page shows or carries (tags removed, entities decoded, scripts kept)."""
    parser = _Text()
    parser.feed(page)
    text = html.unescape("".join(parser.parts))
    return {line.strip() for line in text.splitlines() if line.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.instructor.site", description="Build the course book."
    )
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks", help="instructor notebooks")
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "site", help="output folder")
    args = parser.parse_args(argv)
    try:
        index = build(args.notebooks, args.out)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"The book is in {args.out}: open {index} in a browser.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
