"""``harness``: run the matrix, lock it, list it, re-render its reports.

Each command is a short pipeline of stages; a stage either returns the next value or the
CLI stops with a clear message and an exit code.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import lock, matrix, pipeline, progress, reports
from .cells import INFRA_ERROR, NO_TESTS, PASS, TIMEOUT
from .errors import HarnessError
from .signatures import load_signatures
from .store import Store, write_atomic

EXIT_OK, EXIT_STRICT, EXIT_USAGE, EXIT_UNMEASURED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
UNMEASURED = (INFRA_ERROR, TIMEOUT, NO_TESTS)
DEFAULT_REPORTS = ".harness"  # a dot folder, like .tox: no build backend takes it for a package  # the run could not say whether these work


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), help="folder holding tox.ini")
    parser.add_argument(
        "--reports", type=Path, default=None,
        help=f"output folder: reports, per-cell results, locks (default: PROJECT/{DEFAULT_REPORTS})",
    )  # fmt: skip
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run cells and write reports/; arguments after -- go to tox as {posargs}"
    )
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
    locker = commands.add_parser(
        "lock", help="re-pin every selected cell's closure into its constraints file"
    )
    _selection(locker)
    listing = commands.add_parser("list", help="show the selected cells, their pins and lock state")
    _selection(listing)
    report = commands.add_parser(
        "report", help="re-render compat.md and compat.html from compat.json"
    )
    report.add_argument("--reports", type=Path, default=Path(DEFAULT_REPORTS))
    report.add_argument(
        "--collect", action="store_true",
        help="first rebuild compat.json from every cell result under REPORTS/cells (joins partial runs)",
    )  # fmt: skip
    return parser


def _reports(args: argparse.Namespace, project: Path) -> Path:
    return (args.reports or project / DEFAULT_REPORTS).resolve()


def _envs(values: list) -> list:
    return [env for value in values for env in value.split(",") if env]


def _tools(project: Path) -> dict:
    found = {}
    for name, command in (
        ("tox", matrix.tox_command() + ["--version"]),
        ("uv", [lock.uv_binary(), "--version"]),
    ):
        try:
            done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60)
            found[name] = done.stdout.split("\n")[0].split(" from ")[0].strip()
        except (OSError, subprocess.SubprocessError):
            found[name] = None
    return found


def command_run(args: argparse.Namespace) -> int:
    project = args.project.resolve()
    if not (project / "tox.ini").is_file() and not (project / "pyproject.toml").is_file():
        raise HarnessError(f"{project} has no tox.ini or pyproject.toml")
    if args.timeout <= 0 or args.jobs < 0:
        raise HarnessError("--timeout must be positive and --jobs not negative")
    options = pipeline.RunOptions(
        project=project, reports=_reports(args, project),
        envs=_envs(args.envs), labels=args.labels, adhoc=args.adhoc, jobs=args.jobs,
        timeout_s=args.timeout, resume=args.resume, skip_disk_check=args.skip_disk_check,
        signatures=load_signatures(args.signatures), posargs=args.posargs,
    )  # fmt: skip
    outcome = pipeline.run(options, progress.choose())
    names = [c.name for c in outcome.cells]
    tools = _tools(project)
    report = reports.build(
        outcome.results, project, names, outcome.interrupted, tools, options.signatures
    )
    paths = reports.write(report, options.reports)
    print(f"harness: wrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    if outcome.interrupted:
        print("harness: interrupted; run again with --resume to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    unmeasured = [r.cell.name for r in outcome.results if r.verdict in UNMEASURED]
    if unmeasured:
        print(f"harness: not measured: {', '.join(unmeasured)} (see the report)", file=sys.stderr)
        return EXIT_UNMEASURED
    if args.strict and any(r.verdict != PASS for r in outcome.results):
        return EXIT_STRICT
    return EXIT_OK


def command_lock(args: argparse.Namespace) -> int:
    project = args.project.resolve()
    cells = [
        c for c in matrix.select(project, _envs(args.envs), args.labels, args.adhoc)
        if not c.installs_from_uv_lock
    ]  # fmt: skip
    store = Store(_reports(args, project))
    paths = {c.name: lock.lock_path(c, project, store.locks) for c in cells}
    pythons = pipeline.find_pythons(cells)
    for name, outcome in lock.lock_all(cells, paths, project, pythons).items():
        where = paths[name].relative_to(project) if project in paths[name].parents else paths[name]
        if outcome.ok:
            print(f"locked        {name} -> {where}")
        else:
            paths[name].unlink(missing_ok=True)
            print(
                f"{outcome.problem.signature:<13} {name}: {outcome.problem.message or outcome.problem.evidence}"
            )
    return EXIT_OK


def command_list(args: argparse.Namespace) -> int:
    project = args.project.resolve()
    store = Store(_reports(args, project))
    for cell in matrix.select(project, _envs(args.envs), args.labels, args.adhoc):
        path = lock.lock_path(cell, project, store.locks)
        state = "unlocked" if lock.needs_lock(cell, path, project) else "locked"
        pins = " ".join(f"{n}{s}" for n, s in sorted(cell.pins.items()))
        print(f"{cell.name:<32} {state:<9} {pins}")
    return EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    source = args.reports / "compat.json"
    if args.collect:
        results = Store(args.reports).load_all()
        if not results:
            raise HarnessError(f"no cell results under {args.reports / 'cells'}")
        previous = reports.load(source) if source.is_file() else {}
        project = previous.get("project", str(args.reports.resolve().parent))
        names = [r.cell.name for r in results]
        report = reports.build(results, project, names, False, previous.get("tools", {}))
        write_atomic(source, json.dumps(report, indent=2))
    try:
        report = reports.load(source)
    except OSError as exc:
        raise HarnessError(f"no report to render: {exc}") from exc
    except ValueError as exc:
        raise HarnessError(f"cannot read {source}: {exc}") from exc
    paths = reports.write(report, args.reports)
    print(f"harness: rendered {paths['md']} and {paths['html']} from {source}")
    return EXIT_OK


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = build_parser().parse_args(argv[:split])
    args.posargs = argv[split + 1 :]
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started ignoring it
        signal.signal(signal.SIGTERM, _interrupt)  # CI cancels jobs with SIGTERM
    handlers = {
        "run": command_run,
        "lock": command_lock,
        "list": command_list,
        "report": command_report,
    }
    try:
        return handlers[args.command](args)
    except (HarnessError, ValueError) as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
