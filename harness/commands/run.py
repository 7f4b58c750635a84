"""``harness run``: select, run, report; ``--shard K/N`` runs one shard (``probe`` runs it too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness import processes
from harness.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNMEASURED
from harness.model import PROBE, SUITE, UNMEASURED
from harness.report import progress, publish, terminal
from harness.stages import budget, expectations, lock, pipeline, provision
from harness.stages import select as matrix
from harness.stages import shard as sharding
from harness.state import RUNNING, State, add, say_unreadable, write_junit

DESCRIPTION = "Run each selected cell (a tox env, or an ad-hoc cell from --with) in its own env built from its lock, classify every failure, and write compat.json, compat.md and compat.html to the reports folder."
EXAMPLES = (
    "harness run --project ../my-lib",
    "harness run --project ../my-lib -e py311 --with numpy==2.2.6 -- -k 'not slow'",
)
EXITS = (0, 1, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    run = commands.add_parser(
        "run", help="run cells and write reports; arguments after -- go to tox as {posargs}",
        description="Run each selected cell (a tox env, or an ad-hoc cell from --with) in its own "
        "env built from its lock, classify every failure, and write compat.json, .md and .html.",
    )  # fmt: skip
    add(run, *RUNNING)
    run.set_defaults(handler=command)


def tools(project: Path) -> dict:
    """The versions of tox and uv that ran the cells (and tox-uv beside them): read from the
    installed metadata where they are the harness's own, else from the tools themselves. (The
    pytest that ran is each cell's own, in its sessions.)"""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    found = {}
    own = provision.tox_command(project)[: len(provision.own_tox())] == provision.own_tox()
    uv = lock.uv_binary()
    for name, command, known in (
        ("tox", [*provision.tox_command(project), "--version"], own and installed("tox")),
        ("uv", [uv, "--version"], _uv_of_package(uv) and f"uv {installed('uv')}"),
    ):
        if known:
            found[name] = known
            continue
        try:
            done = processes.run(command, timeout=60, cwd=project)
            found[name] = done.stdout.split("\n")[0].split(" from ")[0].strip()
        except (OSError, subprocess.SubprocessError):
            found[name] = None
    if own:
        found["tox-uv"] = installed("tox-uv")
    return found


def _uv_of_package(binary: str) -> bool:
    """Whether ``binary`` is the one the ``uv`` distribution beside the harness installed."""
    from importlib.metadata import PackageNotFoundError, files

    try:
        listed = files("uv") or []
    except PackageNotFoundError:
        return False
    return any(
        entry.name in ("uv", "uv.exe")
        and os.path.realpath(entry.locate()) == os.path.realpath(binary)
        for entry in listed
    )


def run_options(state: State) -> pipeline.RunOptions:
    """The run's options, from the checked state."""
    args = state.args
    return pipeline.RunOptions(
        project=state.project, reports=state.reports, envs=state.envs, labels=state.labels,
        adhoc=state.adhoc, jobs=state.jobs, threads=state.threads, timeout_s=state.timeout, resume=args.resume,
        skip_disk_check=args.skip_disk_check, signatures=state.signatures,
        posargs=state.posargs, force=args.force, mode=PROBE if state.command == "probe" else SUITE,
        shard=sharding.parse(args.shard),
        disk_budget=budget.parse_size(args.disk_budget) if args.disk_budget else 0,
        control=args.control or "", as_of=state.as_of,
    )  # fmt: skip


def command(state: State) -> int:
    options = run_options(state)
    matrix.parse_pins(options.adhoc)  # a bad --with stops here, before the folder is taken
    declared = expectations.load(options.project, tuple(s.id for s in options.signatures))
    with state.folder("run") as store:
        if state.args.fresh:
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
        # the run's own control, or none: a control left by an earlier run is not kept
        paths, unreadable = publish.publish(
            store, options.project, not_run, interrupted, tools(options.project),
            options.signatures, declared,
            control=outcome.control if outcome else (options.control or None),
        )  # fmt: skip
    if outcome:
        terminal.show(outcome.results, options.project, declared)  # groups, annotations in CI
        write_junit(state, outcome.results)
    print(f"harness: wrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    say_unreadable(unreadable)
    if interrupted:
        print("harness: interrupted; run again with --resume to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    results = outcome.results
    # every cell as declared, or exit 1: a new failure or unsatisfiable cell, a changed verdict or
    # signature, a declared cell that now passes (--strict is kept and changes nothing)
    differences = [c for c in expectations.judge(results, declared) if c.differs]
    for check in differences:
        print(f"harness: {check.message(declared)}", file=sys.stderr)
    unmeasured = [r.cell.name for r in results if r.verdict in UNMEASURED]
    if unmeasured:
        print(f"harness: not measured: {', '.join(unmeasured)} (see the report)", file=sys.stderr)
        return EXIT_UNMEASURED
    if unreadable:
        return EXIT_UNMEASURED
    return EXIT_FAILED if differences else EXIT_OK
