"""The student edition (course release --edition): what it holds, and that its checkers judge as the full ones.

Built once per session (the ``edition`` fixture of conftest.py, about a minute): tests/test_edition_leaks.py
looks for the solutions in it, tests/test_release.py runs its notebooks.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np

from course_utils.checking.plain import dumps, loads
from course_utils.checking.registry import get, numbers
from course_utils.instructor.edition.bake import judged
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

    def built(root):  # data/ is what running the edition's notebooks writes (its .gitignore has it), not the build
        paths = (p.relative_to(root) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        return sorted(rel for rel in paths if rel.parts[0] != "data")

    files = built(target)
    assert files == built(again)
    changed = [str(rel) for rel in files if (target / rel).read_bytes() != (again / rel).read_bytes()]
    assert not changed, f"two builds from the same source differ in {changed}"


_JUDGE_SCRIPT = (
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


def _judged_by_the_edition(target: Path, outcomes: Path) -> dict:
    """{"differ": [(number, case index, the full checker's message, the edition's)], "count": {number: answers}}
    for the outcomes file's (number, case index, answer, the full checker's message), judged by the edition's
    package alone."""
    done = subprocess.run(
        [sys.executable, "-c", _JUDGE_SCRIPT, str(target), str(outcomes)],
        env=_edition_env(target),
        cwd=target,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_edition_judges_every_kept_answer_as_the_full_checker(edition):
    """The reference's answer (a value exercise's answer), each known mistake's answer and garbage, on every
    visible case: the edition's checker (the package alone, nothing of the instructor's on the path) gives the
    same message."""
    target, outcomes = edition
    result = _judged_by_the_edition(target, outcomes)
    assert not result["differ"], "the edition judges otherwise:\n" + "\n".join(map(str, result["differ"][:5]))
    assert sorted(result["count"]) == sorted(numbers()), "every exercise has answers judged"
    for number in SAFE:
        assert result["count"][number] >= 3, f"{number}: too few answers judged ({result['count'][number]})"
    for number in numbers():  # a value exercise: its answer and every known mistake of examples(), and garbage
        if get(number).examples:
            assert result["count"][number] >= len(get(number).examples()) + 2, number


def test_the_edition_names_any_epsilon_as_the_full_checker(edition, tmp_path):
    """2.2 and 2.3: a loss clipped to [ε, 1 − ε], or with ε inside the log, for ε values nothing baked (the edition
    bakes the probabilities, not the losses): the edition names the ε as the full checker does."""
    from test_exercises_02 import _bernoulli_clipped, _categorical_clipped

    target, _ = edition
    rows, named = [], 0
    for number, answer in (("2.2", _bernoulli_clipped), ("2.3", _categorical_clipped)):
        exercise = get(number)
        for index, case in enumerate(exercise.cases()):
            for eps in (3.3e-5, 7e-9, 2.2e-13):
                for form in ("clip", "log"):
                    with np.errstate(all="ignore"):
                        value = answer(eps, form)(*case)
                    message = judged(exercise, case, value)
                    named += f"(ε = {eps:.2g})" in (message or "")
                    rows.append((number, index, value, message))
    assert named >= 10, f"the ε is named in only {named} messages"
    (tmp_path / "eps.json").write_text(dumps(rows))
    result = _judged_by_the_edition(target, tmp_path / "eps.json")
    assert not result["differ"], "the edition names ε otherwise:\n" + "\n".join(map(str, result["differ"][:5]))


def test_no_sealed_answer_is_in_the_clear(edition):
    """1.1's a and 1.2's choices ship as salted hashes only: neither answers.json nor the generated modules hold
    them (a single number, like 1.1's f, is not looked for: 2.0 is everywhere)."""
    target, _ = edition
    folder = target / "course_utils" / "exercises"
    texts = "\n".join(path.read_text() for path in sorted(folder.glob("*.py")))
    baked = loads((folder / "answers.json").read_text())
    arrays, pairs = [], set()

    def walk(value):
        if isinstance(value, dict):
            pairs.update((str(k), v) for k, v in value.items() if isinstance(v, str))
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                arrays.append(np.asarray(value, dtype=np.float64))
            for item in value:
                walk(item)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
            arrays.append(value.astype(np.float64).ravel())

    walk(baked)
    by_hand = get("1.1").examples()[0]
    for part in ("a", "h"):
        accepted = np.asarray(by_hand[part], dtype=np.float64)
        assert not any(a.shape == accepted.shape and np.allclose(a, accepted) for a in arrays), part
        assert str(by_hand[part]) not in texts, part
    for task, choice in get("1.2").examples()[0].items():
        assert (task, choice) not in pairs, task
        assert f"{task!r}: {choice!r}" not in texts and f'"{task}": "{choice}"' not in texts, task
    assert "OUTPUT_TASKS" not in texts and "HAND_WEIGHTS" not in texts


def test_the_welcome_describes_the_edition(edition):
    """The edition's 00_welcome speaks of what the edition has: no my-work/, student/ or notebooks/ folder, and
    every file or folder its text names is there."""
    target, _ = edition
    nb = nbformat.read(str(target / "00_welcome.ipynb"), as_version=4)
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for absent in ("my-work", "student/", "notebooks/", "make student", "saved in the notebooks", "`course "):
        assert absent not in text, absent
    named = set(re.findall(r"`([\w.-]+(?:/|\.ipynb|\.txt|\.md))`", text)) | {"course_utils/"}
    assert "00_welcome.ipynb" in named and "requirements.txt" in named, named
    made_later = {"data/"}  # where load_mnist puts the data it downloads (git-ignored)
    assert "data/" in (target / ".gitignore").read_text().split()
    missing = [name for name in sorted(named - made_later) if not (target / name.rstrip("/")).exists()]
    assert not missing, f"the edition's welcome names what the edition lacks: {missing}"


def test_every_exercise_is_safe_or_practice():
    assert sorted([*SAFE, *PRACTICE], key=lambda n: tuple(map(int, n.split(".")))) == numbers()
    assert not set(SAFE) & set(PRACTICE)
