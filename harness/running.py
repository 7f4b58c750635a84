"""``harness run`` and ``harness probe``: select, run, report; ``--shard K/N`` runs one shard."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
from pathlib import Path

from . import budget, lock, matrix, pipeline, processes, progress, provision, reports, sharding
from .cells import INFRA_ERROR, NO_TESTS, PASS, PROBE, SUITE, TIMEOUT
from .errors import HarnessError
from .options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STRICT,
    EXIT_UNMEASURED,
    add_selection,
    envs,
)  # fmt: skip
from .options import project as project_of
from .options import reports as reports_of
from .signatures import load_signatures
from .store import Store

UNMEASURED = (INFRA_ERROR, TIMEOUT, NO_TESTS)  # the run could not say whether these work


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run", help="run cells and write reports; arguments after -- go to tox as {posargs}"
    )
    add_run_arguments(run)
    probe = commands.add_parser(
        "probe", help="like run, but each cell runs seconds of stack checks instead of its suite"
    )
    add_run_arguments(probe)


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    add_selection(run)
    run.set_defaults(handler=command)
    run.add_argument(
        "--shard", default=None, metavar="K/N", help="run shard K of N (see harness plan)"
    )
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
        "--disk-budget", default=None, metavar="SIZE",
        help="keep uv's cache and the envs under SIZE (e.g. 14G): cells run in groups by torch "
        "release, releasing what a finished group no longer needs",
    )  # fmt: skip
    run.add_argument(
        "--force", action="store_true",
        help="run each selected cell as a forced twin (ENV-forced): its pins override package "
        "metadata, to learn whether a bound that makes it unsatisfiable is real",
    )  # fmt: skip


def tools(project: Path) -> dict:
    found = {}
    for name, command in (
        ("tox", [*provision.tox_command(project), "--version"]),
        ("uv", [lock.uv_binary(), "--version"]),
    ):
        try:
            done = processes.run(command, timeout=60, cwd=project)
            found[name] = done.stdout.split("\n")[0].split(" from ")[0].strip()
        except (OSError, subprocess.SubprocessError):
            found[name] = None
    return found


def run_options(args: argparse.Namespace) -> pipeline.RunOptions:
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
        mode=PROBE if args.command == "probe" else SUITE, shard=sharding.parse(args.shard),
        disk_budget=budget.parse_size(args.disk_budget) if args.disk_budget else 0,
    )  # fmt: skip


def command(args: argparse.Namespace) -> int:
    options = run_options(args)
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
            store, options.project, not_run, interrupted, tools(options.project),
            options.signatures,
        )  # fmt: skip
    finally:
        store.release()
    print(f"harness: wrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    name_unreadable(unreadable)
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


def name_unreadable(unreadable: list) -> None:
    for path in unreadable:
        print(f"harness: cannot read the stored result {path}; it is left out", file=sys.stderr)
