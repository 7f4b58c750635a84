"""``harness``: run the matrix, lock it, list it, re-render its reports.

Each command is a short pipeline of stages; a stage either returns the next value or the
CLI stops with a clear message and an exit code.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import audit, bisect, gating, lock, matrix, pipeline, processes, progress, reports, suggest
from .cells import INFRA_ERROR, NO_TESTS, PASS, PROBE, SUITE, TIMEOUT
from .errors import HarnessError
from .options import (
    DEFAULT_REPORTS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STRICT,
    EXIT_UNMEASURED,
    EXIT_USAGE,
    add_folders,
    envs,
)  # fmt: skip
from .options import project as project_of
from .options import reports as reports_of
from .signatures import load_signatures
from .store import Store

UNMEASURED = (INFRA_ERROR, TIMEOUT, NO_TESTS)  # the run could not say whether these work


def _selection(parser: argparse.ArgumentParser) -> None:
    add_folders(parser)
    parser.add_argument(
        "-e", "--env", dest="envs", action="append", default=[], help="tox env(s), comma-separated"
    )
    parser.add_argument(
        "-m", "--label", dest="labels", action="append", default=[], help="tox label(s)"
    )
    parser.add_argument(
        "--with", dest="adhoc", action="append", default=[], metavar="PINS",
        help="an ad-hoc cell: the first -e env (else the first of env_list) with these pins, "
        "e.g. --with torch==2.2.2,numpy==2.0.2; each --with is one more cell",
    )  # fmt: skip


def _run_arguments(run: argparse.ArgumentParser) -> None:
    _selection(run)
    run.add_argument(
        "--jobs", type=int, default=0, help="cells at once (default: by cores and memory)"
    )
    run.add_argument("--timeout", type=float, default=1800, help="seconds per cell (default 1800)")
    run.add_argument(
        "--resume", action="store_true", help="keep finished cells whose inputs are unchanged"
    )
    run.add_argument("--skip-disk-check", action="store_true")
    run.add_argument("--signatures", type=Path, default=None, help="JSON list of extra signatures")
    run.add_argument("--strict", action="store_true", help="exit 1 unless every cell passes")
    run.add_argument(
        "--fresh", action="store_true", help="forget every stored result first (locks are kept)"
    )
    run.add_argument(
        "--force", action="store_true",
        help="run each selected cell as a forced twin (ENV-forced): its pins override package "
        "metadata, to learn whether a bound that makes it unsatisfiable is real",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run cells and write reports/; arguments after -- go to tox as {posargs}"
    )
    _run_arguments(run)
    probe = commands.add_parser(
        "probe", help="like run, but each cell runs seconds of stack checks instead of its suite"
    )
    _run_arguments(probe)
    locker = commands.add_parser(
        "lock", help="re-pin every selected cell's closure into its constraints file"
    )
    _selection(locker)
    listing = commands.add_parser("list", help="show the selected cells, their pins and lock state")
    _selection(listing)
    gating.add_parser(commands)
    audit.add_parser(commands)
    suggest.add_parser(commands)
    bisect.add_parser(commands)
    report = commands.add_parser(
        "report", help="re-render compat.md and compat.html from compat.json"
    )
    report.add_argument("--reports", type=Path, default=Path(DEFAULT_REPORTS))
    report.add_argument(
        "--collect", action="store_true",
        help="first rebuild compat.json from every stored cell result under REPORTS/cells",
    )  # fmt: skip
    report.add_argument(
        "--project", type=Path, default=None, help="with --collect: mark cells whose inputs changed"
    )
    return parser


def _tools(project: Path) -> dict:
    found = {}
    for name, command in (
        ("tox", matrix.tox_command() + ["--version"]),
        ("uv", [lock.uv_binary(), "--version"]),
    ):
        try:
            done = processes.run(command, timeout=60, cwd=project)
            found[name] = done.stdout.split("\n")[0].split(" from ")[0].strip()
        except (OSError, subprocess.SubprocessError):
            found[name] = None
    return found


def _run_options(args: argparse.Namespace) -> pipeline.RunOptions:
    """Every option checked before any work starts."""
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        raise HarnessError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    if args.jobs < 0:
        raise HarnessError(f"--jobs must be 0 (automatic) or more, not {args.jobs}")
    project = project_of(args)
    return pipeline.RunOptions(
        project=project, reports=reports_of(args, project), envs=envs(args.envs),
        labels=args.labels, adhoc=args.adhoc, jobs=args.jobs, timeout_s=args.timeout,
        resume=args.resume, skip_disk_check=args.skip_disk_check,
        signatures=load_signatures(args.signatures), posargs=args.posargs, force=args.force,
        mode=PROBE if args.command == "probe" else SUITE,
    )  # fmt: skip


def command_run(args: argparse.Namespace) -> int:
    options = _run_options(args)
    matrix.parse_pins(options.adhoc)  # a bad --with stops here, before the folder is taken
    store = Store(options.reports)
    store.acquire("run")
    try:
        if args.fresh:
            store.forget()
        outcome, interrupted = None, False
        try:
            outcome = pipeline.run(options, store, progress.choose())
            interrupted = outcome.interrupted
        except (KeyboardInterrupt, processes.Interrupted):
            interrupted = True
        processes.LIVE.stopping = False  # every process of the run is gone; now report
        selected = [c.name for c in outcome.cells] if outcome else []
        finished = {r.cell.name for r in outcome.results} if outcome else set()
        not_run = [name for name in selected if name not in finished]
        paths, unreadable = reports.publish(
            store, options.project, not_run, interrupted, _tools(options.project),
            options.signatures,
        )  # fmt: skip
        store.prune_runs(store.load_all()[0])
    finally:
        store.release()
    print(f"harness: wrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    _name_unreadable(unreadable)
    if interrupted:
        print("harness: interrupted; run again with --resume to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    results = outcome.results
    unmeasured = [r.cell.name for r in results if r.verdict in UNMEASURED]
    if unmeasured:
        print(f"harness: not measured: {', '.join(unmeasured)} (see the report)", file=sys.stderr)
        return EXIT_UNMEASURED
    if unreadable:
        return EXIT_UNMEASURED
    if args.strict and any(r.verdict != PASS for r in results):
        return EXIT_STRICT
    return EXIT_OK


def _name_unreadable(unreadable: list) -> None:
    for path in unreadable:
        print(f"harness: cannot read the stored result {path}; it is left out", file=sys.stderr)


def command_lock(args: argparse.Namespace) -> int:
    """Re-pin the selected cells. A lock that fails keeps the previous one, byte for byte."""
    project = project_of(args)
    cells = [
        c for c in matrix.select(project, envs(args.envs), args.labels, args.adhoc)
        if not c.installs_from_uv_lock
    ]  # fmt: skip
    store = Store(reports_of(args, project))
    store.acquire("lock")
    try:
        paths = {c.name: lock.lock_path(c, project, store.locks) for c in cells}
        outcomes = lock.lock_all(cells, paths, project, pipeline.find_pythons(cells))
    finally:
        store.release()
    kinds = []
    for name, outcome in outcomes.items():
        where = paths[name].relative_to(project) if project in paths[name].parents else paths[name]
        if outcome.ok:
            print(f"locked        {name} -> {where}")
            continue
        kinds.append(outcome.problem.signature)
        reason = outcome.problem.message or outcome.problem.evidence
        print(f"{outcome.problem.signature:<13} {name}: {reason} ({where} left as it was)")
    if any(kind != "unsatisfiable" for kind in kinds):
        return EXIT_UNMEASURED
    return EXIT_STRICT if kinds else EXIT_OK


def command_list(args: argparse.Namespace) -> int:
    project = project_of(args)
    store = Store(reports_of(args, project))
    for cell in matrix.select(project, envs(args.envs), args.labels, args.adhoc):
        path = lock.lock_path(cell, project, store.locks)
        state = "unlocked" if lock.needs_lock(cell, path, project) else "locked"
        pins = " ".join(f"{n}{s}" for n, s in sorted(cell.pins.items()))
        print(f"{cell.name:<32} {state:<9} {pins}")
    return EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    """Re-render compat.md and compat.html; ``--collect`` first rebuilds compat.json."""
    store = Store(args.reports.resolve())
    unreadable = []
    if args.collect:
        if not any(store.results.glob("*.json")):
            raise HarnessError(f"no stored cell results under {store.results}")
        store.acquire("report")
        try:
            project = args.project.resolve() if args.project else None
            _, unreadable = reports.publish(store, project, [], False, {})
        finally:
            store.release()
        _name_unreadable(unreadable)
    source = store.reports / "compat.json"
    try:
        report = reports.load(source)
    except OSError as exc:
        raise HarnessError(f"no report to render: {exc.strerror}: {source}") from exc
    except ValueError as exc:
        raise HarnessError(f"cannot read {source}: {exc}") from exc
    paths = reports.write(report, store.reports)
    print(f"harness: rendered {paths['md']} and {paths['html']} from {source}")
    return EXIT_UNMEASURED if unreadable else EXIT_OK


def _interrupt(signum, frame):
    processes.LIVE.kill_all()  # whatever stage the run is in, its processes end now
    raise KeyboardInterrupt


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def main(argv: list = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = build_parser().parse_args(argv[:split])
    args.posargs = argv[split + 1 :]
    processes.LIVE.stopping = False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)  # CI cancels jobs with SIGTERM
    handlers = {
        "run": command_run,
        "probe": command_run,
        "lock": command_lock,
        "list": command_list,
        "report": command_report,
        "gate": gating.command,
        "audit": audit.command,
        "suggest": suggest.command,
        "bisect": bisect.command,
    }
    try:
        return handlers[args.command](args)
    except (HarnessError, ValueError) as exc:
        print(f"harness: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, processes.Interrupted):
        print("harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, not a traceback, and the way to see more
        if os.environ.get("HARNESS_TRACEBACK"):
            raise
        print(f"harness: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(a bug; HARNESS_TRACEBACK=1 shows where)", file=sys.stderr)  # fmt: skip
        return EXIT_UNMEASURED


if __name__ == "__main__":
    raise SystemExit(main())
