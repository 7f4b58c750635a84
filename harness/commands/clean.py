"""``harness clean``: remove what the harness made: its envs, its results, its share of uv's cache.

Outside the reports folder, only uv's cache is touched (``--cache``). The envs are tox's work
dir that the harness made in it (``REPORTS/envs``, carrying the harness's marker), never the
project's ``.tox``. Results are the stored results, run folders and reports the harness wrote,
never another file. The gate's own folder (``REPORTS/gate``) is cleaned alike.
The cache share is every package the harness's locks pin, cleaned with ``uv cache clean``;
uv's cache is shared with other work, so that is asked for explicitly.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from harness import processes
from harness.errors import EXIT_OK, HarnessError, StorageError
from harness.names import OUTPUTS, plain_file, within
from harness.stages import budget, lock
from harness.stages import disk as environments
from harness.state import OWN_FOLDERS, State, add
from harness.store import ENVS_MARKER, MARKER, Store

DESCRIPTION = "Remove what the harness made: the envs it built (never the project's .tox), the results, run folders and reports it wrote (never another file, the gate's folder included), and with --cache the packages its locks pin from uv's cache. Outside the reports folder only uv's cache is touched, and only when asked."
EXAMPLES = ("harness clean --envs", "harness clean --results --cache")
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "clean", help="remove the harness's envs, results, and cache share"
    )
    parser.set_defaults(handler=command)
    add(parser, "project", "reports")
    parser.add_argument(
        "--envs", action="store_true", help="the tox envs the harness made (REPORTS/envs)"
    )
    parser.add_argument("--results", action="store_true", help="stored results, runs and reports")
    parser.add_argument("--cache", action="store_true", help="the packages the harness's locks pin")


def command(state: State) -> int:
    args = state.args
    everything = not (args.envs or args.results or args.cache)
    with state.folder("clean") as store:
        stores = [store, *own_folders(store)]  # the gate's folder (REPORTS/gate) too
        if args.envs or everything:
            for each in stores:
                remove_envs(each)
        if args.cache:
            clean_cache(store, state.project)
        if args.results or everything:
            for each in stores:
                each.forget()
                for name in OUTPUTS:
                    (each.reports / name).unlink(missing_ok=True)
                print(f"harness clean: removed the results and reports in {each.reports} "
                      "(locks kept)")  # fmt: skip
    return EXIT_OK


def own_folders(store: Store) -> list:
    """The reports folders of the commands that keep one inside ``store`` (``OWN_FOLDERS``),
    where the harness made and marked one; a link there is never followed."""
    found = [store.reports / name for name in OWN_FOLDERS.values()]
    return [Store(f) for f in found if not f.is_symlink() and plain_file(f / MARKER)]


def remove_envs(store: Store) -> None:
    envs = store.envs
    if os.path.lexists(envs) and not store.envs_marked():
        raise HarnessError(f"{envs} was not made by the harness (no {ENVS_MARKER}); left as it is")
    gone = (
        [p for p in envs.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if envs.is_dir()
        else []
    )
    try:
        if envs.is_dir():
            shutil.rmtree(envs)  # the marker goes too; the next run makes it again
    except OSError as exc:
        raise StorageError(f"cannot remove {exc.filename}: {exc.strerror}") from exc
    print(f"harness clean: removed {len(gone)} env(s) in {envs}")


def clean_cache(store: Store, project: Path) -> None:
    """Drop from uv's cache every package a lock of the harness pins (its own locks and those
    its stored results name, such as ``constraints/ENV.txt``), then prune what uv no longer
    indexes: ``uv cache clean`` alone frees no byte of an unpacked wheel."""
    results, _ = store.load_all()
    locks = {path for path in store.locks.glob("*.txt") if plain_file(path)}
    for result in results:
        path = within(result.lock, project, store.reports)
        if path is not None:
            locks.add(path)
        elif result.lock:  # never followed: it would name what uv cleans from outside
            print(f"harness clean: the stored result of {result.cell.name} names the lock "
                  f"{result.lock!r}, not a file inside {project}; left out", file=sys.stderr)  # fmt: skip
    pinned = sorted({name for path in locks for name, _ in lock.locked(path)})
    cache = environments.uv_cache_dir()
    before = budget.du([cache])
    if pinned:
        processes.run([lock.uv_binary(), "cache", "clean", *pinned], timeout=600)
        processes.run([lock.uv_binary(), "cache", "prune"], timeout=600)
    freed = max(0, before - budget.du([cache]))
    print(f"harness clean: cleaned {len(pinned)} package(s) from uv's cache ({cache}), "
          f"{freed / 1e6:.0f} MB freed")  # fmt: skip
