"""The course for a class on JupyterHub, end to end in Chromium (`make test-hub`): publish, hand out by link,
work in the browser, publish a fix, collect, grade.

Three students log in and follow notebook 02's nbgitpuller link; one solves exercise 2.2, one makes a known
mistake, one leaves it; each saves. The instructor publishes a change to a markdown cell of 03 and to a cell
of 02 nobody touched; the students follow the link again and get both while keeping their answers. One
student's terminal cannot read another's notebook. `course collect` and `course grade` then give 2/2, 0/2
naming the mistake, and not attempted. Every wait polls an outcome with a generous deadline.
"""

from __future__ import annotations

import csv
import json
import pwd
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from course_utils.instructor.hub.links import clone_folder, nbgitpuller_link
from tests.hub.conftest import ARTIFACTS, REPO, edition_folder, wait_for

sys.path.insert(0, str(REPO / "deploy"))
import hub_settings  # noqa: E402  (deploy/ is no package: JupyterHub reads it as config files)

# the project's Python by its real path: course grade's sandbox binds the resolved environment, and a
# worktree's .venv may be a symbolic link to another checkout's
COURSE_PYTHON = str(Path(sys.prefix).resolve() / "bin" / "python")
NB02, NB03 = "02_probabilistic_losses.ipynb", "03_backprop.ipynb"
RIGHT = """def bernoulli_nll(logits, y):
    z = logits
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    grad = (sigmoid(z) - y) / len(z)
    return loss, grad"""
WRONG = RIGHT.replace("(sigmoid(z) - y)", "(y - sigmoid(z))")  # the gradient's sign: a known mistake
ANSWERS = {"right": RIGHT, "wrong": WRONG, "none": None}
FIX_02 = "*(Corrected after the first lab: σ² is the noise's variance.)*"
FIX_03 = "*(Corrected after the first lab: the chain rule's order.)*"

# JupyterLab's own model (exposed by the test config): set a cell's source by id, save, say what is on screen.
SET_AND_SAVE = """async ([path, cellId, source]) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path.endsWith(path));
  await panel.context.ready;
  if (source !== null) {
    const cell = panel.content.widgets.find(c => c.model.id === cellId);
    cell.model.sharedModel.setSource(source);
  }
  await panel.context.save();
  return panel.content.widgets.length;
}"""
CELL_SOURCE = """([path, cellId]) => {
  const app = window.jupyterapp;
  const panel = app && Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path.endsWith(path));
  if (!panel || !panel.context.isReady) return null;
  const cell = panel.content.widgets.find(c => c.model.id === cellId);
  return cell ? cell.model.sharedModel.getSource() : null;
}"""


def _cell(path: Path, cell_id: str) -> str:
    nb = json.loads(path.read_text())
    return "".join(next(c for c in nb["cells"] if c.get("id") == cell_id)["source"])


def wait_until(condition, seconds: float):
    """``condition()``'s first true value within ``seconds``, else None (for retrying an action)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    return None


def _source(page, path: str, cell_id: str) -> str | None:
    """The cell's source in the page's JupyterLab, or None while the page is elsewhere or navigating."""
    from playwright.sync_api import Error

    try:
        return page.evaluate(CELL_SOURCE, [path, cell_id])
    except Error:  # the page navigated under us (nbgitpuller's redirect): ask again
        return None


def _open_link(page, hub, link: str, name: str, login: bool) -> None:
    """Follow the nbgitpuller link (logging in first when asked) until the notebook is open in JupyterLab."""
    relative = link[len(hub.url) :]
    if login:
        page.goto(f"{hub.url}/hub/login?{urlencode({'next': relative})}")
        page.fill("#username_input", name)
        page.fill("#password_input", hub.password)
        page.click("#login_submit")
    else:
        page.goto(hub.url + relative)
    try:
        wait_for(f"{name}'s JupyterLab on {NB02}", lambda: _source(page, NB02, "ex2-2") is not None,
                 timeout=300, every=2)  # fmt: skip
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"failed-{name}.png"))
        (ARTIFACTS / f"failed-{name}.txt").write_text(f"{page.url}\n\n{page.inner_text('body')[:5000]}")
        raise


def test_a_class_works_on_the_hub_from_link_to_gradebook(hub, browser, tmp_path):
    students, hub = hub
    link = nbgitpuller_link(hub.url, str(hub.repo), NB02)
    folder = clone_folder(str(hub.repo))
    roles = dict(zip(students.names, ANSWERS, strict=True))
    pages = {}

    # 1. each student logs in, follows the link, gets their own copy, answers (or not) and saves
    for name, role in roles.items():
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        pages[name] = page
        _open_link(page, hub, link, name, login=True)
        copy = students.home(name) / folder / NB02
        assert copy.stat().st_uid == pwd.getpwnam(name).pw_uid, "the clone is the student's own"
        page.evaluate(SET_AND_SAVE, [NB02, "ex2-2", ANSWERS[role]])
        if role != "none":
            wait_for(f"{name}'s saved answer", lambda copy=copy, role=role: _cell(copy, "ex2-2") == ANSWERS[role])
        assert "NotImplementedError" in _cell(students.home(name) / folder / NB02, "ex2-2") or role != "none"

    # 2. the instructor fixes a markdown cell of 03 and a cell of 02 nobody touched, and publishes
    fixed = {}
    for name, cell_id, fix in [(NB02, "cell-02", FIX_02), (NB03, None, FIX_03)]:
        path = hub.notebooks / name
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and (cell_id is None or c["id"] == cell_id)
                    and c["id"] != nb["cells"][0]["id"])  # fmt: skip
        cell["source"] = "".join(cell["source"]) + "\n\n" + fix
        fixed[name] = cell["id"]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    edition_folder(hub.notebooks, hub.edition)
    published = subprocess.run(
        [COURSE_PYTHON, "-m", "course_utils.instructor.cli", "publish", str(hub.edition), str(hub.repo)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"{NB02} (1 cell changed)" in published and f"{NB03} (1 cell changed)" in published, published

    # 3. the students follow the link again: both fixes arrive, their answers stay
    for name, role in roles.items():
        page = pages[name]
        _open_link(page, hub, link, name, login=False)
        wait_for(f"the fix in {name}'s 02", lambda page=page: FIX_02 in (_source(page, NB02, "cell-02") or ""))
        clone = students.home(name) / folder
        assert FIX_02 in _cell(clone / NB02, "cell-02")
        assert FIX_03 in _cell(clone / NB03, fixed[NB03])
        if role != "none":
            assert _cell(clone / NB02, "ex2-2") == ANSWERS[role]
        page.screenshot(path=str(ARTIFACTS / f"student-{role}.png"))

    # 4. one student's terminal cannot read another's notebook
    reader, other = students.names[0], students.names[1]
    page = pages[reader]
    page.evaluate("() => window.jupyterapp.commands.execute('terminal:create-new')")
    terminal = page.locator(".jp-Terminal").last
    terminal.wait_for()
    target = students.home(other) / folder / NB02
    rc_file = students.home(reader) / "probe.rc"
    command = f"cat {target} > ~/probe.out 2> ~/probe.err; echo $? > ~/probe.rc\n"

    def typed() -> bool:  # the shell may not listen yet when the terminal shows: the command is safe to repeat
        terminal.click()
        page.keyboard.type(command)
        return bool(wait_until(lambda: rc_file.exists() and rc_file.read_text().strip(), 15))

    wait_for("the terminal's command to run", typed, timeout=240, every=0)
    assert rc_file.read_text().strip() != "0"
    assert "Permission denied" in (students.home(reader) / "probe.err").read_text()
    assert (students.home(reader) / "probe.out").read_text() == ""
    page.screenshot(path=str(ARTIFACTS / "terminal-refused.png"))

    # 5. collect (mapped to LMS ids by the roster), then grade
    roster = tmp_path / "roster.csv"
    lms = {name: f"s{1001 + i}" for i, name in enumerate(students.names)}
    roster.write_text("hub_user,lms_id\n" + "".join(f"{n},{i}\n" for n, i in lms.items()))
    out = tmp_path / "submissions"
    collected = subprocess.run(
        [COURSE_PYTHON, "-m", "course_utils.instructor.cli", "collect", *(str(students.home(n)) for n in roles),
         "--out", str(out), "--folder", folder, "--roster", str(roster), "--edition", str(hub.edition)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (ARTIFACTS / "collect.txt").write_text(collected)
    for name in roles:
        assert re.search(rf"^{lms[name]} \(.*{name}\): 00_welcome.ipynb, ", collected, re.M), collected
    report = tmp_path / "report.csv"
    graded = subprocess.run(
        [COURSE_PYTHON, "-m", "course_utils.instructor.cli", "grade", *(str(out / i / NB02) for i in lms.values()),
         "--source", str(REPO / "notebooks"), "--out", str(report)],
        capture_output=True, text=True,
    )  # fmt: skip
    (ARTIFACTS / "grade.txt").write_text(graded.stdout + graded.stderr)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    (ARTIFACTS / "report.csv").write_bytes(report.read_bytes())
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(report.open())}
    by_role = {role: rows[lms[name], "2.2"] for name, role in roles.items()}
    assert (by_role["right"]["status"], by_role["right"]["points"], by_role["right"]["max_points"]) == (
        "passed",
        "2",
        "2",
    )
    assert (by_role["wrong"]["status"], by_role["wrong"]["points"]) == ("failed", "0")
    assert "wrong sign" in by_role["wrong"]["message"], by_role["wrong"]["message"]
    assert (by_role["none"]["status"], by_role["none"]["points"]) == ("not attempted", "0")
    gradebook = list(csv.DictReader(report.with_name("report-gradebook.csv").open()))
    assert sorted(row["Student"] for row in gradebook if row["Student"] != "Points Possible") == sorted(lms.values())

    # 6. measurements for deploy/sizing.json: how long the servers took to start, what a server holds in memory
    starts = [float(s) for s in re.findall(r"took ([0-9.]+) seconds to start", hub.log.read_text())]
    assert len(starts) == len(roles), hub.log.read_text()[-2000:]
    servers = [_server_rss_mb(pwd.getpwnam(name).pw_uid) for name in roles]
    measured = {"server_start_s": starts, "idle_server_mb": servers, "at": time.ctime()}
    (ARTIFACTS / "measurements.json").write_text(json.dumps(measured, indent=1))


def _server_rss_mb(uid: int) -> int:
    """Resident memory of a student's single-user server process (without its kernels), in MB; checks on
    the way that the server runs under the spawner's rlimits (deploy/hub_settings.py)."""
    import psutil

    limit = int(hub_settings.LIMITS["memory_limit_gb"] * 1024**3)
    for proc in psutil.process_iter(["uids", "cmdline", "memory_info"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["uids"] and proc.info["uids"].real == uid and "jupyterhub-singleuser" in cmdline:
            limits = Path(f"/proc/{proc.pid}/limits").read_text()  # prlimit(2) on another uid may be refused
            assert re.search(rf"^Max data size\s+{limit}\s+{limit}\s", limits, re.M), limits
            nproc = hub_settings.LIMITS["processes"]
            assert re.search(rf"^Max processes\s+{nproc}\s+{nproc}\s", limits, re.M), limits
            assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.M), limits
            return round(proc.info["memory_info"].rss / 2**20)
    raise AssertionError(f"no single-user server of uid {uid} found")
