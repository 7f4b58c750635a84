"""Shards over CI runners: ``harness plan`` prints them, ``harness run --shard K/N`` runs one,
``harness merge`` joins what the runners uploaded.

A shard is a set of whole groups (cells sharing a torch release stay on one runner, which
fetches that release once). The groups come from the cells' own pins, not from their locks,
so that every runner computes the same shards from the same tox.ini without locking first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

from . import matrix, reports
from .errors import HarnessError, StorageError
from .names import log_parts
from .options import EXIT_OK, EXIT_UNMEASURED, add_selection, envs
from .options import project as project_of
from .store import Store, result_key

GITHUB_MAX_JOBS = 256
HEAVY = ("torch",)  # the wheels worth grouping by: GBs each, with their CUDA libraries


def parse(text: str):
    """``"2/8"`` -> ``(2, 8)``; None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise HarnessError(f"--shard {text!r} must be K/N with 1 <= K <= N, e.g. 2/8")
    return int(match.group(1)), int(match.group(2))


def heavy_pins(cell) -> str:
    """``torch 2.1.2``: the heavy wheels a cell pins exactly; "" when it pins none."""
    return ", ".join(
        f"{n} {cell.pins[n][2:]}" for n in HEAVY if cell.pins.get(n, "").startswith("==")
    )


def group_key(cell) -> str:
    """What a runner would fetch for the cell: its torch release; a light cell is its own group."""
    return heavy_pins(cell) or cell.name


def shards(cells: list, count: int) -> list:
    """``count`` lists of cells: whole groups, the biggest first onto the emptiest shard."""
    groups = {}
    for cell in cells:
        groups.setdefault(group_key(cell), []).append(cell)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    found = [[] for _ in range(count)]
    for _, members in ordered:
        min(found, key=len).extend(members)
    return [sorted(shard, key=lambda c: c.name) for shard in found]


def shard_count(cells: list, limit: int = GITHUB_MAX_JOBS) -> int:
    return max(1, min(limit, len({group_key(c) for c in cells})))


def select(cells: list, shard) -> list:
    if shard is None:
        return cells
    number, count = shard
    return shards(cells, count)[number - 1]


def add_parser(commands) -> None:
    planner = commands.add_parser("plan", help="print the selection as CI shards (JSON only)")
    add_selection(planner)
    planner.set_defaults(handler=command_plan)
    planner.add_argument(
        "--list", action="store_true", help="a plain JSON list, not GitHub's matrix"
    )
    planner.add_argument("--max-jobs", type=int, default=GITHUB_MAX_JOBS)
    merger = commands.add_parser("merge", help="join the reports of many runners into one")
    merger.set_defaults(handler=command_merge)
    merger.add_argument("sources", nargs="+", type=Path, metavar="DIR")
    merger.add_argument("--reports", type=Path, default=Path(".harness"), help="where to write")
    merger.add_argument(
        "--project", type=Path, default=None, help="mark cells whose inputs changed"
    )


def command_plan(args: argparse.Namespace) -> int:
    if not 1 <= args.max_jobs <= GITHUB_MAX_JOBS:
        raise HarnessError(f"--max-jobs must be between 1 and {GITHUB_MAX_JOBS}")
    cells = matrix.select(project_of(args), envs(args.envs), args.labels, args.adhoc)
    count = shard_count(cells, args.max_jobs)
    listed = [
        {"shard": f"{number}/{count}", "groups": sorted({group_key(c) for c in members}),
         "cells": [c.name for c in members]}
        for number, members in enumerate(shards(cells, count), 1)
    ]  # fmt: skip
    if args.list:
        print(json.dumps(listed, indent=2))
    else:
        print(json.dumps({"include": [{"shard": s["shard"], "groups": ", ".join(s["groups"]),
                                       "cells": len(s["cells"])} for s in listed]}))  # fmt: skip
    return EXIT_OK


def command_merge(args: argparse.Namespace) -> int:
    """Copy every runner's results (and the run folders they point to) into one folder.

    A runner's folder is input: only results of the schema's shape with plain names are taken,
    and nothing is read through a link or written outside ``--reports``."""
    for source in args.sources:
        if not source.is_dir():
            raise HarnessError(
                f"merge: {source} {'is not a folder' if source.exists() else 'does not exist'}"
            )
        links = [source / name for name in ("cells", "runs") if (source / name).is_symlink()]
        if links:
            raise HarnessError(
                f"merge: {links[0]} is a symbolic link; the harness does not follow it"
            )
    target = Store(args.reports.resolve())
    target.acquire("merge")
    conflicts, unreadable, seen = [], [], {}
    try:
        for source in args.sources:
            results, bad = Store(source.resolve()).load_all()
            unreadable += bad
            for result in results:
                key = result_key(result)
                earlier = seen.get(key)
                if earlier is not None:
                    if _summary(earlier) != _summary(result):
                        conflicts.append((key, earlier, result))
                    continue  # the first stays; a conflicting one is reported, never written over it
                seen[key] = result
                _copy_run(source, target.reports, result)
                target.save(result)
        project = args.project.resolve() if args.project else None
        paths, more = reports.publish(target, project, [], False, {})
    finally:
        target.release()
    for path in unreadable + more:
        print(f"harness merge: cannot read {path}; it is left out", file=sys.stderr)
    for key, first, second in conflicts:
        print(f"harness merge: {key} conflicts: {_summary(first)} against {_summary(second)}; "
              "the first is kept", file=sys.stderr)  # fmt: skip
    print(
        f"harness merge: {len(seen)} cell result(s) from {len(args.sources)} folder(s) -> {paths['json']}"
    )
    return EXIT_UNMEASURED if conflicts or unreadable or more else EXIT_OK


def _summary(result) -> tuple:
    return (result.verdict, result.tests.passed, result.tests.failed, result.tests.errors,
            sorted(f.test for f in result.failures))  # fmt: skip


def _copy_run(source: Path, target: Path, result) -> None:
    """Copy the run folder a result's (checked) log names: its plain files and folders only,
    never through a link, and never over a folder already there."""
    parts = log_parts(result.log)  # ("RUN", "NAME") of runs/RUN/NAME/tox.log, or ()
    if not parts:
        return
    paths = [Path("runs"), Path("runs", parts[0]), Path("runs", *parts)]
    if any((base / p).is_symlink() for base in (source, target) for p in paths):
        return
    if (source / paths[2]).is_dir() and not os.path.lexists(target / paths[2]):
        try:
            shutil.copytree(source / paths[2], target / paths[2], ignore=_not_plain)
        except OSError as exc:  # shutil.Error too: a full disk, an unreadable file
            raise StorageError(f"cannot copy {source / paths[2]} to {target / paths[2]}: "
                               f"{exc.strerror or 'some files failed'}") from exc  # fmt: skip


def _not_plain(folder: str, names: list) -> list:
    """What copytree leaves out: links, and anything neither a file nor a folder (a FIFO)."""
    paths = [os.path.join(folder, name) for name in names]
    return [os.path.basename(p) for p in paths
            if os.path.islink(p) or not (os.path.isfile(p) or os.path.isdir(p))]  # fmt: skip
