"""course grade's intake: whose each file is, what is picked up and what is skipped (and why), before anything
runs; --dry-run and --resume. Hostile files (FIFOs, links, devices, oversized files) are made here, at test time.
"""

import csv
import os
import shutil
from pathlib import Path

import pytest

from course_utils.instructor.grade.grading import gather
from course_utils.instructor.grade.intake import intake, lms_student, read_submission

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE = FIXTURES / "source"
ALICE = FIXTURES / "submissions" / "alice" / "90_fixture.ipynb"
BOB = FIXTURES / "submissions" / "bob" / "90_fixture.ipynb"


@pytest.fixture
def collected(tmp_path):
    """A class folder as an instructor collects it, with every kind of file intake must judge."""
    root = tmp_path / "class"
    for student, name in [("alice", "90_fixture.ipynb"), ("mallory", "bob_90_fixture.ipynb")]:
        (root / student).mkdir(parents=True)
        shutil.copy(ALICE, root / student / name)
    (root / "alice" / ".ipynb_checkpoints").mkdir()
    shutil.copy(ALICE, root / "alice" / ".ipynb_checkpoints" / "90_fixture-checkpoint.ipynb")  # not a 2nd file
    shutil.copy(BOB, root / "smithjane_LATE_4321_8765_90_fixture.ipynb")  # Canvas, late
    shutil.copy(BOB, root / "Jane Doe_123456_assignsubmission_file_90_fixture.ipynb")  # Moodle, a file
    (root / "Li Wei_654321_assignsubmission_file_").mkdir()  # Moodle, a folder per student
    shutil.copy(BOB, root / "Li Wei_654321_assignsubmission_file_" / "90_fixture.ipynb")
    shutil.copy(ALICE, root / "homework.ipynb")  # whose?
    (root / "frank").mkdir()
    shutil.copy(ALICE, root / "frank" / "90_fixture.ipynb")
    shutil.copy(ALICE, root / "frank" / "my copy.ipynb")  # one student, two files of one notebook
    (root / "mallory_fifo").mkdir()
    os.mkfifo(root / "mallory_fifo" / "90_fixture.ipynb")
    (root / "mallory_link").mkdir()
    (root / "mallory_link" / "90_fixture.ipynb").symlink_to(SOURCE / "90_fixture.ipynb")  # the instructor's
    (root / "mallory_large").mkdir()
    with open(root / "mallory_large" / "90_fixture.ipynb", "wb") as handle:
        handle.truncate(33 * 2**20)  # sparse: 33 MB on paper, nothing on disk
    if os.geteuid() == 0:
        (root / "mallory_device").mkdir()
        os.mknod(root / "mallory_device" / "90_fixture.ipynb", 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero
    return root


def test_the_folder_names_the_student_else_an_lms_name_else_the_file_is_refused(collected):
    picked, skipped = gather([collected], SOURCE)
    named = {(s.student, s.path.name, s.named_by) for s in picked}
    assert named == {
        ("alice", "90_fixture.ipynb", "folder"),
        ("mallory", "bob_90_fixture.ipynb", "folder"),  # the file's name claims bob: the folder wins
        ("smithjane_4321", "smithjane_LATE_4321_8765_90_fixture.ipynb", "Canvas name"),
        ("Jane Doe_123456", "Jane Doe_123456_assignsubmission_file_90_fixture.ipynb", "Moodle name"),
        ("Li Wei_654321", "90_fixture.ipynb", "folder"),
    }
    assert all(s.notebook == "90_fixture" for s in picked)
    reasons = {(s.student, s.path.name): s.reason for s in skipped}
    assert "not a Canvas or Moodle download name" in reasons["", "homework.ipynb"]
    assert "2 files claim frank's 90_fixture" in reasons["frank", "90_fixture.ipynb"]
    assert "2 files claim frank's 90_fixture" in reasons["frank", "my copy.ipynb"]
    assert "not a regular file" in reasons["mallory_fifo", "90_fixture.ipynb"]
    assert "symbolic link" in reasons["mallory_link", "90_fixture.ipynb"]
    assert "over the 32 MB limit" in reasons["mallory_large", "90_fixture.ipynb"]
    if os.geteuid() == 0:
        assert "not a regular file" in reasons["mallory_device", "90_fixture.ipynb"]
    assert "class" not in {s.student for s in picked} | {s.student for s in skipped}  # no fake student


def test_a_file_named_on_the_command_line_is_its_folders_and_links_are_not_followed(collected):
    picked, skipped = intake(
        [collected / "mallory" / "bob_90_fixture.ipynb", collected / "mallory_link" / "90_fixture.ipynb"]
    )
    assert [(s.student, s.named_by) for s in picked] == [("mallory", "folder")]
    assert [(s.student, "symbolic link" in s.reason) for s in skipped] == [("mallory_link", True)]
    link = collected.parent / "linked_class"
    link.symlink_to(collected)
    picked, skipped = intake([link])
    assert not picked and "symbolic link to a folder" in skipped[0].reason


def test_a_submission_is_read_only_when_it_is_a_small_regular_file(collected):
    assert read_submission(collected / "alice" / "90_fixture.ipynb", 2**20).startswith(b"{")
    with pytest.raises(ValueError, match="not a regular file"):
        read_submission(collected / "mallory_fifo" / "90_fixture.ipynb", 2**20)  # and it does not hang
    with pytest.raises(ValueError, match="over the 1 MB limit"):
        read_submission(collected / "mallory_large" / "90_fixture.ipynb", 2**20)


def test_learning_platform_names():
    assert lms_student("kimlee_1234_5678_90_fixture.ipynb") == ("kimlee_1234", "Canvas name")
    assert lms_student("doe-smith_late_17_99_05_mlp_on_images.ipynb") == ("doe-smith_17", "Canvas name")
    assert lms_student("Jane Doe_42_assignsubmission_file_05.ipynb") == ("Jane Doe_42", "Moodle name")
    assert lms_student("bob_05_mlp_on_images.ipynb") is None  # not two ids: no platform wrote this
    assert lms_student("05_mlp_on_images.ipynb") is None


def test_dry_run_lists_what_it_would_grade_and_writes_nothing(collected, tmp_path, capsys):
    from course_utils.instructor.cli import main

    out = tmp_path / "report.csv"
    assert main(["grade", str(collected), "--source", str(SOURCE), "--out", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "Picked up 5 submissions:" in printed and "mallory" in printed and "(Canvas name)" in printed
    skipped = 7 if os.geteuid() == 0 else 6
    assert f"Skipped {skipped}:" in printed and "homework.ipynb: directly in the folder" in printed
    assert not out.exists()


def test_resume_skips_the_students_already_in_the_report(collected, tmp_path, capsys):
    from course_utils.instructor.cli import main

    out = tmp_path / "report.csv"
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "exercise", "status", "points", "max_points", "message"])
        for student in ("alice", "mallory", "smithjane_4321", "Jane Doe_123456", "Li Wei_654321"):
            writer.writerow([student, "90_fixture", "0.1", "passed", "1", "1", "kept from the first run"])
    args = ["grade", str(collected), "--source", str(SOURCE), "--out", str(out), "--resume", "--dry-run"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Already in the report, not graded again (--resume): Jane Doe_123456, Li Wei_654321, alice" in printed
    assert main(args[:-1]) == 0  # nobody left to grade: no kernel starts, the rows are kept
    rows = list(csv.DictReader(out.open()))
    assert sum(r["message"] == "kept from the first run" for r in rows) == 5
    assert {r["student"] for r in rows if r["status"] == "error"} >= {"frank", "mallory_fifo", "mallory_link"}


def test_the_limits_the_docs_state_are_the_code_s():
    from course_utils.instructor.grade.answers import MAX_ANSWER_BYTES
    from course_utils.instructor.grade.running import Options

    docs = (REPO / "docs" / "instructors.md").read_text()
    limits = Options()
    stated = {
        f"larger than {limits.max_submission_mb:g} MB": True,
        f"at most {MAX_ANSWER_BYTES // 2**20} MB inflated": True,
        f"private tmpfs of {limits.scratch_mb} MB": True,
        f"no message over {limits.max_message_bytes // 2**20} MB": True,
        f"counts towards {limits.max_output_bytes // 2**20} MB kept": True,
        f"still running {limits.grace:g} s later": True,
        f"--cell-timeout` (default {limits.cell_timeout:g} s)": True,
        f"{limits.max_processes} processes": True,
    }
    assert {text: text in docs for text in stated} == stated


class _KillsItsWorker:
    """A path whose unpickling ends the worker process (os._exit), as a crash of the grader's worker would."""

    stem = "crash"

    def __reduce__(self):
        return (os._exit, (1,))


@pytest.mark.slow  # three pools of spawned workers, each importing the grader: minutes on a loaded machine
def test_a_worker_that_dies_costs_only_its_own_submission():
    from course_utils.instructor.grade.grading import Options, _in_workers
    from course_utils.instructor.grade.intake import Submission

    class_ = [
        Submission("ann", Path("/nonexistent/90_fixture.ipynb"), "folder"),
        Submission("crash", _KillsItsWorker(), "folder"),
        Submission("ben", Path("/nonexistent/90_fixture.ipynb"), "folder"),
    ]
    rows = _in_workers(class_, str(SOURCE), Options(), [0, 0])
    by_student = {r.student: r.message for r in rows}
    assert "grading process died" in by_student["crash"]
    assert "not a valid notebook" in by_student["ann"] and "not a valid notebook" in by_student["ben"]
