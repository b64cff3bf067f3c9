"""``course grade --shard K/N --seed S`` and ``course merge``: the merged files are a single run's, byte for byte.

Graded with the sandboxed grader on a subset of tests/fixtures/submissions (honest students, a file that
is not JSON, one matching no notebook, one renamed, one named by the file, one student with two files).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from course_utils.instructor.cli import build_parser, main
from course_utils.instructor.grade.intake import Skipped, Submission
from course_utils.instructor.grade.reports import graded_as
from course_utils.instructor.grade.sandbox import sandbox_problem
from course_utils.instructor.grade.shards import ShardError, assign, parse_shard, split

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE = FIXTURES / "source"
NAMES = ["alice/90_fixture.ipynb", "bob/90_fixture.ipynb", "carol/90_fixture.ipynb", "grace/90_fixture.ipynb"]
NAMES += ["judy/42_unknown.ipynb", "leo/my homework.ipynb", "kimlee_1234_5678_90_fixture.ipynb"]
N = 3


def test_parse_shard_counts_from_zero_and_names_bad_values():
    assert parse_shard("0/4") == (0, 4) and parse_shard("3/4") == (3, 4)
    for bad in ("4/4", "-1/4", "1", "a/b", "1/0"):
        with pytest.raises(ShardError, match="K/N"):
            parse_shard(bad)


def test_students_are_shared_out_evenly_and_the_same_way_every_time():
    students = [f"student{i:03d}" for i in range(301)]
    shards = assign(students, 4)
    sizes = sorted(sum(v == k for v in shards.values()) for k in range(4))
    assert sizes == [75, 75, 75, 76]
    assert assign(reversed(students), 4) == shards  # the order given does not matter


def _files(tmp: Path) -> list[Path]:
    """The subset, plus a second file of alice's under another name (one student, one shard; the intake refuses
    two files for one notebook, and both rows must come from her shard)."""
    paths = [FIXTURES / "submissions" / name for name in NAMES]
    extra = tmp / "inbox" / "alice" / "alice_90_fixture (1).ipynb"
    extra.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "submissions" / "carol" / "90_fixture.ipynb", extra)
    return [*paths, extra]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}")
def test_merged_shards_equal_one_run_with_the_same_seed(tmp_path, capsys):
    files = [str(p) for p in _files(tmp_path)]
    common = ["--source", str(SOURCE), "--seed", "20261205", "--jobs", "2"]
    assert main(["grade", *files, *common, "--out", str(tmp_path / "single" / "report.csv")]) == 0
    shard_outputs = []
    for k in range(N):
        out = tmp_path / f"shard{k}" / "report.csv"
        out.parent.mkdir()
        assert main(["grade", *files, *common, "--shard", f"{k}/{N}", "--out", str(out)]) == 0
        shard_outputs.append(out.parent)
    capsys.readouterr()
    (tmp_path / "merged").mkdir()
    assert main(["merge", *map(str, shard_outputs), "--out", str(tmp_path / "merged" / "report.csv")]) == 0
    single, merged = _outputs(tmp_path / "single"), _outputs(tmp_path / "merged")
    assert single == merged
    assert "report-feedback/alice.md" in single and len([k for k in single if k.endswith(".md")]) >= 6

    records = [json.loads((folder / "report-shard.json").read_text()) for folder in shard_outputs]
    graded = [{r["student"] for r in record["results"]} for record in records]
    assert all(a.isdisjoint(b) for i, a in enumerate(graded) for b in graded[i + 1 :])  # one student, one shard
    students = set(records[0]["students"])
    assert set().union(*graded) == students  # the shards name the students as the grader does
    rows = (tmp_path / "single" / "report.csv").read_text().splitlines()[1:]
    alice = [row for row in rows if row.startswith("alice,")]
    assert len(alice) == 2 and all(",error," in row for row in alice)  # her two files for one notebook: both
    # refused by the intake (never merged), and both reported by her one shard


def test_merge_refuses_shards_that_do_not_fit(tmp_path, capsys):
    def shard(k, n=2, seed=5, students=None):
        folder = tmp_path / f"s{k}-{n}-{seed}"
        folder.mkdir(exist_ok=True)
        students = students or {"ann": 0, "ben": 1}
        results = [
            {"student": s, "notebook": "90_fixture", "exercise": "0.1", "status": "passed", "points": 1.0,
             "max_points": 1.0, "message": "ok"}
            for s, owner in students.items() if owner == k
        ]  # fmt: skip
        record = {"format": "course-grade-shard/1", "seed": seed, "shard": [k, n], "students": students}
        (folder / "report-shard.json").write_text(json.dumps({**record, "results": results}))
        return str(folder)

    out = ["--out", str(tmp_path / "merged.csv")]
    assert main(["merge", shard(0), *out]) == 1
    assert "shard 1/2 missing" in capsys.readouterr().err
    assert main(["merge", shard(0), shard(1, seed=6), *out]) == 1
    assert "differ in their seed" in capsys.readouterr().err
    assert main(["merge", shard(0), shard(0), *out]) == 1
    assert "given twice" in capsys.readouterr().err
    assert main(["merge", shard(0), shard(1, students={"ann": 1, "ben": 1}), *out]) == 1
    assert "differ in their student list" in capsys.readouterr().err
    assert not (tmp_path / "merged.csv").exists()
    assert main(["merge", shard(0), shard(1), *out]) == 0
    rows = list(csv.reader((tmp_path / "merged.csv").open(encoding="utf-8")))[1:]
    assert rows == [
        ["ann", "90_fixture", "0.1", "passed", "1", "1", "ok", graded_as("0.1")],
        ["ben", "90_fixture", "0.1", "passed", "1", "1", "ok", graded_as("0.1")],
    ]
    assert graded_as("0.1").startswith("practice")  # 0.1 is practice (safety.PRACTICE): the report says so


def test_a_shard_takes_its_students_from_the_graders_intake():
    picked = [Submission(name, Path(f"{name}/90_fixture.ipynb"), "folder") for name in ("ann", "ben", "cat", "dan")]
    skipped = [Skipped(Path("stray.ipynb"), "no folder"), Skipped(Path("eve/90_fixture.ipynb"), "a FIFO", "eve")]
    shares = [split(picked, skipped, k, 2) for k in range(2)]
    assert shares[0][2] == shares[1][2] and set(shares[0][2]) == {"ann", "ben", "cat", "dan", "eve"}
    graded = [{s.student for s in share[0]} for share in shares]
    assert graded[0].isdisjoint(graded[1]) and graded[0] | graded[1] == {"ann", "ben", "cat", "dan"}
    assert [s.path.name for s in shares[0][1]].count("stray.ipynb") == 1 and not any(
        s.path.name == "stray.ipynb" for s in shares[1][1]
    )  # a file nobody owns is reported once, by shard 0
    assert sum(any(s.student == "eve" for s in share[1]) for share in shares) == 1


def test_a_shard_needs_a_seed(capsys):
    path = str(FIXTURES / "submissions" / "alice" / "90_fixture.ipynb")
    assert main(["grade", path, "--source", str(SOURCE), "--out", "x.csv", "--shard", "0/2"]) == 2
    assert "--shard needs --seed" in capsys.readouterr().err


def _blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _parses(command: str, **env: str) -> argparse.Namespace:
    for name, value in env.items():
        command = command.replace(f'"${name}"', value).replace(f"${name}", value)
    words = shlex.split(command.replace("\\\n", " "))
    return build_parser().parse_args(words[words.index(".venv/bin/course") + 1 :])


def test_the_kubernetes_indexed_job_in_the_docs_grades_one_shard_per_index():
    (manifest,) = _blocks("yaml")
    job = yaml.safe_load(manifest)
    spec = job["spec"]
    assert job["kind"] == "Job" and spec["completionMode"] == "Indexed" and spec["completions"] == 8
    script = spec["template"]["spec"]["containers"][0]["args"][0]
    command = script.split("&&")[-1].replace("/class/submissions/*/*.ipynb", "a.ipynb")
    args = _parses(command, JOB_COMPLETION_INDEX="3")
    assert (
        args.command == "grade" and args.shard == "3/8" and args.seed and str(args.out) == "/class/shards/3/report.csv"
    )


def test_the_slurm_array_in_the_docs_grades_one_shard_per_task_and_merges_after():
    script, submit = [block for block in _blocks("bash") if "sbatch" in block.lower() or "SBATCH" in block]
    assert "#SBATCH --array=0-7" in script
    command = script.split("\n.venv", 1)[1].replace("submissions/*/*.ipynb", "a.ipynb")
    args = _parses(".venv" + command, SLURM_ARRAY_TASK_COUNT="8", SLURM_ARRAY_TASK_ID="5", K="5", N="8",
                   SLURM_CPUS_PER_TASK="2")  # fmt: skip
    assert args.shard == "5/8" and args.seed and args.jobs == 2 and str(args.out) == "shards/5/report.csv"
    merge = shlex.split(submit.split("--wrap ", 1)[1])[0]
    merged = build_parser().parse_args(shlex.split(merge)[1:])
    assert merged.command == "merge" and str(merged.out) == "report.csv"
