"""make lab as a newcomer and a container user call it: the learner's own copy, the address, the warning,
the news pop-up."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"


@pytest.mark.slow
def test_make_lab_opens_the_learners_own_copy_and_never_overwrites_it():
    work = REPO / "my-work-test-make-lab"  # relative to the repository: JupyterLab's root is the repository
    try:
        run = _make_lab("--no-browser", f"WORK={work.name}")
        assert run.returncode == 0, run.stderr[-2000:]
        assert sorted(p.name for p in work.glob("*.ipynb")) == sorted(
            p.name for p in (REPO / "student").glob("*.ipynb")
        )
        assert f"Your own copy of the course: {work.name}/" in run.stdout
        assert f".default_url = '/lab/tree/{work.name}/00_welcome.ipynb'" in run.stdout  # the URL it prints opens 00
        mine = work / "02_probabilistic_losses.ipynb"
        mine.write_text("my answers")
        (work / "07_pooling.ipynb").unlink()
        again = _make_lab("--no-browser", f"WORK={work.name}")
        assert again.returncode == 0, again.stderr[-2000:]
        assert "added 07_pooling.ipynb" in again.stdout and mine.read_text() == "my answers"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _make_lab(options: str, *extra: str) -> subprocess.CompletedProcess:
    # --show-config loads the whole configuration (where a doubled --ip failed) and exits without serving
    return subprocess.run(
        ["make", "-s", "lab", f"LAB_OPTS={options} --show-config", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_an_ip_given_by_the_user_wins_with_a_warning():
    run = _make_lab("--ip=0.0.0.0 --no-browser")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Bad config" not in run.stderr and ".ip = '0.0.0.0'" in run.stdout
    assert "warning: JupyterLab will listen beyond this machine" in run.stderr


@pytest.mark.slow
def test_the_default_address_is_loopback_without_a_warning():
    run = _make_lab("--no-browser")
    assert run.returncode == 0, run.stderr[-2000:]
    assert ".ip = '127.0.0.1'" in run.stdout and "warning" not in run.stderr


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_on_the_address_the_user_gives():
    host, token = "127.0.0.2", "course-test-token"  # another loopback address: the user's --ip is used
    port = _free_port(host)
    options = f"--ip={host} --port={port} --no-browser --ServerApp.token={token}"
    server = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_OPTS={options}"], cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and status != 200:
            try:
                status = urllib.request.urlopen(f"http://{host}:{port}/lab?token={token}", timeout=5).status
            except OSError:
                time.sleep(1)
        assert status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and make, by the process group we started
        server.wait(timeout=60)


def test_jupyterlab_news_is_turned_off_in_the_environment():
    installed = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    wanted = json.loads((REPO / "config" / "jupyterlab-overrides.json").read_text())
    assert json.loads(installed.read_text()) == wanted, "run make setup"
    assert wanted["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
