"""``harness clean``: remove what the harness made: its envs, its results, its share of uv's cache.

Only the envs of cells the reports folder knows are removed (``.tox/ENV``), never the rest of
``.tox``. The cache share is every package the harness's locks pin, cleaned with
``uv cache clean``; uv's cache is shared with other work, so that is asked for explicitly.
"""

from __future__ import annotations

import argparse
import shutil

from . import environments, processes
from .lock import uv_binary
from .options import EXIT_OK, add_folders, project
from .options import reports as reports_of
from .store import Store

OUTPUTS = (
    "compat.json",
    "compat.md",
    "compat.html",
    "audit.json",
    "disk.json",
    "gate.json",
    "gate.md",
)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "clean", help="remove the harness's envs, results, and cache share"
    )
    parser.set_defaults(handler=command)
    add_folders(parser)
    parser.add_argument("--envs", action="store_true", help="the envs of the stored cells")
    parser.add_argument("--results", action="store_true", help="stored results, runs and reports")
    parser.add_argument("--cache", action="store_true", help="the packages the harness's locks pin")


def command(args: argparse.Namespace) -> int:
    folder = project(args)
    store = Store(reports_of(args, folder))
    everything = not (args.envs or args.results or args.cache)
    store.acquire("clean")
    try:
        results, _ = store.load_all()
        if args.envs or everything:
            gone = [r.cell.name for r in results if (folder / ".tox" / r.cell.name).is_dir()]
            for name in gone:
                shutil.rmtree(folder / ".tox" / name, ignore_errors=True)
            print(f"harness clean: removed {len(gone)} env(s) under {folder / '.tox'}")
        if args.cache:
            pinned = sorted(
                {n for path in store.locks.glob("*.txt") for n, _ in environments.locked(path)}
            )
            if pinned:
                processes.run([uv_binary(), "cache", "clean", *pinned], timeout=600)
            print(
                f"harness clean: cleaned {len(pinned)} package(s) from uv's cache ({environments.uv_cache_dir()})"
            )
        if args.results or everything:
            store.forget()
            for name in OUTPUTS:
                (store.reports / name).unlink(missing_ok=True)
            print(f"harness clean: removed the results and reports in {store.reports} (locks kept)")
    finally:
        store.release()
    return EXIT_OK
