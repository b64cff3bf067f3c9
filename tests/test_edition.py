"""The student edition (course release --edition): what it holds, and that its checkers judge as the full ones.

Built once per session (the ``edition`` fixture of conftest.py, about a minute): tests/test_edition_leaks.py
looks for the solutions in it, tests/test_release.py runs its notebooks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from course_utils.checking.registry import numbers
from course_utils.instructor.edition.build import build_edition
from course_utils.instructor.edition.safety import PRACTICE, SAFE

REPO = Path(__file__).resolve().parent.parent

# Run with the edition alone on the path: every kept answer judged again by the edition's checker.


def _edition_env(edition: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(edition), "COURSE_FAST": "1"}


def test_the_edition_holds_the_student_side_only(edition):
    target, _ = edition
    assert (target / "00_welcome.ipynb").is_file() and (target / "Makefile").is_file()
    assert not (target / "course_utils" / "instructor").exists()
    assert not list(target.rglob("*instructor*"))
    requirements = (target / "requirements.txt").read_text()
    assert "torch==" in requirements and "nbval" not in requirements and "playwright" not in requirements
    for path in target.rglob("*.py"):
        assert "course_utils.instructor" not in path.read_text(), f"{path} names the instructor side"


def test_the_edition_is_the_same_bytes_each_time(edition, tmp_path):
    target, _ = edition
    again = build_edition(REPO / "notebooks", tmp_path / "again")
    files = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert files == sorted(
        p.relative_to(again) for p in again.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    changed = [str(rel) for rel in files if (target / rel).read_bytes() != (again / rel).read_bytes()]
    assert not changed, f"two builds from the same source differ in {changed}"


def test_the_edition_judges_every_kept_answer_as_the_full_checker(edition):
    """The reference's answer, each known mistake's answer and garbage, on every visible case: the edition's
    checker (the package alone, nothing of the instructor's on the path) gives the same message."""
    target, outcomes = edition
    script = (
        "import json, sys\n"
        "import course_utils\n"
        "assert course_utils.__file__.startswith(sys.argv[1]), course_utils.__file__\n"
        "from course_utils.checking.plain import loads\n"
        "from course_utils.checking.registry import get\n"
        "from course_utils.checking.runner import judge_case\n"
        "differ, count = [], {}\n"
        "for number, index, value, expected in loads(open(sys.argv[2]).read()):\n"
        "    exercise = get(number)\n"
        "    outcome = {'value': value, 'changed': []}  # loads gives the plain data the judge gets\n"
        "    try:\n"
        "        message = judge_case(exercise, exercise.cases()[index], outcome)\n"
        "    except Exception as err:\n"
        "        message = f'<{type(err).__name__}>'\n"
        "    count[number] = count.get(number, 0) + 1\n"
        "    if message != expected:\n"
        "        differ.append((number, index, expected, message))\n"
        "print(json.dumps({'differ': differ, 'count': count}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target), str(outcomes)],
        env=_edition_env(target),
        cwd=target,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result["differ"], "the edition judges otherwise:\n" + "\n".join(map(str, result["differ"][:5]))
    assert sorted(result["count"]) == sorted(numbers()), "every exercise has answers judged"
    for number in SAFE:
        assert result["count"][number] >= 3, f"{number}: too few answers judged ({result['count'][number]})"


def test_every_exercise_is_safe_or_practice():
    assert sorted([*SAFE, *PRACTICE], key=lambda n: tuple(map(int, n.split(".")))) == numbers()
    assert not set(SAFE) & set(PRACTICE)
