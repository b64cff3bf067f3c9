"""A sandbox for one graded submission's kernel, built on bubblewrap (``bwrap``, Debian's ``bubblewrap``).

Not a notebook topic: ``course grade`` (``course_utils.instructor.grade.grading``) starts every
submission's kernel in one.
What the kernel gets:

* no network (its own empty network namespace), its own process, IPC and host-name namespaces;
* a read-only view of the system (``/usr``, ``/etc``), of Python and its environment, of the grading
  kernel's ``course_utils`` (the student edition's package without answers, judges or fallbacks:
  ``course_utils.instructor.grade.kernel_package``; the instructor's package is not there) and of the data
  folder (symbolic links resolved before binding, and ``COURSE_DATA`` set to the resolved folder), and
  nothing else of the machine: not the instructor source, not the other submissions, not the report;
* a private scratch folder (its working directory and ``HOME``) and ``/tmp``, each a tmpfs of at most
  ``scratch_bytes``: memory of its own that no other kernel can fill, and that it cannot grow past;
* the exchange folder of its grading cells, read-only, with only its answer files writable
  (``course_utils.instructor.grade.answers``), and a folder for its sockets;
* limits: address space, number of processes, CPU time and file size (``setrlimit``), one core of its
  own that it cannot leave (``course_utils.instructor.grade.confine``), plus the grader's own time limits
  per cell and per notebook, after which its whole process tree is killed;
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

from course_utils.data import data_root, repo_data_dir
from course_utils.instructor.grade.answers import MAX_ANSWER_BYTES
from course_utils.instructor.grade.confine import pin_to, seccomp_program
from course_utils.instructor.grade.kernel_package import kernel_package

__all__ = [
    "SandboxError",
    "sandbox_problem",
    "kernel_python",
    "data_folder",
    "Sandbox",
    "SandboxedKernelManager",
    "unconfined_kernel_manager",
]

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


def kernel_python() -> Path:
    """The interpreter the kernel runs: the environment's own, by its resolved path (a linked venv too)."""
    candidate = Path(sys.prefix).resolve() / "bin" / "python"
    return candidate if candidate.exists() else Path(sys.executable)


def data_folder() -> Path:
    """The data folder the kernel sees, its links resolved: ``$COURSE_DATA``'s, else the repository's."""
    root = data_root()
    return (root if root.is_dir() else repo_data_dir()).resolve()


@dataclass
class Sandbox:
    """The bwrap command line for one kernel: ``scratch`` (a tmpfs) and the answer files are what it may write."""

    scratch: Path
    sockets: Path
    env: dict[str, str] = field(default_factory=dict)
    memory_bytes: int | None = 8 * 2**30
    max_processes: int = 256
    cpu_seconds: int = 3600
    max_file_bytes: int = MAX_ANSWER_BYTES
    scratch_bytes: int = 256 * 2**20
    core: int | None = None
    exchange: Path | None = None
    answers: list[Path] = field(default_factory=list)
    uid: int | None = field(default_factory=_fresh_uid)
    seccomp_fd: int | None = None
    package: Path | None = None  # the folder holding the kernel's course_utils/; None: kernel_package()

    def package_root(self) -> Path:
        """The folder on the kernel's PYTHONPATH: the one holding the grading kernel's ``course_utils/``."""
        if self.package is None:
            self.package = kernel_package()
        return Path(self.package).resolve()

    def read_only(self) -> list[Path]:
        """What the kernel may read: Python, its environment, the kernel's package, the data; never the project."""
        paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), kernel_python().resolve().parent}
        paths.add(self.package_root() / "course_utils")  # this package only: not the instructor's
        for data in (data_folder(), repo_data_dir()):
            if data.is_dir():
                paths.add(data.resolve())
        return sorted(p for p in paths if not _inside(p, paths) and not _inside(p, [Path("/usr")]))

    def prepare(self) -> None:
        """Create the socket folder (and, for --no-sandbox, the scratch folder), owned by the kernel's user."""
        for folder in (self.scratch, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
            if self.uid is not None:
                os.chown(folder, self.uid, self.uid)

    def environment(self) -> dict[str, str]:
        """The kernel's whole environment: nothing of the grader's but what is listed here."""
        return {
            "PATH": f"{kernel_python().parent}:/usr/bin:/bin",
            "HOME": str(self.scratch),
            "IPYTHONDIR": str(self.scratch / ".ipython"),
            "MPLCONFIGDIR": str(self.scratch / ".matplotlib"),
            "LANG": "C.UTF-8",
            **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},  # one core
            **self.env,
            "PYTHONPATH": str(self.package_root()),  # the grading kernel's package, not the instructor's
            "COURSE_DATA": str(data_folder()),
        }

    def _mounts(self) -> list[str]:
        args, made = [], {Path("/"), Path("/tmp"), Path("/usr"), Path("/etc")}
        binds = [("--ro-bind", p) for p in self.read_only()] + [("--bind", self.sockets)]
        binds += [("--tmpfs", self.scratch)] + ([("--ro-bind", self.exchange)] if self.exchange else [])
        for flag, path in binds:
            for parent in reversed(path.parents):
                if parent not in made and not _inside(parent, [Path("/usr"), Path("/etc")]):
                    args += ["--dir", str(parent)]
                    made.add(parent)
            if flag == "--tmpfs":
                args += ["--perms", "1777", "--size", str(self.scratch_bytes), "--tmpfs", str(path)]
            else:
                args += [flag, str(path), str(path)]
            made.add(path)
        for answer in self.answers:  # over the read-only exchange folder: these files only are writable
            args += ["--bind", str(answer), str(answer)]
        return args

    def argv(self) -> list[str]:
        """bwrap's command line up to (not including) the program it runs."""
        args = ["bwrap", *_unshare_flags(), "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64"):
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        args += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(self.scratch_bytes), "--tmpfs", "/tmp", *self._mounts()]
        if self.seccomp_fd is not None:
            args += ["--seccomp", str(self.seccomp_fd)]
        args += ["--chdir", str(self.scratch), "--clearenv"]
        for key, value in self.environment().items():
            args += ["--setenv", key, value]
        if self.uid is not None:
            args += ["--", "setpriv", "--reuid", str(self.uid), "--regid", str(self.uid), "--clear-groups"]
            args += ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
        return [*args, "--"]

    def load_seccomp(self) -> None:
        """Write the seccomp program to a file bwrap reads by descriptor (pass ``seccomp_fd`` on to it)."""
        program = seccomp_program()
        if program is not None and self.seccomp_fd is None:
            self.seccomp_fd = os.memfd_create("course-grade-seccomp", 0)  # inheritable: bwrap reads it
            os.write(self.seccomp_fd, program)
            os.lseek(self.seccomp_fd, 0, os.SEEK_SET)

    def close(self) -> None:
        if self.seccomp_fd is not None:
            os.close(self.seccomp_fd)
            self.seccomp_fd = None

    def set_limits(self) -> None:
        """Run in the child before bwrap starts (``preexec_fn``): the limits and the core pass on to the kernel."""
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
        pin_to(self.core)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside ``sandbox``, reached over Unix sockets."""

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(transport="ipc", ip=str(sandbox.sockets / "kernel"), **kwargs)
        self.connection_file = str(sandbox.sockets / "connection.json")
        self._sandbox = sandbox
        command = [*sandbox.argv(), str(kernel_python()), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
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
