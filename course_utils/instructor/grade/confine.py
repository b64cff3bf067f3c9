"""What keeps one sandboxed kernel off its neighbours' CPU time: a core of its own, kept; its whole
process tree stopped at the end.

Not a notebook topic; used by ``course_utils.instructor.grade.sandbox`` and ``.running``.

* Cores: ``course grade`` runs no more kernels at once than the grader may use cores
  (``os.sched_getaffinity``), each pinned to a core of its own (``os.sched_setaffinity`` in the child
  before bwrap starts; children inherit it). A seccomp filter (given to bwrap) makes
  ``sched_setaffinity`` fail with EPERM in the sandbox, so neither the kernel nor its children can move
  to another core: 32 busy loops of one submission share that submission's core.
* cgroups would bound memory and CPU of the whole tree; they are used nowhere here, because on this
  machine none of their controllers is writable (:func:`cgroup_status` says which path runs).
* The tree: every sandbox has its own PID namespace, whose first process is bwrap's; killing the tree
  (SIGKILL to bwrap and every descendant, ``setsid()`` or not) ends the namespace, and with it every
  process a submission started.
"""

from __future__ import annotations

import os
import platform
import signal
import struct

__all__ = ["usable_cores", "pin_to", "seccomp_program", "kill_tree", "cgroup_status"]

# seccomp-bpf: struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}; struct seccomp_data {int nr; u32 arch; ...}
_LOAD_WORD, _JUMP_EQ, _JUMP_GE, _RETURN = 0x20, 0x15, 0x35, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM = 1
_X32_BIT = 0x40000000
# (audit arch, number of sched_setaffinity) by machine; elsewhere no filter is made (and the docs say so)
_ARCHES = {"x86_64": (0xC000003E, 203), "aarch64": (0xC00000B7, 122)}


def usable_cores() -> list[int]:
    """The cores this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def pin_to(core: int | None) -> None:
    """Pin the calling process (and so everything it starts) to ``core``; None leaves it as it is."""
    if core is not None:
        os.sched_setaffinity(0, {core})


def seccomp_program() -> bytes | None:
    """A classic BPF program that refuses ``sched_setaffinity`` (EPERM) and allows every other call.

    On x86_64 the x32 calls (numbers with bit 30 set) are refused as a whole, so the filter has no
    second way around it. None on machines not in the table.
    """
    machine = platform.machine()
    if machine not in _ARCHES:
        return None
    arch, number = _ARCHES[machine]

    def op(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)

    deny = _ERRNO | _EPERM
    program = [
        op(_LOAD_WORD, 0, 0, 4),  # arch
        op(_JUMP_EQ, 1, 0, arch),
        op(_RETURN, 0, 0, _ALLOW),  # another ABI: nothing to refuse in it
        op(_LOAD_WORD, 0, 0, 0),  # the call's number
        op(_JUMP_GE, 2, 0, _X32_BIT) if machine == "x86_64" else op(_JUMP_EQ, 2, 0, number),
        op(_JUMP_EQ, 1, 0, number),
        op(_RETURN, 0, 0, _ALLOW),
        op(_RETURN, 0, 0, deny),
    ]
    return b"".join(program)


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def kill_tree(pid: int | None) -> None:
    """SIGKILL ``pid`` and every process below it; already gone is fine."""
    if not pid:
        return
    for target in [pid, *_descendants(pid)]:
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def cgroup_status() -> str:
    """Which path bounds a kernel's memory, processes and CPU here: a writable cgroup, or rlimits and cores."""
    for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        controllers = os.path.join(root, "cgroup.controllers")
        if os.path.exists(controllers) and os.access(root, os.W_OK):
            return (
                f"cgroup v2 at {root} is writable, but not used: rlimits, a pinned core and a tmpfs bound each kernel"
            )
    return "no writable cgroup here: rlimits (address space, processes, CPU time, file size), a pinned core, a tmpfs"
