"""``harness clean``: remove what the harness made: its envs, its results, its share of uv's cache.

Outside the reports folder, only uv's cache is touched (``--cache``). The envs are tox's work
dir that the harness made in it (``REPORTS/envs``, carrying the harness's marker), never the
project's ``.tox``. Results are the stored results, run folders and reports the harness wrote,
never another file.
The cache share is every package the harness's locks pin, cleaned with ``uv cache clean``;
uv's cache is shared with other work, so that is asked for explicitly.
"""

from __future__ import annotations

import argparse
import os
import shutil

from . import environments, processes
from .errors import HarnessError, StorageError
from .lock import uv_binary
from .names import OUTPUTS
from .options import EXIT_OK, add_folders, project
from .options import reports as reports_of
from .store import ENVS_MARKER, Store


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "clean", help="remove the harness's envs, results, and cache share"
    )
    parser.set_defaults(handler=command)
    add_folders(parser)
    parser.add_argument(
        "--envs", action="store_true", help="the tox envs the harness made (REPORTS/envs)"
    )
    parser.add_argument("--results", action="store_true", help="stored results, runs and reports")
    parser.add_argument("--cache", action="store_true", help="the packages the harness's locks pin")


def command(args: argparse.Namespace) -> int:
    folder = project(args)
    store = Store(reports_of(args, folder))
    everything = not (args.envs or args.results or args.cache)
    store.acquire("clean")
    try:
        if args.envs or everything:
            envs = store.envs
            if os.path.lexists(envs) and not store.envs_marked():
                raise HarnessError(
                    f"{envs} was not made by the harness (no {ENVS_MARKER}); left as it is"
                )
            gone = [p for p in envs.iterdir() if p.is_dir()] if envs.is_dir() else []
            try:
                if envs.is_dir():
                    shutil.rmtree(envs)  # the marker goes too; the next run makes it again
            except OSError as exc:
                raise StorageError(f"cannot remove {exc.filename}: {exc.strerror}") from exc
            print(f"harness clean: removed {len(gone)} env(s) in {envs}")
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
