"""A sandbox for one graded submission's kernel, built on bubblewrap (``bwrap``, Debian's ``bubblewrap``).

Not a notebook topic: ``course grade`` (``course_utils.instructor.grade.grading``) starts every
submission's kernel in one.
What the kernel gets:

* no network (its own empty network namespace), its own process, IPC and host-name namespaces;
* a read-only view of the system (``/usr``, ``/etc``), of Python and its environment, of the
  ``course_utils`` package and of the data folder, and nothing else of the machine: not the instructor
  source, not the other submissions, not the report;
* one writable folder, a scratch folder that is thrown away (its working directory and ``HOME``), and a
  folder for its sockets;
* limits: address space, number of processes, CPU time and file size (``setrlimit``), plus the
  grader's own time limits per cell and per notebook;
* when the grader runs as root, the kernel does not: it runs as an unprivileged user id of its own,
  without capabilities and with ``no_new_privs`` (``setpriv``).

The kernel talks to the grader over Unix sockets in its socket folder (ZeroMQ's ``ipc`` transport), so no
TCP port is opened at all.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

import course_utils
from course_utils.data import data_root, repo_data_dir

__all__ = ["SandboxError", "sandbox_problem", "Sandbox", "SandboxedKernelManager", "unconfined_kernel_manager"]

# A fresh high user id per sandbox: no two kernels share one, so the process limit of one submission
# (a fork bomb, whose processes may still be dying when the next kernel starts) cannot starve another.
_UID_BASE = 1_500_000_000
_UID_RANGE = 500_000_000


def _fresh_uid() -> int | None:
    return _UID_BASE + secrets.randbelow(_UID_RANGE) if os.geteuid() == 0 else None


class SandboxError(RuntimeError):
    """No sandbox can be made on this machine; the message says why and what to do."""


def sandbox_problem() -> str | None:
    """None when a sandbox can be made here, else why not (one sentence, with the fix)."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces (bubblewrap), and this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is needed to drop root's rights in the sandbox"
    probe = subprocess.run(
        ["bwrap", *_unshare_flags(), "--ro-bind", "/", "/", "--", "true"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here ({probe.stderr.strip()[:200]})"
    return None


def _unshare_flags() -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    # as root, bwrap needs no user namespace; without root it is how an unprivileged bwrap works
    return flags if os.geteuid() == 0 else ["--unshare-user", *flags]


def _inside(path: Path, others) -> bool:
    return any(path != other and path.is_relative_to(other) for other in others)


@dataclass
class Sandbox:
    """The bwrap command line for one kernel: ``scratch`` is its only writable folder besides ``sockets``."""

    scratch: Path
    sockets: Path
    env: dict[str, str] = field(default_factory=dict)
    memory_bytes: int | None = 8 * 2**30
    max_processes: int = 256
    cpu_seconds: int = 3600
    max_file_bytes: int = 2**30
    uid: int | None = field(default_factory=_fresh_uid)

    def read_only(self) -> list[Path]:
        """What the kernel may read: Python, its environment, the package, the data; never the project."""
        paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
        paths.add(Path(course_utils.__file__).resolve().parent)
        for data in (data_root(), repo_data_dir()):
            if data.is_dir():
                paths.add(data.resolve())
        return sorted(p for p in paths if not _inside(p, paths) and not _inside(p, [Path("/usr")]))

    def prepare(self) -> None:
        """Create the two writable folders, owned by the kernel's user id."""
        for folder in (self.scratch, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
            if self.uid is not None:
                os.chown(folder, self.uid, self.uid)

    def argv(self) -> list[str]:
        """bwrap's command line up to (not including) the program it runs."""
        args = ["bwrap", *_unshare_flags(), "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64"):
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        args += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        made = {Path("/"), Path("/tmp"), Path("/usr"), Path("/etc")}
        binds = [("--ro-bind", p) for p in self.read_only()] + [("--bind", self.scratch), ("--bind", self.sockets)]
        for flag, path in binds:
            for parent in reversed(path.parents):
                if parent not in made and not _inside(parent, [Path("/usr"), Path("/etc")]):
                    args += ["--dir", str(parent)]
                    made.add(parent)
            args += [flag, str(path), str(path)]
            made.add(path)
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(self.scratch),
            "IPYTHONDIR": str(self.scratch / ".ipython"),
            "MPLCONFIGDIR": str(self.scratch / ".matplotlib"),
            "LANG": "C.UTF-8",
            # the copy of the package the sandbox binds, whichever way the grader found it (an editable
            # install may point elsewhere: a worktree on PYTHONPATH, a shared venv)
            "PYTHONPATH": str(Path(course_utils.__file__).resolve().parent.parent),
            **self.env,
        }
        args += ["--chdir", str(self.scratch), "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        if self.uid is not None:
            args += ["--", "setpriv", "--reuid", str(self.uid), "--regid", str(self.uid), "--clear-groups"]
            args += ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
        return [*args, "--"]

    def set_limits(self) -> None:
        """Run in the child before bwrap starts (``preexec_fn``): the limits pass on to the kernel."""
        limits = [
            (resource.RLIMIT_NPROC, self.max_processes),
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_FSIZE, self.max_file_bytes),
            (resource.RLIMIT_CORE, 0),
        ]
        if self.memory_bytes:
            limits.append((resource.RLIMIT_AS, self.memory_bytes))
        for kind, value in limits:
            resource.setrlimit(kind, (value, value))


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside ``sandbox``, reached over Unix sockets."""

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(transport="ipc", ip=str(sandbox.sockets / "kernel"), **kwargs)
        self.connection_file = str(sandbox.sockets / "connection.json")
        self._sandbox = sandbox
        command = [*sandbox.argv(), sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        # interrupts travel as messages: a signal would reach bwrap, not the kernel inside it
        self._kernel_spec = KernelSpec(
            argv=command, display_name="sandboxed Python", language="python", interrupt_mode="message"
        )

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self._sandbox.uid is not None:  # the kernel's own user must read it
            os.chown(self.connection_file, self._sandbox.uid, self._sandbox.uid)


def unconfined_kernel_manager(sandbox: Sandbox, **kwargs) -> AsyncKernelManager:
    """For ``--no-sandbox`` only: a plain kernel with the same environment and limits, over Unix sockets."""
    sandbox.uid = None
    manager = AsyncKernelManager(transport="ipc", ip=str(sandbox.sockets / "kernel"), kernel_name="python3", **kwargs)
    manager.connection_file = str(sandbox.sockets / "connection.json")
    return manager
