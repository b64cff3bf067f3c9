"""The ``course`` command: data status and fetching, the environment report.

course env                 print the environment report (as notebook 00 does)
course data status         what data is found where, and whether checksums are right
course data verify         the same, exiting 1 when MNIST is missing or corrupt
course data fetch [--cifar10]   download into the repo's data/ where the network allows
course run NOTEBOOK... [--fast]   execute notebooks in place in fresh kernels (committed outputs)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Helpers for the CNN course companion.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("env", help="print the environment report")
    data = commands.add_parser("data", help="find, verify and fetch data sets")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_commands.add_parser("status", help="what is found where, checksums ok or not")
    data_commands.add_parser("verify", help="like status, but exit 1 if MNIST is missing or corrupt")
    fetch = data_commands.add_parser("fetch", help="download MNIST (and optionally CIFAR-10)")
    fetch.add_argument("--cifar10", action="store_true", help="also fetch CIFAR-10 (about 170 MB)")
    run = commands.add_parser("run", help="execute notebooks in place, top to bottom, in fresh kernels")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--fast", action="store_true", help="set COURSE_FAST=1 (default: full run)")
    run.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    return parser


def _run(args: argparse.Namespace) -> int:
    import time

    from course_utils.notebooks import execute_notebook, read_notebook, write_notebook

    env = {"COURSE_FAST": "1" if args.fast else "0"}
    for path in args.notebooks:
        start = time.perf_counter()
        nb = read_notebook(path)
        execute_notebook(nb, path.resolve().parent, cell_timeout=args.cell_timeout, env=env)
        write_notebook(nb, path)
        print(f"{path}: ran in {time.perf_counter() - start:.1f} s")
    return 0


def _data(args: argparse.Namespace) -> int:
    from course_utils import data

    if args.data_command == "status":
        print(data.data_status())
        return 0
    if args.data_command == "verify":
        status = data.data_status()
        print(status)
        return 0 if "checksums ok" in status else 1
    datasets = ["MNIST"] + (["CIFAR10"] if args.cifar10 else [])
    for name in datasets:
        try:
            root = data.fetch(name)
        except (data.DataNotFoundError, data.DataCorruptError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"{name} ready in {root}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "env":
        from course_utils.env import report

        print(report())
        return 0
    if args.command == "run":
        return _run(args)
    return _data(args)


if __name__ == "__main__":
    sys.exit(main())
