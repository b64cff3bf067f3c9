"""What the class hub's two configurations share (jupyterhub_config.py for a class, jupyterhub_config_test.py
for `make test-hub`): one machine, JupyterHub on 127.0.0.1 behind the npm configurable-http-proxy, each
student a system user whose server LocalProcessSpawner starts from the student edition's environment.

Read by JupyterHub through ``exec`` of a config file, so only the standard library and JupyterHub's own
packages are imported here. Environment (all optional except where the real config says otherwise):

  EDITION_VENV        the single-user environment: the student edition's package + deploy/requirements.txt,
                      built on the system Python in a place the students' uids can read (default
                      /opt/course-edition/venv)
  COURSE_DATA         the one read-only data folder every student reads MNIST from (default /srv/course-data)
  COURSE_HUB_STATE    the hub's private state: database, cookie secret (0700; default /srv/jupyterhub)
  COURSE_HUB_SHARED   a folder students may read: the git configuration below (default /srv/course-hub)
  COURSE_HUB_SAFE_REPOS  ':'-separated local repositories git may read although root owns them
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["DEPLOY", "START_PAGE", "DATA_PATH", "CACHE_PATH", "LIMITS", "spawner_command", "configure"]

DEPLOY = Path(__file__).resolve().parent
START_PAGE = "/lab"  # the same in deploy/z2jh/values.yaml (singleuser.defaultUrl); a test keeps them equal
DATA_PATH = "/srv/course-data"  # the shared data's path in both deployments unless COURSE_DATA says otherwise
CACHE_PATH = "~/.cache/cnn-course"  # a student's decoded data and saved models: in their home, never in the package
# Per-process limits (prlimit), from the measurements in deploy/sizing.json (python deploy/sizing.py prints
# how): memory for the data segment of any one process, processes and threads per student, open files,
# the largest file written, no core dumps. Without usable cgroups here these are per process, not per
# student: only Kubernetes (deploy/z2jh) caps a student's sum and guarantees CPU.
LIMITS = json.loads((DEPLOY / "sizing.json").read_text())["limits"]


def spawner_command(venv: Path) -> list[str]:
    """The single-user server, started under prlimit with :data:`LIMITS` (each student's own processes)."""
    gib = 1024**3
    return [
        "/usr/bin/prlimit",
        f"--data={int(LIMITS['memory_limit_gb'] * gib)}",
        f"--nproc={LIMITS['processes']}",
        f"--nofile={LIMITS['open_files']}",
        f"--fsize={int(LIMITS['file_size_gb'] * gib)}",
        "--core=0",
        "--",
        str(venv / "bin" / "jupyterhub-singleuser"),
    ]


def _git_config(shared: Path, safe_repos: list[str]) -> Path:
    """A system git configuration for the students' git (GIT_CONFIG_SYSTEM): the class repository, when it is
    a local folder root owns, is safe to read (git otherwise refuses it as "dubious ownership" and nbgitpuller
    only says "Remote content unavailable"; ``git -c`` and GIT_CONFIG_COUNT do not reach the local side)."""
    shared.mkdir(parents=True, exist_ok=True)
    shared.chmod(0o755)
    path = shared / "gitconfig"
    # both the work tree and its .git: git checks the one it reads (a local remote's .git, a clone's top)
    path.write_text("".join(f"[safe]\n\tdirectory = {repo}\n\tdirectory = {repo}/.git\n" for repo in safe_repos))
    path.chmod(0o644)
    return path


def configure(c, *, ip: str = "127.0.0.1", port: int = 8000, hub_port: int = 8081, proxy_api_port: int = 8001):
    """Everything but the authenticator."""
    venv = Path(os.environ.get("EDITION_VENV", "/opt/course-edition/venv"))
    if not (venv / "bin" / "jupyterhub-singleuser").exists():
        sys.exit(f"error: {venv}/bin/jupyterhub-singleuser not found: build EDITION_VENV (docs/deploy.md)")
    state = Path(os.environ.get("COURSE_HUB_STATE", "/srv/jupyterhub"))
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)
    shared = Path(os.environ.get("COURSE_HUB_SHARED", "/srv/course-hub"))
    safe = [p for p in os.environ.get("COURSE_HUB_SAFE_REPOS", "").split(":") if p]
    proxy = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        sys.exit(f"error: {proxy} not found: run `npm ci` in {DEPLOY}")

    c.JupyterHub.bind_url = f"http://{ip}:{port}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub_port
    c.ConfigurableHTTPProxy.command = [str(proxy)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.cmd = spawner_command(venv)
    c.Spawner.default_url = START_PAGE
    c.Spawner.notebook_dir = "~"
    c.Spawner.http_timeout = 120  # a busy machine starts a server in seconds, but a failed start waits this long
    c.Spawner.start_timeout = 180
    c.Spawner.env_keep = ["LANG", "LC_ALL"]  # not the hub's PYTHONPATH or VIRTUAL_ENV: the edition's package only
    c.Spawner.environment = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "COURSE_DATA": os.environ.get("COURSE_DATA", DATA_PATH),
        "COURSE_CACHE": CACHE_PATH,
        "GIT_CONFIG_SYSTEM": str(_git_config(shared, safe)),
        "NBGITPULLER_APP": "lab",
    }
    # students are system users made with 0700 homes (Debian's useradd -m makes 0755: others could read them)
    c.LocalAuthenticator.add_user_cmd = ["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/bash"]

    culler = "jupyterhub-idle-culler"
    c.JupyterHub.services = [
        {"name": culler, "command": [str(venv / "bin" / "python"), "-m", "jupyterhub_idle_culler",
                                     f"--timeout={LIMITS['idle_timeout_s']}", "--cull-every=300"]},
    ]  # fmt: skip
    c.JupyterHub.load_roles = [
        {"name": f"{culler}-role", "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
         "services": [culler]},
    ]  # fmt: skip
    return c
