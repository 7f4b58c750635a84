"""``harness merge``: join the results the CI shards uploaded into one reports folder."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from harness.errors import EXIT_OK, EXIT_UNMEASURED, HarnessError, StorageError
from harness.names import log_parts
from harness.report import publish
from harness.state import State, add
from harness.store import Store, result_key


def add_parser(commands) -> None:
    merger = commands.add_parser("merge", help="join the reports of many runners into one")
    merger.set_defaults(handler=command)
    merger.add_argument("sources", nargs="+", type=Path, metavar="DIR",
                        help="the reports folders the shards uploaded")  # fmt: skip
    add(merger, "reports")
    merger.add_argument(
        "--project", type=Path, default=None, help="mark cells whose inputs changed"
    )


def command(state: State) -> int:
    """Copy every runner's results (and the run folders they point to) into one folder.

    A runner's folder is input: only results of the schema's shape with plain names are taken,
    and nothing is read through a link or written outside ``--reports``."""
    args = state.args
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
    conflicts, unreadable, seen = [], [], {}
    with state.folder("merge") as target:
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
        paths, more = publish.publish(target, state.project, [], False, {})
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
