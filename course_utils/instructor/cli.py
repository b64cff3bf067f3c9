"""The ``course`` command: data status and fetching, the environment report.

course env                 print the environment report (as notebook 00 does)
course data status         what data is found where, and whether checksums are right
course data verify         the same, exiting 1 when MNIST is missing or corrupt
course data fetch [--cifar10]   download into the repo's data/ where the network allows
course run NOTEBOOK... [--fast]   execute notebooks in place in fresh kernels (committed outputs)
course release SOURCE_DIR TARGET_DIR [--force]   write student copies of the instructor notebooks
course workspace RELEASE_DIR WORK_DIR   copy the student notebooks a learner's folder lacks (never overwrites)
course grade FOLDER_OR_FILE... --source DIR --out report.csv [--jobs N] [--dry-run] [--resume]
                           grade submitted notebooks (sandboxed); lists what it picks up and skips first
course grade ... --shard K/N --seed S   grade shard K (0-based) of N, by student, for a cluster
course merge SHARD_OUTPUT... --out report.csv   the report, gradebook and feedback of all shards, as one run
course similarity FOLDER_OR_FILE... --source DIR --out DIR   answers that look copied (copydetect), per exercise
course publish EDITION REPO [--push]   the student edition as the next commit of the class repository
course links --hub URL --repo URL [--branch B]   each notebook's nbgitpuller link for the class hub
course collect HOME... --out DIR --folder NAME [--roster CSV]   students' notebooks out of their hub homes
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
    rel = commands.add_parser("release", help="write student copies (solutions removed, outputs cleared)")
    rel.add_argument("source", type=Path, help="folder of instructor notebooks, e.g. notebooks/")
    rel.add_argument("target", type=Path, help="folder for the student copies, e.g. student/")
    rel.add_argument("--force", action="store_true", help="replace student copies edited since the last release")
    rel.add_argument(
        "--edition", type=Path, help="also write the student edition there (e.g. _build/student-edition; emptied first)"
    )
    work = commands.add_parser("workspace", help="copy the student notebooks a learner's own folder lacks")
    work.add_argument("release", type=Path, help="the released student notebooks, e.g. student/")
    work.add_argument("work", type=Path, help="the learner's folder, e.g. my-work/ (nothing there is overwritten)")
    grade = commands.add_parser("grade", help="grade submitted notebooks against the instructor source, sandboxed")
    grade.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        help="the folder you collected into (one subfolder per student, or Canvas/Moodle download names), or files",
    )
    grade.add_argument("--source", type=Path, required=True, help="folder of instructor notebooks")
    grade.add_argument("--out", type=Path, required=True, help="per-exercise CSV report to write")
    grade.add_argument("--gradebook", type=Path, help="gradebook CSV (default: <out>-gradebook.csv)")
    grade.add_argument("--feedback", type=Path, help="folder of feedback files (default: <out>-feedback/)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once, at most the cores (default 1)")
    grade.add_argument("--dry-run", action="store_true", help="only list what would be graded and what is skipped")
    grade.add_argument("--resume", action="store_true", help="skip students already in --out; keep their rows")
    grade.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell (default 120)")
    grade.add_argument("--notebook-timeout", type=float, default=900, help="seconds per notebook (default 900)")
    grade.add_argument("--memory-gb", type=float, default=8, help="address-space limit per kernel (default 8)")
    grade.add_argument("--seed", type=int, default=0, help="seed of the fresh cases (default: a new one)")
    grade.add_argument("--full", action="store_true", help="run notebooks in full mode (default: COURSE_FAST=1)")
    grade.add_argument("--shard", help="K/N: grade shard K (from 0) of N, by student; needs --seed")
    grade.add_argument("--edition", type=Path, help="built student edition for the kernels (default: built, cached)")
    grade.add_argument(
        "--no-sandbox", action="store_true", help="run students' code without a sandbox (recorded in the report)"
    )
    merge = commands.add_parser("merge", help="merge the outputs of `course grade --shard` into one run's")
    merge.add_argument("shards", nargs="+", type=Path, help="*-shard.json files, or folders holding them")
    merge.add_argument("--out", type=Path, required=True, help="per-exercise CSV report to write")
    merge.add_argument("--gradebook", type=Path, help="gradebook CSV (default: <out>-gradebook.csv)")
    merge.add_argument("--feedback", type=Path, help="folder of feedback files (default: <out>-feedback/)")
    similar = commands.add_parser("similarity", help="flag answers that look copied, exercise by exercise")
    similar.add_argument("submissions", nargs="+", type=Path, help="submitted notebooks or folders of them")
    similar.add_argument("--source", type=Path, required=True, help="folder of instructor notebooks")
    similar.add_argument("--out", type=Path, required=True, help="folder for pairs.csv, short.csv, report.html")
    similar.add_argument("--starter", type=Path, help="released student notebooks (default: student/ beside --source)")
    similar.add_argument("--course", type=Path, help="the course's code (default: the course_utils package)")
    similar.add_argument("--threshold", type=float, default=0.6, help="flagged overlap fraction (default 0.6)")
    similar.add_argument("--min-tokens", type=int, default=60, help="shorter answers are not judged (default 60)")
    _hub_parsers(commands)
    return parser


def _merge(args: argparse.Namespace) -> int:
    from course_utils.instructor.grade.reports import summary, write_feedback, write_gradebook, write_report
    from course_utils.instructor.grade.shards import ShardError, merge_shards

    try:
        results, seed = merge_shards(args.shards)
    except ShardError as err:
        print(f"error: {err}; nothing was written", file=sys.stderr)
        return 1
    gradebook = args.gradebook or args.out.with_name(f"{args.out.stem}-gradebook.csv")
    feedback = args.feedback or args.out.with_name(f"{args.out.stem}-feedback")
    args.out.parent.mkdir(parents=True, exist_ok=True)  # the merged output's folder may not exist yet
    write_report(results, args.out)
    write_gradebook(results, gradebook)
    written = write_feedback(results, feedback)
    print(summary(results))
    print(f"\nMerged the shards of seed {seed}.")
    print(f"Report: {args.out}\nGradebook: {gradebook}\nFeedback: {len(written)} files in {feedback}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from course_utils.instructor.grade.similarity_report import run

    return run(args.submissions, args.source, args.out, args.starter, args.course, args.threshold, args.min_tokens)


def _hub_parsers(commands) -> None:
    pub = commands.add_parser("publish", help="commit a student edition as the next commit of the class repository")
    pub.add_argument("edition", type=Path, help="the built student edition, e.g. _build/student-edition/")
    pub.add_argument("repo", type=Path, help="a clean clone of the class's student repository (made if absent)")
    pub.add_argument("--push", action="store_true", help="push the commit (a plain push, never forced)")
    links = commands.add_parser("links", help="print each notebook's nbgitpuller link for the class hub")
    links.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example.edu")
    links.add_argument("--repo", required=True, help="the class repository's URL students clone")
    links.add_argument("--branch", default="main", help="its branch (default main)")
    links.add_argument("--edition", type=Path, default=Path("student"), help="where the notebook names come from")
    col = commands.add_parser("collect", help="copy students' notebooks out of their homes on the hub")
    col.add_argument("homes", nargs="+", type=Path, help="the students' home folders, e.g. /home/*")
    col.add_argument("--out", type=Path, required=True, help="folder to copy into: OUT/<student>/NN_name.ipynb")
    col.add_argument("--folder", required=True, help="the clone's folder in each home (`course links` prints it)")
    col.add_argument("--roster", type=Path, help="CSV with columns hub_user,lms_id (default: the hub user's name)")
    col.add_argument("--edition", type=Path, default=Path("student"), help="where the notebook names come from")


def _hub(args: argparse.Namespace) -> int:
    from course_utils.instructor.hub import collect, links, publish

    try:
        if args.command == "publish":
            print(publish.publish(args.edition, args.repo, push=args.push))
            return 0
        names = links.edition_notebooks(args.edition)
        if args.command == "links":
            print(f"Students' clone folder: ~/{links.clone_folder(args.repo)}")
            for name, url in links.notebook_links(args.hub, args.repo, names, args.branch):
                print(f"{name}\t{url}")
            return 0
        roster = collect.read_roster(args.roster) if args.roster else None
        results = collect.collect(args.homes, args.folder, names, args.out, roster)
    except (publish.PublishError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for result in results:
        print(result.line())
    found = sum(1 for r in results if r.copied)
    print(f"{found} of {len(results)} homes gave notebooks; in {args.out}/<student>/ for `course grade`.")
    return 0


def _release(args: argparse.Namespace) -> int:
    from course_utils.instructor.release import ReleaseError, release

    try:
        written = release(args.source, args.target, force=args.force)
    except (ReleaseError, ValueError) as err:
        print(f"error: {err}; nothing was written", file=sys.stderr)
        return 1
    print(f"{len(written)} student notebook{'s' * (len(written) != 1)} in {args.target}")
    if args.edition:
        from course_utils.instructor.edition.build import build_edition
        from course_utils.instructor.edition.safety import PRACTICE, SAFE

        build_edition(args.source, args.edition)
        print(f"the student edition in {args.edition}: {len(SAFE)} exercises safe to grade ({', '.join(SAFE)})")
        print(f"practice only ({len(PRACTICE)}, their answers are in the edition): {', '.join(PRACTICE)}")
    return 0


def _workspace(args: argparse.Namespace) -> int:
    from course_utils.instructor.workspace import copy_missing

    try:
        copied, kept = copy_missing(args.release, args.work)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if copied and not kept:
        print(f"Your own copy of the course: {args.work}/ ({len(copied)} notebooks; edit them freely).")
    elif copied:
        print(f"{args.work}/: added {', '.join(copied)}; your {len(kept)} other notebooks are kept as they are.")
    else:
        print(f"{args.work}/: your {len(kept)} notebooks, kept as they are.")
    return 0


def _grade(args: argparse.Namespace) -> int:
    import secrets

    from course_utils.instructor.grade import reports
    from course_utils.instructor.grade.confine import cgroup_status, usable_cores
    from course_utils.instructor.grade.grading import Options, gather, grade, skipped_rows
    from course_utils.instructor.grade.intake import already_graded, listing
    from course_utils.instructor.grade.sandbox import SandboxError
    from course_utils.instructor.grade.shards import ShardError, ordered, parse_shard, split, write_shard

    seed = args.seed or secrets.randbelow(2**31 - 1) + 1
    if args.shard:
        try:
            k, n = parse_shard(args.shard)
        except ShardError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        if not args.seed:
            print("error: --shard needs --seed: every shard must draw the same fresh cases", file=sys.stderr)
            return 2
    options = Options(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_limit_gb=args.memory_gb,
        sandbox=not args.no_sandbox,
        fast=not args.full,
        seed=seed,
        edition=str(args.edition or ""),
    )
    picked, skipped = gather(args.submissions, args.source, options)
    if args.shard:
        everyone = len(picked)
        picked, skipped, shard = split(picked, skipped, k, n)
        mine = sum(v == k for v in shard.values())
        print(f"Shard {k}/{n}: {len(picked)} of {everyone} files, {mine} of {len(shard)} students.")
    done = already_graded(args.out) if args.resume else set()
    print(listing(picked, skipped, done & {s.student for s in picked}))
    picked = [s for s in picked if s.student not in done]
    if args.dry_run:
        return 0
    jobs = min(args.jobs, len(usable_cores()))
    print(f"Grading {len(picked)} with {jobs} job{'s' * (jobs != 1)}, one core each; {cgroup_status()}.\n")
    try:
        results = grade(picked, args.source, jobs=jobs, options=options)
    except (SandboxError, OSError, ValueError) as err:  # no sandbox here, or --edition is no student edition
        print(f"error: {err}", file=sys.stderr)
        return 2
    kept = [r for r in reports.read_report(args.out) if r.student in done] if done else []
    results = ordered(kept + skipped_rows(skipped) + results)  # by student: shards merge to the same bytes
    gradebook = args.gradebook or args.out.with_name(f"{args.out.stem}-gradebook.csv")
    feedback = args.feedback or args.out.with_name(f"{args.out.stem}-feedback")
    args.out.parent.mkdir(parents=True, exist_ok=True)  # a shard's own folder on a cluster
    reports.write_report(results, args.out)
    reports.write_gradebook(results, gradebook)
    written = reports.write_feedback(results, feedback)
    if args.shard:
        print(f"Shard results: {write_shard(results, args.out, seed=seed, k=k, n=n, shard=shard)}")
    print(reports.summary(results))
    sandbox = "no sandbox (--no-sandbox)" if args.no_sandbox else "each kernel in a sandbox"
    sandbox += f", importing the student edition's package ({args.edition or '_build/grading/'}) without answers"
    print(f"\nGraded with seed {seed}, {sandbox}.")
    print(f"Report: {args.out}\nGradebook: {gradebook}\nFeedback: {len(written)} files in {feedback}")
    return 0


def _run(args: argparse.Namespace) -> int:
    import time

    from course_utils.instructor.notebooks import execute_notebook, read_notebook, write_notebook

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

        print(report(full_paths=True))
        return 0
    if args.command == "run":
        return _run(args)
    if args.command == "release":
        return _release(args)
    if args.command == "grade":
        return _grade(args)
    if args.command == "merge":
        return _merge(args)
    if args.command == "similarity":
        return _similarity(args)
    if args.command == "workspace":
        return _workspace(args)
    if args.command in ("publish", "links", "collect"):
        return _hub(args)
    return _data(args)


if __name__ == "__main__":
    sys.exit(main())
