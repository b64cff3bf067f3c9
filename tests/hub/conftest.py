"""A class hub for `make test-hub`: the student edition published into a local class repository, JupyterHub
(deploy/jupyterhub_config_test.py) on free loopback ports, three students made with useradd, Chromium.

Everything started here is stopped by its process id, the students' users and homes are removed, also
after a failure. Needs root (useradd, LocalProcessSpawner), the edition's environment (EDITION_VENV, with
deploy/requirements.txt installed: make test-hub does it), deploy/node_modules (npm ci) and COURSE_DATA.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils.instructor.edition.build import build_edition
from tests.browser.conftest import CHROMIUM, browser  # noqa: F401  (browser: the same Chromium fixture)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
EDITION_VENV = Path(os.environ.get("EDITION_VENV", "/opt/course-edition/venv"))


def edition_folder(notebooks: Path, out: Path) -> Path:
    """The student edition built from the instructor notebooks ``notebooks`` into ``out``: what the hub serves
    (``make student-edition``'s builder: the student notebooks at the top, the student side of course_utils
    with its baked checkers, no answers)."""
    return build_edition(notebooks, out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, condition, timeout: float = 240, every: float = 1.0):
    """Poll ``condition`` until it returns something true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Students:
    """Three system users made like the hub makes them (0700 homes), removed afterwards."""

    def __init__(self):
        tag = secrets.token_hex(3)
        self.names = [f"hubt{tag}{letter}" for letter in "abc"]
        self.made: list[str] = []

    def make(self) -> None:
        for name in self.names:
            subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/bash", name], check=True)
            self.made.append(name)

    def home(self, name: str) -> Path:
        import pwd

        return Path(pwd.getpwnam(name).pw_dir)

    def remove(self) -> None:
        import psutil

        for name in self.made:
            import pwd

            uid = pwd.getpwnam(name).pw_uid
            # the hub stops their servers; whatever of theirs is left was started by this test's hub
            for proc in psutil.process_iter(["uids"]):
                if proc.info["uids"] and proc.info["uids"].real == uid:
                    try:
                        os.kill(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            subprocess.run(["userdel", "-r", name], capture_output=True)


class Hub:
    def __init__(self, url: str, log: Path, repo: Path, edition: Path, notebooks: Path, password: str):
        self.url, self.log, self.repo, self.edition = url, log, repo, edition
        self.notebooks, self.password = notebooks, password


def _start_hub(workdir: Path, students: Students, repo: Path) -> tuple[subprocess.Popen, str, Path, str]:
    state, shared = workdir / "state", workdir / "shared"
    port, password = free_port(), secrets.token_urlsafe(12)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # students import the edition's package only
    env.update(
        PATH=f"{EDITION_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        EDITION_VENV=str(EDITION_VENV),
        COURSE_HUB_PORT=str(port),
        COURSE_HUB_HUB_PORT=str(free_port()),
        COURSE_HUB_PROXY_API_PORT=str(free_port()),
        COURSE_HUB_STATE=str(state),
        COURSE_HUB_SHARED=str(shared),
        COURSE_HUB_SAFE_REPOS=str(repo),
        COURSE_HUB_TEST_PASSWORD=password,
        COURSE_HUB_TEST_USERS=",".join(students.names),
    )
    log = workdir / "jupyterhub.log"
    command = [str(EDITION_VENV / "bin" / "jupyterhub"), "-f", str(REPO / "deploy" / "jupyterhub_config_test.py")]
    with open(log, "w") as handle:
        hub = subprocess.Popen(command, cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    return hub, f"http://127.0.0.1:{port}", log, password


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the hub stops the students' servers, then the proxy
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.fail("make test-hub needs root: it makes system users and the hub spawns servers as them")
    for needed, how in [
        (EDITION_VENV / "bin" / "jupyterhub-singleuser", "make test-hub installs deploy/requirements.txt into it"),
        (REPO / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy", "npm ci in deploy/"),
        (Path(CHROMIUM), "apt-get install -y chromium"),
    ]:
        if not needed.exists():
            pytest.fail(f"{needed} is missing: {how}")
    if not os.environ.get("COURSE_DATA"):
        pytest.fail("COURSE_DATA is not set: the hub's students read MNIST from it")
    ARTIFACTS.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="course-hub-"))
    workdir.chmod(0o755)  # students read the class repository inside (its parents must be traversable)
    students, hub_process = Students(), None
    try:
        notebooks = workdir / "instructor"
        shutil.copytree(REPO / "notebooks", notebooks)
        edition = edition_folder(notebooks, workdir / "edition")
        repo = workdir / "cnn-course"
        subprocess.run([sys.executable, "-m", "course_utils.instructor.cli", "publish", str(edition), str(repo)],
                       check=True)  # fmt: skip
        students.make()
        hub_process, url, log, password = _start_hub(workdir, students, repo)

        def up():
            if hub_process.poll() is not None:
                pytest.fail(f"the hub exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/hub/api/", timeout=5) as response:
                    return json.load(response).get("version")
            except OSError:
                return None

        wait_for("the hub to answer", up, timeout=120)
        yield students, Hub(url, log, repo, edition, notebooks, password)
    finally:
        if hub_process is not None:
            _stop(hub_process)
            shutil.copy2(workdir / "jupyterhub.log", ARTIFACTS / "jupyterhub.log")
        students.remove()
        shutil.rmtree(workdir, ignore_errors=True)
