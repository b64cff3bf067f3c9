"""``course similarity``: copies are flagged, independent correct answers are not, short answers are listed.

The answers are files in tests/fixtures/similarity/: five (or more) correct answers each of 2.3, 6.2
and 7.3 written independently (loops, vectorised, einsum, strides, ...), and copies/ (one student's
answer with its names changed and its statements reordered, the instructor's solution retyped with
new names). Each becomes the exercise cell of a copy of the released notebook, as a student hands it in.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_utils.checking import Raised
from course_utils.checking.registry import get as get_definition
from course_utils.checking.runner import judge_case, run_case
from course_utils.instructor.cli import main
from course_utils.instructor.grade.similarity import Answer, Settings, find_similar
from course_utils.instructor.grade.similarity_report import collect_answers, course_code
from course_utils.instructor.grade.submissions import load_sources
from course_utils.instructor.notebooks import read_notebook, write_notebook

REPO = Path(__file__).resolve().parent.parent
ANSWERS = REPO / "tests" / "fixtures" / "similarity"
NOTEBOOKS = {"2.3": "02_probabilistic_losses", "6.2": "06_convolution", "7.3": "07_pooling"}
INDEPENDENT = {number: sorted((ANSWERS / number).glob("*.txt")) for number in NOTEBOOKS}


def _hand_in(folder: Path, student: str, number: str, code: str) -> Path:
    """``student``'s copy of the released notebook with ``code`` as the answer to ``number``."""
    path = folder / student / f"{NOTEBOOKS[number]}.ipynb"
    nb = read_notebook(path if path.exists() else REPO / "student" / path.name)
    cell_id = "ex" + number.replace(".", "-")
    (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
    cell.source = code
    path.parent.mkdir(parents=True, exist_ok=True)
    write_notebook(nb, path)
    return path


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("submissions")
    for number, files in INDEPENDENT.items():
        for path in files:
            _hand_in(folder, path.stem, number, path.read_text())
    for path in sorted((ANSWERS / "copies").glob("*.txt")):
        _hand_in(folder, f"copy_{path.stem}", path.name.split("_")[0], path.read_text())
    _hand_in(folder, "terse", "6.2", "def conv_forward(x, w, b, stride=1, pad=0):\n    return conv(x, w, b)\n")
    return folder


@pytest.fixture(scope="module")
def findings(class_folder):
    answers, skipped = collect_answers(sorted(class_folder.rglob("*.ipynb")), REPO / "notebooks")
    assert skipped == []
    return find_similar(answers, REPO / "notebooks", REPO / "student", course_code(REPO / "course_utils"))


def _student(label: str) -> str:
    return label.split(":", 1)[1].split("/")[0]


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_the_independent_answers_are_correct(number):
    definition = get_definition(number)
    assert len(INDEPENDENT[number]) >= 5
    for path in INDEPENDENT[number]:
        namespace = {"np": np}
        exec(path.read_text(), namespace)
        for case in [*definition.cases(), *definition.fresh(np.random.default_rng(1))]:
            try:
                outcome = run_case(definition, namespace[definition.target], case)
            except Exception as err:
                outcome = Raised(type(err).__name__, str(err))
            assert judge_case(definition, case, outcome) is None, path.name


def test_independent_answers_are_not_flagged_against_each_other(findings):
    independent = {path.stem for files in INDEPENDENT.values() for path in files}
    between = [
        p for p in findings.pairs if p.kind == "student" and {_student(p.first), _student(p.second)} <= independent
    ]
    assert between == []
    assert findings.compared < findings.possible  # the index spared most comparisons


def test_a_copy_with_names_changed_and_statements_reordered_is_flagged(findings):
    flagged = {(p.exercise, frozenset({_student(p.first), _student(p.second)})) for p in findings.pairs}
    assert ("6.2", frozenset({"copy_6.2_window_loops_renamed_reordered", "window_loops"})) in flagged
    assert ("2.3", frozenset({"copy_2.3_take_along_renamed_reordered", "take_along"})) in flagged


def test_the_instructor_solution_retyped_with_new_names_is_flagged(findings):
    retyped = [p for p in findings.pairs if p.kind == "solution" and "solution_retyped" in p.first]
    assert [(p.exercise, p.second) for p in retyped] == [("7.3", "solution:07_pooling/7.3")]
    assert retyped[0].first_similarity >= Settings().threshold


def test_a_short_answer_is_listed_not_flagged(findings):
    assert [(a.student, a.exercise) for a, _ in findings.short] == [("terse", "6.2")]
    assert not any("terse" in p.first or "terse" in p.second for p in findings.pairs)


def test_the_command_writes_the_csv_and_copydetects_report(class_folder, tmp_path, capsys):
    hostile = class_folder / "x<img src=x onerror=alert(1)>" / "06_convolution.ipynb"
    hostile.parent.mkdir()
    hostile.write_bytes((class_folder / "window_loops" / "06_convolution.ipynb").read_bytes())
    (class_folder / "linked_student").mkdir()
    (class_folder / "linked_student" / "07_pooling.ipynb").symlink_to(REPO / "notebooks" / "07_pooling.ipynb")
    try:
        code = main(["similarity", str(class_folder), "--source", str(REPO / "notebooks"), "--out", str(tmp_path)])
    finally:
        hostile.unlink()
        hostile.parent.rmdir()
        (class_folder / "linked_student" / "07_pooling.ipynb").unlink()
        (class_folder / "linked_student").rmdir()
    assert code == 0
    printed = capsys.readouterr().out
    assert re.search(
        r"skipped .*linked_student/07_pooling.ipynb: not opened: a symbolic link",
        printed,
    )
    with open(tmp_path / "pairs.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(float(r["first_similarity"]) >= 0.6 or float(r["second_similarity"]) >= 0.6 for r in rows)
    assert any(r["kind"] == "student" and "x<img" in r["first"] + r["second"] for r in rows)
    short = (tmp_path / "short.csv").read_text(encoding="utf-8").splitlines()
    assert short == ["student,notebook,exercise,tokens", short[1]] and short[1].startswith("terse,06_convolution,6.2,")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "copydetect" in report.lower() and "highlight-red" in report
    assert "<img src=x" not in report  # a file name is not markup in the instructor's browser


def test_a_passage_most_of_the_class_writes_is_common_not_copied_but_the_solution_still_counts():
    # 12 students hand in the 7.3 loops of the instructor's solution, each with a line of their own: more
    # than the common limit (10) hold those fingerprints, so no two of them are flagged against each other
    # for it, while each is flagged against the solution it matches.
    solution = read_notebook(REPO / "notebooks" / "07_pooling.ipynb")
    (cell,) = [c for c in solution.cells if c.get("id") == "ex7-3"]
    lines = cell.source.splitlines()
    answers = []
    for index in range(12):
        own = f"    note_{index} = np.arange({index}) * {index} + np.ones(({index}, {index + 1})).sum()"
        answers.append(Answer(f"s{index:02d}", "07_pooling", "7.3", "\n".join([lines[0], own, *lines[1:]])))
    findings = find_similar(answers, REPO / "notebooks", REPO / "student", {})
    assert [p for p in findings.pairs if p.kind == "student"] == []
    assert sorted(_student(p.first) for p in findings.pairs if p.kind == "solution") == [a.student for a in answers]
    assert Settings().common_limit(12) == 10 and Settings().common_limit(300) == 30


def test_the_docs_state_the_settings_the_code_uses():
    docs = " ".join((REPO / "docs" / "instructors.md").read_text(encoding="utf-8").split())
    settings = Settings()
    assert f"k = {settings.noise} tokens" in docs and f"every match of {settings.guarantee} or more" in docs
    assert f"`--threshold` (default {settings.threshold:g})" in docs
    assert f"`--min-tokens` (default {settings.min_tokens})" in docs
    assert (
        settings.common_share == 0.1
        and f"a tenth of the answers to an exercise (at least {settings.common_floor})" in docs
    )
    exercises = sum(len(s.exercises) for s in load_sources(str(REPO / "notebooks")).values())
    assert f"{exercises} × {300 * 299 // 2:,} pairs" in docs


def test_the_report_is_the_same_in_every_process(class_folder, tmp_path):
    # copydetect hashes k-grams with hash(), which PYTHONHASHSEED changes; the course hashes them with BLAKE2b
    written = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        command = [sys.executable, "-m", "course_utils.instructor.cli", "similarity", str(class_folder)]
        command += ["--source", str(REPO / "notebooks"), "--out", str(out)]
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=REPO, timeout=1800)
        written.append((out / "pairs.csv").read_bytes() + (out / "short.csv").read_bytes())
    assert written[0] == written[1] and written[0].count(b"\n") > 3
