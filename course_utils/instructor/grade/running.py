"""Running one submission: its notebook with grading cells, in a sandboxed kernel, with time and size limits.

Not a notebook topic; used by ``course_utils.instructor.grade.grading``.

* Time: at a cell's limit (or the notebook's, whichever comes first) the kernel is interrupted; if the
  cell has not ended ``Options.grace`` seconds later, the sandbox's whole process tree is killed. The
  exercises graded before that keep their verdicts; the rest say why they were not run.
* Output: every output kind counts towards ``Options.max_output_bytes`` kept per run (strings, JSON, any
  MIME type); no message larger than ``Options.max_message_bytes`` is even received (ZeroMQ drops it).
* Answers: only from the grader's own files (``course_utils.instructor.grade.answers``), read after a
  grading cell that completed (reply "ok", no error shown).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from course_utils.instructor.grade.answers import Exchange
from course_utils.instructor.grade.confine import kill_tree
from course_utils.instructor.grade.sandbox import Sandbox, SandboxedKernelManager, unconfined_kernel_manager

__all__ = ["Options", "bounded_client", "run_notebook"]


@dataclass(frozen=True)
class Options:
    """How submissions are run: limits, fast mode, the sandbox, and the seed of the fresh cases."""

    cell_timeout: float = 120
    notebook_timeout: float = 900
    grace: float = 5  # after an interrupt, before the process tree is killed
    memory_limit_gb: float | None = 8
    max_processes: int = 256
    scratch_mb: int = 256  # the private tmpfs of each kernel (its folder and /tmp, each)
    max_submission_mb: float = 32
    max_output_bytes: int = 32 * 2**20  # outputs kept per run; no verdict reads them
    max_message_bytes: int = 8 * 2**20
    sandbox: bool = True
    fast: bool = True
    seed: int = 0
    edition: str = ""  # a built student edition whose package the kernels get; "": built into _build/grading/
    kernel: str = ""  # the kernel package's folder (kernel_package's), once resolved; set by grade()


def _size(value) -> int:
    if isinstance(value, str):
        return len(value)
    try:
        return len(json.dumps(value))
    except (TypeError, ValueError):
        return len(repr(value))


def bounded_client(nb, *, max_output_bytes: int = 32 * 2**20, grace: float = 5, **kwargs):
    """An nbclient NotebookClient that keeps at most ``max_output_bytes`` of outputs of any kind (errors
    always, shortened), records each cell's reply status, and at a time limit interrupts, then kills."""
    from nbclient import NotebookClient

    class BoundedClient(NotebookClient):
        kept = 0
        status = ""
        interrupted_at: float | None = None

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg["msg_type"] == "error":
                content["traceback"] = [line[:2000] for line in content.get("traceback", [])[-20:]]
                content["evalue"] = str(content.get("evalue", ""))[:2000]
                return super().output(outs, msg, display_id, cell_index)
            parts = [content.get("text", ""), content.get("data", {}), content.get("metadata", {})]
            self.kept += 100 + sum(_size(part) for part in parts if part)  # 100: what an output costs at least
            if self.kept > max_output_bytes:
                return None  # a notebook printing gigabytes
            return super().output(outs, msg, display_id, cell_index)

        async def _check_raise_for_error(self, cell, cell_index, exec_reply):
            self.status = (exec_reply or {}).get("content", {}).get("status", "")
            return await super()._check_raise_for_error(cell, cell_index, exec_reply)

        async def _async_handle_timeout(self, timeout, cell=None):
            from nbclient.exceptions import DeadKernelError

            self.interrupted_at = time.monotonic()
            await self.km.interrupt_kernel()
            while time.monotonic() - self.interrupted_at < grace:
                if await self.kc.shell_channel.msg_ready():
                    return None  # the interrupt worked: the reply is there
                await asyncio.sleep(0.1)
            kill_tree(getattr(self.km.provisioner, "pid", None))  # it swallowed the interrupt
            raise DeadKernelError("stopped after its time limit")

    return BoundedClient(nb, **kwargs)


def _limit_messages(km, max_bytes: int) -> None:
    """Make the kernel client's sockets refuse any message over ``max_bytes`` (before it is decoded)."""
    import zmq
    import zmq.asyncio

    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, max_bytes)
    make_client = km.client
    km.client = lambda **kwargs: make_client(**{"context": context, **kwargs})


def _error_name(cell) -> str:
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    return errors[0].get("ename", "Error") if errors else ""


def run_notebook(run, exchange_cells: dict, sandbox_kwargs: dict, options: Options, core: int | None):
    """Run ``run`` (a notebook whose grading cells carry ``metadata.grading``) up to its last grading cell.

    ``exchange_cells``: exercise number -> (cases sent, source of its grading cell given the files).
    Returns (answers by exercise: (cases, plain answer or why not), problem that stopped the run or "").
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    answers, problem = {}, ""
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        exchange = Exchange(Path(tmp) / "exchange")
        sources = {}
        for number, (sent, make_source) in exchange_cells.items():
            files = exchange.add(number, sent)
            sources[number] = (files, make_source(files.cases, files.answer))
        sandbox = Sandbox(Path(tmp) / "scratch", Path(tmp) / "sockets", **sandbox_kwargs, core=core)
        sandbox.exchange, sandbox.answers = exchange.folder, exchange.answer_paths()
        if options.sandbox:
            sandbox.load_seccomp()
            km = SandboxedKernelManager(sandbox)
        else:
            km = unconfined_kernel_manager(sandbox)
        _limit_messages(km, options.max_message_bytes)
        sandbox.prepare()
        client = bounded_client(
            run,
            km=km,
            timeout=options.cell_timeout,
            allow_errors=True,
            interrupt_on_timeout=True,
            max_output_bytes=options.max_output_bytes,
            grace=options.grace,
            shell_timeout_interval=1,
        )
        deadline = time.monotonic() + options.notebook_timeout
        number = ""
        try:
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # the kernel's own banner
            env = {**os.environ, **sandbox.environment()}
            launch = {"preexec_fn": sandbox.set_limits, "cwd": str(sandbox.scratch), "env": env}
            if sandbox.seccomp_fd is not None:
                launch["pass_fds"] = (sandbox.seccomp_fd,)
            with client.setup_kernel(**launch, **quiet):
                last = max((i for i, c in enumerate(run.cells) if c.metadata.get("grading")), default=-1)
                for index, cell in enumerate(run.cells[: last + 1]):  # later cells cannot change a verdict
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        problem = f"notebook time limit ({options.notebook_timeout:g} s) reached before cell {index}"
                        break
                    number = cell.metadata.get("grading", "")
                    if number:
                        cell.source = sources[number][1]
                    client.timeout = max(1, int(min(options.cell_timeout, remaining)))
                    client.interrupted_at, client.status = None, ""
                    client.execute_cell(cell, index)
                    if number:
                        answers[number] = (sources[number][0].sent, _answer(client, cell, sources[number][0]))
                    number = ""
        except DeadKernelError:
            killed = client.interrupted_at is not None
            problem = (
                f"time limit: a cell ran past its limit ({client.timeout} s), ignored the interrupt and was stopped"
                if killed
                else "the kernel died (the notebook crashed it, called os._exit, or ran out of memory)"
            )
            if number:
                answers[number] = (sources[number][0].sent, problem)
        except CellTimeoutError:
            problem = "a cell could not be interrupted after its time limit"
        except Exception as err:  # the kernel did not start, or nbclient failed: report, go on
            problem = f"{type(err).__name__}: {err}"
        finally:
            _stop(km)
            exchange.close()
            sandbox.close()
    return answers, problem


def _answer(client, cell, files) -> dict | str:
    """The grading cell's answer, only if the cell completed; else why not."""
    if client.interrupted_at is not None:
        return f"time limit: the answer ran longer than {client.timeout} s and was interrupted"
    if client.status != "ok" or _error_name(cell):
        name = _error_name(cell) or "an error"
        return f"the grading cell did not complete ({name}): its answer is not used"
    return files.read()


def _stop(km) -> None:
    from jupyter_core.utils import run_sync

    kill_tree(getattr(getattr(km, "provisioner", None), "pid", None))  # every process it started, at once
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
        run_sync(km.cleanup_resources)() if hasattr(km, "cleanup_resources") else None
    except Exception:  # a kernel that is already gone
        pass
