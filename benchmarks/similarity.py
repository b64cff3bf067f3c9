"""How long ``course similarity`` takes for a class: 300 students × every exercise of the course, generated.

Each student answers every exercise of notebooks/ (32). The answers are generated, seeded:

* 60 %: code of their own: the exercise's starter line, then 6-14 statements drawn from a small
  grammar (assignments of numpy calls, arithmetic, slices, loops with a body), names drawn at random;
* 30 %: the instructor's solution with one statement of their own slipped in somewhere (the worst
  case for the index: every one of them shares most fingerprints with every other);
* 10 %: another student's answer, copied.

The comparison is ``course_utils.instructor.grade.similarity.find_similar`` with the real solutions,
starter cells and course code; the clock covers fingerprinting, the index and the comparisons.
Usage: python benchmarks/similarity.py [--fast] [--students N]
    --fast: 30 students (a smoke test).
The last line is the time for the class.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from course_utils.instructor.grade.similarity import Answer, find_similar
from course_utils.instructor.grade.similarity_report import course_code
from course_utils.instructor.grade.submissions import load_sources

REPO = Path(__file__).resolve().parent.parent
NAMES = "a b c x y z acc out res grad total tmp idx row col win part vals best n k h w".split()
CALLS = "np.sum np.max np.exp np.log np.zeros np.ones np.mean np.dot np.abs np.argmax np.pad np.where".split()


def _expression(rng: random.Random, depth: int = 0) -> str:
    choice = rng.random()
    if depth > 2 or choice < 0.3:
        return rng.choice(NAMES) if rng.random() < 0.7 else str(rng.randint(0, 9))
    if choice < 0.55:
        return f"{rng.choice(CALLS)}({_expression(rng, depth + 1)}, axis={rng.randint(0, 3)})"
    if choice < 0.8:
        return f"{_expression(rng, depth + 1)} {rng.choice('+-*/')} {_expression(rng, depth + 1)}"
    return f"{rng.choice(NAMES)}[{rng.choice(NAMES)}:{rng.choice(NAMES)} + {rng.randint(1, 4)}]"


def _statements(rng: random.Random, count: int, indent: str = "    ") -> list[str]:
    lines = []
    for _ in range(count):
        if rng.random() < 0.15:
            lines.append(f"{indent}for {rng.choice(NAMES)} in range({rng.choice(NAMES)}):")
            lines += _statements(rng, rng.randint(1, 3), indent + "    ")
        else:
            lines.append(f"{indent}{rng.choice(NAMES)} = {_expression(rng)}")
    return lines


def generate(students: int, seed: int = 0) -> list[Answer]:
    """Every student's answer to every exercise of notebooks/, as described above."""
    rng = random.Random(seed)
    sources = load_sources(str(REPO / "notebooks"))
    answers: list[Answer] = []
    for stem, source in sources.items():
        cells = {cell.get("id"): cell.source for cell in source.nb.cells}
        for exercise in source.exercises:
            solution = cells[exercise.cell_id].splitlines()
            own = []
            for index in range(students):
                kind = rng.random()
                if kind < 0.1 and own:
                    code = rng.choice(own)
                elif kind < 0.4:
                    lines = list(solution)
                    lines.insert(rng.randint(1, len(lines)), _statements(rng, 1)[0])
                    code = "\n".join(lines)
                else:
                    code = "\n".join([solution[0], *_statements(rng, rng.randint(6, 14)), "    return out"])
                    own.append(code)
                answers.append(Answer(f"student{index:03d}", stem, exercise.number, code))
    return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="30 students")
    parser.add_argument("--students", type=int, default=300, help="students (default 300)")
    args = parser.parse_args()
    students = 30 if args.fast else args.students
    answers = generate(students)
    exercises = len({a.exercise for a in answers})
    course = course_code(REPO / "course_utils")
    start, cpu = time.perf_counter(), time.process_time()
    findings = find_similar(answers, REPO / "notebooks", REPO / "student", course)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{len(answers)} answers; {len(findings.pairs)} pairs flagged, {len(findings.short)} too short")
    print(f"{cpu:.1f} s of CPU; {findings.compared / max(cpu, 1e-9):.0f} comparisons per CPU second, all included")
    print(
        f"{students} students x {exercises} exercises: {seconds:.1f} s, "
        f"{findings.compared} of {findings.possible} pairs compared"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
