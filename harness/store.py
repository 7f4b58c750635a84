"""Where a run's files live, atomic writes, and the input fingerprints that make resume safe."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from harness.errors import HarnessError, StorageError
from harness.files import write_atomic as write_atomic  # where every harness file is written
from harness.model import SUITE, Cell, CellResult
from harness.names import (
    ENVS_MARKER,
    UNREADABLE,
    is_name,
    is_run_id,
    made_by_harness,
    plain_file,
    read_result,
    run_of,
    safe_name,
)

HARNESS_LOCK_MARK = b"# harness lock for "  # prose cannot change a test result


MARKER = ".harness-reports"  # in every reports folder the harness made: {"format": 1}
FORMAT = 1
LINKS_REFUSED = (".lock", "cells", "runs", "locks", "envs", MARKER)


def cache_home() -> Path:
    """The harness's cache: ``$XDG_CACHE_HOME/harness`` (``~/.cache/harness``)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "harness"


def envs_home() -> Path:
    """Where the tox work dirs of every reports folder live."""
    return cache_home() / "envs"


class Busy(HarnessError):
    """Another harness command holds the reports folder."""


class Store:
    """A reports folder: the results of every cell measured so far, and each run's files.

    ``cells/NAME.json`` holds the latest result of each cell; reports are their union.
    ``runs/RUN/NAME/`` holds what one run of one cell left (tox's log and journal, the probe's
    sessions), so nothing of one run can be read by another. ``locks/`` holds the harness's
    lock files. ``.lock`` is the advisory lock that lets one command at a time use the folder.
    """

    def __init__(self, reports: Path) -> None:
        self.reports = reports
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        self._held = None

    @property
    def locks(self) -> Path:
        """The harness's own lock files, for cells whose deps name none."""
        return self.reports / "locks"

    @property
    def results(self) -> Path:
        return self.reports / "cells"

    @property
    def envs(self) -> Path:
        """tox's work dir for this folder's cells (``--workdir``): runs with other reports
        folders never share an env, the probe in it, or its files. It lies outside the project
        (in the harness's cache, named after this folder's path), because a build backend
        that reads only the root ``.gitignore`` (hatchling) would pack the venvs, and their
        absolute symlinks, into the project's sdist."""
        key = hashlib.sha256(str(self.reports.resolve()).encode()).hexdigest()[:16]
        return envs_home() / key

    def make_envs(self) -> Path:
        """``envs``, made and marked as the harness's: ``clean --envs`` removes no other folder."""
        envs = self.envs
        if not self.envs_marked():
            if envs.is_symlink() or (
                envs.exists() and not (envs.is_dir() and not any(envs.iterdir()))
            ):
                raise HarnessError(f"{envs} is not a folder the harness made (no {ENVS_MARKER})")
            write_atomic(envs / ENVS_MARKER, json.dumps({"harness": "envs", "format": FORMAT}))
        return envs

    def envs_marked(self) -> bool:
        """Whether ``envs`` is the harness's own: a real folder holding its marker."""
        return not self.envs.is_symlink() and plain_file(self.envs / ENVS_MARKER)

    def claim(self) -> bool:
        """Refuse links where the harness writes, and a folder it did not make that holds
        anything; True when the folder carries the harness's marker."""
        for name in LINKS_REFUSED:
            if (self.reports / name).is_symlink():
                raise HarnessError(
                    f"{self.reports / name} is a symbolic link; the harness does not follow links "
                    "in a reports folder"
                )
        if plain_file(self.reports / MARKER):
            return True
        if not made_by_harness(self.reports):
            raise HarnessError(
                f"--reports {self.reports} is not empty and not a harness reports folder "
                f"(no {MARKER}); pass an empty or new folder"
            )
        return False

    def mark(self) -> None:
        """Mark the folder as the harness's; a ``.gitignore`` keeps ``git status`` clean."""
        write_atomic(self.reports / MARKER, json.dumps({"harness": "reports", "format": FORMAT}))
        if not os.path.lexists(self.reports / ".gitignore"):
            write_atomic(self.reports / ".gitignore", "# written by the harness\n*\n")

    def acquire(self, what: str) -> None:
        """Take the folder for this process, or raise Busy naming the process that holds it."""
        if self.reports.exists() and not self.reports.is_dir():
            raise HarnessError(f"--reports {self.reports} is a file, not a folder")
        try:
            self.reports.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HarnessError(f"cannot write to --reports {self.reports}: {exc.strerror}") from exc
        marked = self.claim()
        lock = self.reports / ".lock"
        try:
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            handle = os.fdopen(os.open(lock, flags, 0o666), "r+")
        except OSError as exc:
            raise HarnessError(f"cannot write to --reports {lock}: {exc.strerror}") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise Busy(
                f"{self.reports} is in use by {holder}; wait for it or pass another --reports"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"harness {what} (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})\n")
            handle.flush()
            if not marked:
                self.mark()
        except BaseException as exc:
            handle.close()
            if isinstance(exc, OSError):
                raise StorageError(f"cannot write {lock}: {exc.strerror}") from exc
            raise
        self._held = handle

    def release(self) -> None:
        if self._held is not None:
            self._held.close()  # closing drops the flock
            self._held = None

    def run_dir(self, cell: Cell, mode: str = SUITE) -> Path:
        """This run's folder for the cell, new and empty."""
        directory = (
            self.reports / "runs" / safe_name(self.run_id, "run id") / self.key(cell.name, mode)
        )
        directory.mkdir(parents=True)
        return directory

    @staticmethod
    def key(name: str, mode: str = SUITE) -> str:
        """``NAME`` or ``NAME@probe``, checked to be a plain name (BadName otherwise)."""
        return safe_name(name, "cell name") + (
            "" if mode == SUITE else "@" + safe_name(mode, "mode")
        )

    def path(self, name: str, mode: str = SUITE) -> Path:
        return self.results / f"{self.key(name, mode)}.json"

    def save(self, result: CellResult) -> None:
        write_atomic(
            self.path(result.cell.name, result.mode), json.dumps(result.to_dict(), indent=2)
        )

    def load(self, cell: Cell, mode: str = SUITE):
        try:
            return read_result(self.path(cell.name, mode))
        except UNREADABLE:
            return None

    def load_all(self) -> tuple:
        """``(results, unreadable)``: every stored result, and the files that could not be read (do
        not parse, are not of the schema's shape, name a path such as ``../x``, or are links)."""
        if self.results.is_symlink():
            return [], [self.results]
        results, unreadable = [], []
        for path in sorted(self.results.glob("*.json")):
            try:
                results.append(read_result(path))
            except UNREADABLE:
                unreadable.append(path)
        return results, unreadable

    def forget(self) -> None:
        """``--fresh``: drop the stored results and run folders the harness wrote (``cells/NAME.json``,
        ``runs/RUN``), never another file in there; locks are kept."""
        if self.results.is_dir() and not self.results.is_symlink():
            for path in self.results.glob("*.json"):
                if is_name(path.stem) and plain_file(path):
                    path.unlink(missing_ok=True)
        self.prune_runs([])

    def prune_runs(self, results: list) -> None:
        """Drop run folders no stored result points to any more."""
        kept = {run_of(r.log) for r in results} | {self.run_id}
        runs = self.reports / "runs"
        if runs.is_symlink() or not runs.is_dir():
            return
        for folder in runs.iterdir():
            if is_run_id(folder.name) and folder.name not in kept:
                if folder.is_dir() and not folder.is_symlink():
                    shutil.rmtree(folder, ignore_errors=True)


def result_key(result: CellResult) -> str:
    """How a stored result is named: ``ENV``, or ``ENV@probe`` for a probe's."""
    return result.cell.name if result.mode == SUITE else f"{result.cell.name}@{result.mode}"
