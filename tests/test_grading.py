"""course grade: verdicts decided outside the student's kernel, in a sandbox, with points and feedback.

The submissions in tests/fixtures/submissions/ are files a student could hand in (written by
tests/fixtures/make_submissions.py): ordinary mistakes, broken files, and attacks. Each attack must end
as failed or error for the exercise it attacks, write nothing outside its scratch folder, and leave the
other students' results as they are. The class is graded as an instructor does: the folder is given, and
intake names each student (tests/test_grading_intake.py); the attacks on the grader's own limits are in
tests/test_grading_hostile.py.
"""

import csv
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from course_utils.instructor.grade.grading import Options, grade
from course_utils.instructor.grade.reports import summary, write_feedback, write_gradebook, write_report
from course_utils.instructor.grade.sandbox import Sandbox, SandboxError, kernel_python, sandbox_problem
from course_utils.instructor.grade.submissions import load_sources, match_source
from course_utils.instructor.notebooks import read_notebook
from course_utils.instructor.release import find_exercises

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE = FIXTURES / "source"
SUBMISSIONS = FIXTURES / "submissions"
PORT = 47613  # tests/fixtures/make_submissions.py: the port mallory_phones_home tries

PROBLEM = sandbox_problem()
# On CI the sandbox must be there (.ci/run installs bubblewrap): a skip there would hide a broken grader.
needs_sandbox = pytest.mark.skipif(
    PROBLEM is not None and not os.environ.get("CI"), reason=f"no sandbox here: {PROBLEM}"
)
FAST = Options(cell_timeout=30, notebook_timeout=300, memory_limit_gb=4, seed=1234)


class Listener:
    """A server on 127.0.0.1:PORT that hands the right answer of exercise 5.2 to whoever connects."""

    def __init__(self):
        self.connections = 0
        self.server = self._bind()
        self.server.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _bind(patience: float = 900):
        """The port, once free: another checkout's test run on this machine may hold it for a while."""
        waited = 0.0
        while True:
            try:
                return socket.create_server(("127.0.0.1", PORT))
            except OSError:
                if waited >= patience:
                    raise
                time.sleep(5)
                waited += 5

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.sendall(b"def dense_params(n_inputs, n_outputs):\n    return n_inputs * n_outputs + n_outputs\n")

    def close(self):
        self.stop.set()
        self.thread.join()
        self.server.close()


def _snapshot(*folders):
    return {p: p.stat().st_mtime_ns for folder in folders for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    listener = Listener()
    before = _snapshot(REPO / "course_utils", SUBMISSIONS, SOURCE)
    try:
        results = grade([SUBMISSIONS], SOURCE, jobs=2, options=FAST)
    finally:
        listener.close()
    out = tmp_path_factory.mktemp("report")
    write_report(results, out / "report.csv")
    write_gradebook(results, out / "gradebook.csv")
    write_feedback(results, out / "feedback")
    after = _snapshot(REPO / "course_utils", SUBMISSIONS, SOURCE)
    return {(r.student, r.exercise): r for r in results}, results, out, listener, before, after


EXPECTED = {
    ("alice", "0.1"): ("passed", 1, "all 8 checks passed"),
    ("alice", "5.2"): ("passed", 2, "all 9 checks passed"),
    ("alice", "2.1"): ("passed", 1, "for the loss and for its gradient"),
    ("bob", "5.2"): ("failed", 0, "biases are missing"),
    ("carol", "0.1"): ("not attempted", 0, "Exercise 0.1: Flat length"),
    ("carol", "5.2"): ("not attempted", 0, "Exercise 5.2: Dense parameters"),
    ("dave", "0.1"): ("error", 0, "time limit"),
    ("dave", "5.2"): ("passed", 2, ""),
    ("erin", "0.1"): ("error", 0, "kernel died"),
    ("grace", "0.1"): ("error", 0, "not a valid notebook"),
    ("heidi", "0.1"): ("error", 0, "exercise cell was deleted"),
    ("heidi", "5.2"): ("passed", 2, ""),
    ("ivan", "0.1"): ("failed", 0, "MemoryError"),
    ("judy", "-"): ("error", 0, "matches no notebook"),
    ("kimlee_1234", "5.2"): ("passed", 2, ""),  # a Canvas download name: <name>_<user id>
    ("alice", "6.1"): ("passed", 1, "every setting right"),
    # identity: the folder names the student, whatever the file says; two files of one student: neither
    ("mallory", "5.2"): ("passed", 2, ""),
    ("frank", "-"): ("error", 0, "2 files claim frank's 90_fixture"),
    ("(unknown: stray_homework.ipynb)", "-"): ("error", 0, "not a Canvas or Moodle download name"),
    ("leo", "2.1"): ("passed", 1, ""),
    # the attacks: each fails the exercise it attacks
    ("mallory_rebinds_checker", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_hides_tracebacks", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_reads_source", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_reads_others", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_writes_package", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_phones_home", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_forks", "5.2"): ("failed", 0, "biases are missing"),
    ("mallory_hardcodes", "5.2"): ("failed", 2 * 5 / 9, "5 of 9 cases right"),
    ("mallory_imports_reference", "2.1"): ("failed", 0, "course_utils.losses.gaussian_nll"),
    ("mallory_hides_reference", "2.1"): ("failed", 0, "course_utils.losses.gaussian_nll"),
    ("mallory_fakes_harness", "5.2"): ("failed", 0, "course_utils.checking.harness"),
    # a NaN answer is wrong where a finite one is expected (the judges' NaN handling is on the checker-fix
    # branch: until it is merged, this row fails here)
    ("mallory_answers_nan", "6.1"): ("failed", 0, ""),
    # ...and the exercises it does not attack are graded as usual
    ("mallory_forks", "0.1"): ("passed", 1, ""),
    ("mallory_hides_reference", "5.2"): ("passed", 2, ""),
}


@needs_sandbox
@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: "-".join(k))
def test_each_submission_gets_its_verdict(graded, key):
    results = graded[0]
    status, points, message = EXPECTED[key]
    assert results[key].status == status, results[key]
    assert results[key].points == pytest.approx(points, abs=1e-3), results[key]
    assert message in results[key].message, results[key]


@needs_sandbox
def test_attacks_reach_nothing_outside_their_scratch_folder(graded):
    _, _, _, listener, before, after = graded
    assert listener.connections == 0, "a kernel reached the network"
    assert before == after, "files of the package, the source or the submissions changed"
    for folder in (REPO, REPO / "course_utils", Path("/tmp"), Path.home(), Path("/")):
        assert not (folder / "mallory_was_here.txt").exists(), folder


@needs_sandbox
def test_every_exercise_has_a_row_and_reports_are_written(graded):
    results, all_results, out, *_ = graded
    students = {r.student for r in all_results if r.notebook == "90_fixture"} - {"frank"}
    assert {(s, e) for s in students for e in ("0.1", "5.2", "2.1")} <= set(results)
    assert "submissions" not in {r.student for r in all_results}  # the folder given is no student
    assert [r.status for r in all_results if r.student == "bob"] == ["passed", "failed", "passed"]  # only his own
    rows = list(csv.DictReader((out / "report.csv").open()))
    assert list(rows[0]) == [*"student notebook exercise status points max_points message graded_as".split()]
    assert {r["exercise"]: r["graded_as"] for r in rows if r["student"] == "alice"}["2.1"] == ""  # safe to grade
    book = list(csv.reader((out / "gradebook.csv").open()))
    assert book[0] == ["Student", "90_fixture", "91_fixture", "Total"]
    assert book[1] == ["Points Possible", "4", "1", "5"]
    assert ["alice", "4", "1", "5"] in book and ["carol", "0", "", "0"] in book
    bob = (out / "feedback" / "bob.md").read_text()
    assert "Total: **2 / 4 points**" in bob and "biases are missing" in bob
    assert "| alice | ✓ passed | ✓ passed | ✓ passed | ✓ passed |  | 5/5 |" in summary(all_results)  # "-": unmatched


def test_the_read_and_network_attacks_do_work_without_the_sandbox():
    """The attacks are real: unconfined, they find the solutions and the server (the sandbox is what stops them)."""
    listener = Listener()
    try:
        names = ("mallory_reads_source", "mallory_reads_others", "mallory_phones_home")
        paths = [SUBMISSIONS / name / "90_fixture.ipynb" for name in names]
        unconfined = Options(cell_timeout=300, notebook_timeout=600, memory_limit_gb=None, sandbox=False, seed=7)
        results = {(r.student, r.exercise): r for r in grade(paths, SOURCE, jobs=1, options=unconfined)}
    finally:
        listener.close()
    assert listener.connections == 1
    for name in names:
        assert results[name, "5.2"].status == "passed", results[name, "5.2"]
        assert "graded without the sandbox" in results[name, "5.2"].message


def test_grade_refuses_to_run_without_a_sandbox(monkeypatch, tmp_path, capsys):
    import course_utils.instructor.grade.grading as grading
    from course_utils.instructor.cli import main

    monkeypatch.setattr(grading, "sandbox_problem", lambda: "bubblewrap is not installed")
    with pytest.raises(SandboxError, match="bubblewrap is not installed.*--no-sandbox"):
        grade([SUBMISSIONS / "alice" / "90_fixture.ipynb"], SOURCE)
    code = main(["grade", str(SUBMISSIONS / "alice" / "90_fixture.ipynb"), "--source", str(SOURCE),
                 "--out", str(tmp_path / "r.csv")])  # fmt: skip
    assert code == 2 and "--no-sandbox" in capsys.readouterr().err and not (tmp_path / "r.csv").exists()


@needs_sandbox
def test_the_sandbox_itself():
    """What a process in the sandbox sees and may do, checked directly (not through a kernel)."""
    probe = (
        "import os, socket, sys\n"
        f"print(os.getuid() != 0 or {os.geteuid() != 0})\n"
        f"print(os.path.exists({str(REPO / 'notebooks')!r}), os.path.exists({str(SUBMISSIONS)!r}))\n"
        "try:\n    open(os.path.join(os.path.dirname(__import__('course_utils').__file__), 'x'), 'w')\n"
        "    print('wrote')\nexcept OSError:\n    print('read-only')\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n    print('connected')\n"
        "except OSError:\n    print('no network')\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(Path(tmp) / "scratch", Path(tmp) / "sockets")
        sandbox.prepare()
        run = subprocess.run(
            [*sandbox.argv(), str(kernel_python()), "-c", probe],
            capture_output=True,
            text=True,
            preexec_fn=sandbox.set_limits,
        )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:4] == ["True", "False False", "read-only", "no network"], run.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="kernels get their own user id only when the grader runs as root")
def test_every_kernel_gets_a_user_id_of_its_own(tmp_path):
    """Not one per grading process: a fork bomb's processes, still dying, must not count against the next
    kernel's process limit."""
    uids = {Sandbox(tmp_path / "s", tmp_path / "k").uid for _ in range(50)}
    assert len(uids) == 50 and all(uid >= 1_500_000_000 for uid in uids)


def test_submissions_are_matched_by_content():
    sources = load_sources(str(SOURCE))
    renamed = read_notebook(SUBMISSIONS / "leo" / "my homework.ipynb")
    assert match_source(renamed, sources).stem == "90_fixture"
    assert match_source(read_notebook(SUBMISSIONS / "judy" / "42_unknown.ipynb"), sources) is None


def test_the_grader_keeps_a_bounded_amount_of_output_of_every_kind_but_every_error():
    import nbformat

    from course_utils.instructor.grade.running import bounded_client

    client = bounded_client(nbformat.v4.new_notebook(), max_output_bytes=1000)
    client.reset_execution_trackers()
    client.clear_before_next_output = False  # set by nbclient when a cell starts
    outs = []

    def message(kind, **content):
        return {"msg_type": kind, "parent_header": {"msg_id": "m"}, "header": {"msg_type": kind}, "content": content}

    for _ in range(5):
        client.output(outs, message("stream", name="stdout", text="x" * 400), None, 0)
    client.output(outs, message("error", ename="NotImplementedError", evalue="Exercise 5.1", traceback=[]), None, 0)
    assert [o.output_type for o in outs] == ["stream", "stream", "error"]
    # every kind counts, JSON too (it arrives as a dict, not a string)
    client, outs = bounded_client(nbformat.v4.new_notebook(), max_output_bytes=1000), []
    client.reset_execution_trackers()
    client.clear_before_next_output = False
    for _ in range(3):
        client.output(outs, message("display_data", data={"application/json": {"x": "y" * 600}}, metadata={}), None, 0)
    assert [o.output_type for o in outs] == ["display_data"]


def test_points_come_from_the_headings():
    exercises = find_exercises(read_notebook(SOURCE / "90_fixture.ipynb"), "90_fixture.ipynb")
    assert [(e.number, e.title, e.points, e.all_or_nothing) for e in exercises] == [
        ("0.1", "Flat length", 1.0, False),
        ("5.2", "Dense parameters", 2.0, False),
        ("2.1", "Gaussian NLL", 1.0, True),
    ]


INSTRUCTOR = sorted((REPO / "notebooks").glob("*.ipynb"))


@needs_sandbox
@pytest.mark.slow
def test_every_instructor_notebook_graded_as_a_submission_passes_every_exercise():
    options = Options(cell_timeout=300, notebook_timeout=900, seed=99)
    results = grade(INSTRUCTOR, REPO / "notebooks", jobs=2, options=options)
    failed = [r for r in results if r.status != "passed" or r.points != r.max_points]
    assert not failed, "\n".join(f"{r.notebook} {r.exercise}: {r.status}: {r.message}" for r in failed)
    numbers = {e.number for path in INSTRUCTOR for e in find_exercises(read_notebook(path), path.name)}
    assert {r.exercise for r in results} == numbers
