"""``harness lock`` and ``harness list``: the selected cells, their pins and their locks."""

from __future__ import annotations

import argparse

from . import lock, matrix, pipeline
from .options import EXIT_OK, EXIT_STRICT, EXIT_UNMEASURED, add_selection, envs
from .options import project as project_of
from .options import reports as reports_of
from .store import Store


def add_parser(commands) -> None:
    locker = commands.add_parser(
        "lock", help="re-pin every selected cell's closure into its constraints file"
    )
    add_selection(locker)
    locker.set_defaults(handler=command_lock)
    listing = commands.add_parser("list", help="show the selected cells, their pins and lock state")
    add_selection(listing)
    listing.set_defaults(handler=command_list)


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
