"""No oracle in the grading kernel: submissions that look for the course's answers where they run.

The grading kernel imports the student edition's package reduced to the call half
(``course_utils.instructor.grade.kernel_package``): no ``course_utils.instructor``, no baked answers, no
judges or visible cases, no fallback a check could bind. Each attack below is a notebook written here
from the grading fixture (tests/fixtures/source/90_fixture.ipynb), graded beside two honest students;
its verdict is asserted, and the honest students keep theirs. Rows are asserted, never wall times.
"""

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor.edition.safety import PRACTICE
from course_utils.instructor.grade.grading import Options, grade
from course_utils.instructor.grade.kernel_package import CACHE, JUDGED_OUTSIDE, kernel_package
from course_utils.instructor.grade.reports import graded_as, write_feedback, write_report
from course_utils.instructor.grade.sandbox import Sandbox, kernel_python, sandbox_problem

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE = FIXTURES / "source"
HONEST = ("alice", "bob")
INSTRUCTOR_SOURCE = REPO / "course_utils" / "instructor" / "exercises" / "nb02.py"
EDITION_ANSWERS = CACHE / "edition" / "course_utils" / "exercises" / "answers.json"

PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(
    PROBLEM is not None and not os.environ.get("CI"), reason=f"no sandbox here: {PROBLEM}"
)
LIMITS = Options(cell_timeout=60, notebook_timeout=600, grace=3, memory_limit_gb=4, seed=5)

# Everything a student could look for in the kernel; "found" lists what was there (nothing, in grading).
HUNT = f"""
import glob, importlib, os, sys
_p = "course_utils"
_i = _p + ".instr" + "uctor"  # split: the static scan (the second line) would catch the names whole
found = []
for name in (_i, _i + ".exercises.nb02", _i + ".edition"):
    try:
        importlib.import_module(name)
        found.append(name)
    except ImportError:
        pass
oracle = importlib.import_module(_p + ".checking.ora" + "cle")
reg = importlib.import_module(_p + ".checking.reg" + "istry")
runner = importlib.import_module(_p + ".checking.run" + "ner")
if oracle.baked_mode():
    found.append("baked answers in use")
package = os.path.dirname(os.path.dirname(oracle.__file__))
found += glob.glob(package + "/**/*.json", recursive=True)
for path in ({str(INSTRUCTOR_SOURCE)!r}, {str(EDITION_ANSWERS)!r}, "/proc/self/cwd/course_utils/instructor"):
    if os.path.exists(path):
        found.append(path)
exercise = getattr(reg, "g" + "et")("2.1")
if exercise.fallback or exercise.cases():
    found.append(f"fallback {{exercise.fallback!r}} or visible cases")
namespace = {{}}
runner.use_fallback(exercise, namespace)
found += [f"bound {{name}}" for name in namespace]
nb02 = importlib.import_module(_p + ".exercises.nb0" + "2")
found += [name for name, value in vars(nb02).items() if isinstance(value, oracle.Oracle) or "gaussian" in name]
"""

ATTACKS = {
    # looks for every answer, baked or not, and fails saying what it found
    "mallory_hunts_answers": {
        "ex2-1": HUNT + "\ndef gaussian_nll(pred, y, sigma=1.0):\n    raise RuntimeError(f'found: {found!r}')\n",
    },
    # a wrong answer checked in its own cell binds the course's version there (in a notebook); then calls
    # it from a thread, which the run-time hook does not watch (the attack)
    "mallory_relies_on_fallback": {
        "ex2-1": (
            "import threading\n\ndef gaussian_nll(pred, y, sigma=1.0):\n    return 0.0, pred * 0\n\n"
            "try:\n    check_gaussian_nll(gaussian_nll)\nexcept Exception:\n    pass\n"
            "_course = gaussian_nll\n\ndef gaussian_nll(pred, y, sigma=1.0):\n    out = []\n"
            "    worker = threading.Thread(target=lambda: out.append(_course(pred, y, sigma)))\n"
            "    worker.start()\n    worker.join()\n    return out[0]\n"
        ),
        # not attempted: the check binds the course's version in a notebook; here there is none to bind
        "ex0-1": (
            "def flat_length(height, width, channels):\n    raise NotImplementedError('Exercise 0.1: write it')\n\n"
            "check_flat_length(flat_length)\n_course = flat_length\n\n"
            "def flat_length(height, width, channels):\n    return _course(height, width, channels)\n"
        ),
    },
}

EXPECTED = {
    ("mallory_hunts_answers", "2.1"): ("failed", "found: []"),
    ("mallory_relies_on_fallback", "2.1"): ("failed", "0 of "),
    ("mallory_relies_on_fallback", "0.1"): ("not attempted", "Exercise 0.1"),
    ("alice", "0.1"): ("passed", ""),
    ("alice", "5.2"): ("passed", ""),
    ("alice", "2.1"): ("passed", ""),
    ("bob", "0.1"): ("passed", ""),
    ("bob", "5.2"): ("failed", "biases are missing"),
    ("bob", "2.1"): ("passed", ""),
}


def _attack(folder: Path, cells: dict[str, str]) -> None:
    nb = nbformat.read(SOURCE / "90_fixture.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.get("id") in cells:
            cell.source = cells[cell.get("id")]
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "90_fixture.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle") / "class"
    for name, cells in ATTACKS.items():
        _attack(root / name, cells)
    for name in HONEST:
        shutil.copytree(FIXTURES / "submissions" / name, root / name)
    results = grade([root], SOURCE, jobs=2, options=LIMITS)
    return {(r.student, r.exercise): r for r in results}, results


@needs_sandbox
@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: "-".join(k))
def test_each_hunt_for_the_answers_finds_nothing_and_the_honest_students_keep_theirs(graded, key):
    row = graded[0][key]
    status, message = EXPECTED[key]
    assert row.status == status and message in row.message, row
    if row.status != "passed":
        assert row.points == 0, row


@needs_sandbox
def test_the_kernel_sees_the_student_edition_without_answers_judges_or_fallbacks(tmp_path):
    """What the kernel's Python finds, asked directly inside a sandbox like the grader's."""
    probe = (
        "import json, importlib, os\nimport course_utils\nfrom course_utils.checking import oracle, registry\n"
        "try:\n    import course_utils.instructor\n    instructor = 'imported'\n"
        "except ImportError as err:\n    instructor = type(err).__name__\n"
        "numbers = registry.numbers()\n"
        "print(json.dumps({'package': course_utils.__file__, 'instructor': instructor, 'baked': oracle.baked_mode(),\n"
        "    'fallbacks': [n for n in numbers if registry.get(n).fallback],\n"
        "    'cases': [n for n in numbers if registry.get(n).cases()],\n"
        "    'passed': sorted({registry.get(n).passed for n in numbers}),\n"
        "    'files': sorted(f for _, _, fs in os.walk(os.path.dirname(course_utils.__file__)) for f in fs\n"
        "                    if not f.endswith(('.py', '.pyc')))}))\n"
    )
    package = kernel_package()
    sandbox = Sandbox(tmp_path / "scratch", tmp_path / "sockets", package=package)
    sandbox.prepare()
    run = subprocess.run(
        [*sandbox.argv(), str(kernel_python()), "-c", probe],
        capture_output=True,
        text=True,
        preexec_fn=sandbox.set_limits,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["package"] == str(package / "course_utils" / "__init__.py")
    assert seen["instructor"] == "ModuleNotFoundError"
    assert not seen["baked"] and not seen["fallbacks"] and not seen["cases"], seen
    assert seen["passed"] == [JUDGED_OUTSIDE]
    assert not [f for f in seen["files"] if f.endswith(".json")], seen["files"]  # no answers.json


def test_the_kernel_package_is_reduced_to_the_call_half(tmp_path):
    """No oracle, judge, mistake or fallback left in the kernel's exercise modules; every exercise kept."""
    package = kernel_package() / "course_utils"
    assert not (package / "instructor").exists()
    assert not list(package.rglob("*.json"))
    for module in sorted((package / "exercises").glob("nb*.py")):
        text = module.read_text()
        assert "oracle(" not in text and "@oracle" not in text and "fallback=" not in text, module.name


def test_the_report_and_the_feedback_say_which_exercises_are_practice_or_measured_in_the_kernel(graded, tmp_path):
    assert "practice" in graded_as("5.2") and "practice" in graded_as("0.1") and graded_as("2.1") == ""
    assert graded_as("10.3").startswith("measured with course code in the kernel") and "practice" in graded_as("10.3")
    assert "10.3" in PRACTICE and "2.1" not in PRACTICE
    write_report(graded[1], tmp_path / "report.csv")
    with open(tmp_path / "report.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(handle)}
    assert rows["alice", "5.2"]["graded_as"].startswith("practice") and rows["alice", "2.1"]["graded_as"] == ""
    feedback = write_feedback(graded[1], tmp_path / "feedback")
    alice = next(p for p in feedback if p.stem == "alice").read_text()
    practice = [r for r in graded[1] if r.student == "alice" and r.exercise in PRACTICE]
    assert practice and alice.count("A practice exercise") == len(practice)  # 0.1 and 5.2 in each notebook


def test_a_given_edition_gives_the_same_kernel_package_and_a_wrong_one_is_refused(tmp_path, capsys):
    from course_utils.instructor.cli import main

    built = kernel_package()  # the default: the edition built into the cache
    assert kernel_package(CACHE / "edition") == built  # --edition _build/grading/edition: the same package
    (tmp_path / "course_utils").mkdir()
    with pytest.raises(FileNotFoundError, match="no student edition's package"):
        kernel_package(tmp_path, cache=tmp_path / "cache")
    path = str(FIXTURES / "submissions" / "alice" / "90_fixture.ipynb")
    out = str(tmp_path / "x.csv")
    assert main(["grade", path, "--source", str(SOURCE), "--out", out, "--edition", str(tmp_path / "none")]) == 2
    assert "no course_utils/" in capsys.readouterr().err


def test_a_stale_cached_edition_is_built_again(tmp_path):
    """The default edition is rebuilt when the course's package no longer matches its STAMP."""
    from course_utils.instructor.grade.kernel_package import package_hash

    stale = tmp_path / "cache" / "edition"
    (stale / "course_utils").mkdir(parents=True)
    (stale / "STAMP").write_text("from another version of the course\n")
    folder = kernel_package(cache=tmp_path / "cache")
    assert (stale / "STAMP").read_text().strip() == package_hash(REPO / "course_utils")
    assert (stale / "course_utils" / "exercises" / "answers.json").is_file()  # the whole edition, baked
    assert folder.parent == (tmp_path / "cache").resolve() and not list(folder.rglob("*.json"))
