"""Submissions that attack the grader itself (its trust, time, CPU, disk and memory), graded beside honest
students: each gets its verdict, and the honest students get theirs as if it were not there.

The attacks are in tests/fixtures/hostile/ (written by tests/fixtures/make_submissions.py). Limits are tiny
where the attack is about a limit (a 16 MB scratch); time limits are generous, so that load cannot make an
honest student time out: the rows are asserted, never wall times.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_utils.instructor.grade.answers import MAX_ANSWER_BYTES, read_bounded_plain
from course_utils.instructor.grade.grading import Options, grade
from course_utils.instructor.grade.sandbox import Sandbox, kernel_python, sandbox_problem

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SOURCE = FIXTURES / "source"
HOSTILE = FIXTURES / "hostile"
HONEST = ("alice", "bob")

PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(
    PROBLEM is not None and not os.environ.get("CI"), reason=f"no sandbox here: {PROBLEM}"
)
LIMITS = Options(cell_timeout=30, notebook_timeout=300, grace=3, memory_limit_gb=4, scratch_mb=16, seed=5)
ROOT = os.geteuid() == 0


def _busy_children() -> list[int]:
    """Processes named by mallory_busy_children's children (prctl PR_SET_NAME)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "mallory-busy":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class: every attack of hostile/ but the output flood (test below), two honest students, and the
    files no student may hand in, made here: a FIFO, a link to the instructor's notebook, a device."""
    root = tmp_path_factory.mktemp("hostile") / "class"
    root.mkdir()
    for folder in sorted(HOSTILE.iterdir()):
        if folder.name != "mallory_floods_output":
            shutil.copytree(folder, root / folder.name)
    for name in HONEST:
        shutil.copytree(FIXTURES / "submissions" / name, root / name)
    (root / "mallory_fifo").mkdir()
    os.mkfifo(root / "mallory_fifo" / "90_fixture.ipynb")
    (root / "mallory_links_source").mkdir()
    (root / "mallory_links_source" / "90_fixture.ipynb").symlink_to(
        f"/proc/self/cwd/{(SOURCE / '90_fixture.ipynb').relative_to(REPO)}"  # the instructor's, from the grader's cwd
    )
    if ROOT:
        (root / "mallory_device").mkdir()
        os.mknod(root / "mallory_device" / "90_fixture.ipynb", 0o600 | 0o020000, os.makedev(1, 5))
    results = grade([root], SOURCE, jobs=2, options=LIMITS)
    return {(r.student, r.exercise): r for r in results}, results


EXPECTED = {
    # trust: the kernel writes the right answers into the answer file itself and makes it read-only, or
    # replaces it by a link: the file stays the grader's, and the student's own (wrong) answer is judged
    # (or, when the thread writes while collect does, a file that is no answer: error; never a pass)
    ("mallory_forges_answer", "5.2"): ("failed|error", ""),
    ("mallory_links_answer", "5.2"): ("failed|error", ""),
    # time: the loop that swallows KeyboardInterrupt is killed; what was graded before is kept
    ("mallory_swallows_interrupt", "0.1"): ("passed", ""),
    ("mallory_swallows_interrupt", "5.2"): ("error", "ignored the interrupt and was stopped"),
    ("mallory_swallows_interrupt", "2.1"): ("error", "not run: time limit"),
    # CPU: 32 setsid() busy loops stay on the submission's core and die with its sandbox
    ("mallory_busy_children", "5.2"): ("failed", "biases are missing"),
    ("mallory_busy_children", "2.1"): ("passed", ""),
    # disk: its scratch and /tmp are a 16 MB tmpfs each; it fills them, then goes on
    ("mallory_fills_disk", "5.2"): ("failed", "biases are missing"),
    ("mallory_fills_disk", "2.1"): ("passed", ""),
    # memory: a compressed answer that inflates past the bound is refused, not inflated
    ("mallory_bombs_answer", "5.2"): ("error", f"inflates past {MAX_ANSWER_BYTES // 2**20} MB"),
    ("mallory_bombs_answer", "2.1"): ("passed", ""),
    # input: only regular files are opened
    ("mallory_fifo", "-"): ("error", "not a regular file"),
    ("mallory_links_source", "-"): ("error", "symbolic link"),
    # the honest students, beside them
    ("alice", "0.1"): ("passed", ""),
    ("alice", "5.2"): ("passed", ""),
    ("alice", "2.1"): ("passed", ""),
    ("bob", "0.1"): ("passed", ""),
    ("bob", "5.2"): ("failed", "biases are missing"),
    ("bob", "2.1"): ("passed", ""),
}
if ROOT:
    EXPECTED["mallory_device", "-"] = ("error", "not a regular file")


@needs_sandbox
@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: "-".join(k))
def test_each_attack_gets_its_verdict_and_the_honest_students_theirs(graded, key):
    row = graded[0][key]
    status, message = EXPECTED[key]
    assert row.status in status.split("|") and message in row.message, row
    if row.status != "passed":
        assert row.points == 0, row


@needs_sandbox
def test_nothing_of_a_submission_outlives_its_sandbox(graded):
    assert not _busy_children(), "a busy child of mallory_busy_children is still running"
    assert not list(Path(tempfile.gettempdir()).glob("fill[0-9]*")), "the disk filler wrote outside its tmpfs"
    assert "class" not in {r.student for r in graded[1]}  # the folder given is nobody


_MEASURE = """
import json, resource, sys
from pathlib import Path
from course_utils.instructor.grade.grading import Options, grade, gather
picked, _ = gather([Path(sys.argv[1])], sys.argv[2])
rows = grade(picked, sys.argv[2], jobs=1, options=Options(cell_timeout=300, notebook_timeout=900, seed=5))
print(json.dumps({"rows": [[r.student, r.exercise, r.status, r.message] for r in rows],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
PEAK_ALLOWANCE_MB = 128  # over a worker grading an honest student; the output and answer caps are 32 and 64 MB


def _grade_alone(tmp_path: Path, names: list[str]) -> dict:
    root = tmp_path / "_".join(names)
    for name in names:
        shutil.copytree(HOSTILE / name if (HOSTILE / name).is_dir() else FIXTURES / "submissions" / name, root / name)
    run = subprocess.run([sys.executable, "-c", _MEASURE, str(root), str(SOURCE)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


@needs_sandbox
@pytest.mark.slow
def test_a_grader_worker_stays_small_whatever_the_kernel_sends(tmp_path):
    """128 x 16 MB of JSON display output, and an answer inflating past its bound: the grading process
    (jobs=1: the kernel is another process) peaks within PEAK_ALLOWANCE_MB of grading an honest student."""
    honest = _grade_alone(tmp_path, ["alice"])
    hostile = _grade_alone(tmp_path, ["mallory_floods_output", "mallory_bombs_answer"])
    rows = {(s, e): (status, message) for s, e, status, message in hostile["rows"]}
    assert rows["mallory_floods_output", "0.1"][0] == "passed"  # its outputs are dropped, its answer judged
    assert "inflates past" in rows["mallory_bombs_answer", "5.2"][1]
    assert hostile["peak_mb"] < honest["peak_mb"] + PEAK_ALLOWANCE_MB, (hostile["peak_mb"], honest["peak_mb"])


def test_a_compressed_bomb_is_refused_at_the_bound_without_inflating():
    """A zip member of 2.4 GB of zeros (about 2.4 MB compressed) is read only up to the bound."""
    import io
    import tracemalloc
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("__tree__.npy", "w", force_zip64=True) as member:
            block = bytes(64 * 2**20)
            for _ in range(2400 // 64):
                member.write(block)
        del block
    data = buffer.getvalue()
    assert len(data) < 16 * 2**20
    tracemalloc.start()
    with pytest.raises(ValueError, match="inflates past"):
        read_bounded_plain(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < MAX_ANSWER_BYTES + 16 * 2**20, peak  # the bound and a few 1 MB chunks, not 2.4 GB


@needs_sandbox
def test_the_sandbox_pins_its_core_and_resolves_a_linked_data_folder(tmp_path, monkeypatch):
    """The kernel cannot leave its core (seccomp refuses sched_setaffinity); a data folder reached through
    a symbolic link is bound by its real path, and COURSE_DATA points there inside."""
    real = tmp_path / "shared" / "data"
    (real / "MNIST").mkdir(parents=True)
    linked = tmp_path / "clone" / "data"  # "../shared linked beside a clone"
    linked.parent.mkdir()
    linked.symlink_to(real)
    monkeypatch.setenv("COURSE_DATA", str(linked))
    core = sorted(os.sched_getaffinity(0))[-1]
    probe = (
        "import os\nfrom course_utils.data import data_root\n"
        "print(sorted(os.sched_getaffinity(0)))\n"
        "try:\n    os.sched_setaffinity(0, {0})\n    print('moved')\nexcept PermissionError:\n    print('refused')\n"
        "print(os.environ['COURSE_DATA'], (data_root() / 'MNIST').is_dir())\n"
    )
    sandbox = Sandbox(tmp_path / "scratch", tmp_path / "sockets", core=core)
    sandbox.prepare()
    sandbox.load_seccomp()
    try:
        run = subprocess.run(
            [*sandbox.argv(), str(kernel_python()), "-c", probe],
            capture_output=True,
            text=True,
            preexec_fn=sandbox.set_limits,
            pass_fds=(sandbox.seccomp_fd,),
        )
    finally:
        sandbox.close()
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == [f"[{core}]", "refused", f"{real.resolve()} True"], run.stdout


@needs_sandbox
def test_the_notebook_limit_also_ends_a_loop_that_swallows_interrupts(tmp_path):
    """A cell limit longer than the notebook's: the notebook's limit interrupts, then kills; the run ends."""
    root = tmp_path / "class"
    shutil.copytree(HOSTILE / "mallory_swallows_interrupt", root / "mallory_swallows_interrupt")
    options = Options(cell_timeout=3600, notebook_timeout=45, grace=3, memory_limit_gb=4, seed=5)
    rows = {r.exercise: r for r in grade([root], SOURCE, options=options)}
    assert rows["5.2"].status == "error" and "time limit" in rows["5.2"].message, rows["5.2"]
    assert rows["2.1"].status == "error" and "not run" in rows["2.1"].message, rows["2.1"]
