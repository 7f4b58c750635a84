"""Where a run's files live, atomic writes, and the input fingerprints that make resume safe."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .cells import SUITE, Cell, CellResult
from .errors import HarnessError

DOCUMENTS = {".md", ".rst"}
HARNESS_LOCK_MARK = b"# harness lock for "  # prose cannot change a test result
SKIPPED_DIRS = {
    ".git",
    ".tox",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".nox",
    "node_modules",
}  # tools' output: never an input of a cell, even where git does not ignore it


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file of its own, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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

    def acquire(self, what: str) -> None:
        """Take the folder for this process, or raise Busy naming the process that holds it."""
        if self.reports.exists() and not self.reports.is_dir():
            raise HarnessError(f"--reports {self.reports} is a file, not a folder")
        try:
            self.reports.mkdir(parents=True, exist_ok=True)
            handle = open(self.reports / ".lock", "a+")
        except OSError as exc:
            raise HarnessError(f"cannot write to --reports {self.reports}: {exc.strerror}") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise Busy(
                f"{self.reports} is in use by {holder}; wait for it or pass another --reports"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"harness {what} (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})\n")
        handle.flush()
        self._held = handle

    def release(self) -> None:
        if self._held is not None:
            self._held.close()  # closing drops the flock
            self._held = None

    def run_dir(self, cell: Cell, mode: str = SUITE) -> Path:
        """This run's folder for the cell, new and empty."""
        directory = (
            self.reports
            / "runs"
            / self.run_id
            / (cell.name + ("" if mode == SUITE else f"@{mode}"))
        )
        directory.mkdir(parents=True)
        return directory

    def path(self, name: str, mode: str = SUITE) -> Path:
        return self.results / (f"{name}.json" if mode == SUITE else f"{name}@{mode}.json")

    def save(self, result: CellResult) -> None:
        write_atomic(
            self.path(result.cell.name, result.mode), json.dumps(result.to_dict(), indent=2)
        )

    def load(self, cell: Cell, mode: str = SUITE):
        try:
            return CellResult.from_dict(json.loads(self.path(cell.name, mode).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def load_all(self) -> tuple:
        """``(results, unreadable)``: every stored result, and the files that could not be read."""
        results, unreadable = [], []
        for path in sorted(self.results.glob("*.json")):
            try:
                results.append(CellResult.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                unreadable.append(path)
        return results, unreadable

    def forget(self) -> None:
        """``--fresh``: drop every stored result and run folder (locks are kept)."""
        for folder in (self.results, self.reports / "runs"):
            shutil.rmtree(folder, ignore_errors=True)

    def prune_runs(self, results: list) -> None:
        """Drop run folders no stored result points to any more."""
        kept = {Path(r.log).parts[1] for r in results if r.log.startswith("runs/")}
        for folder in (self.reports / "runs").glob("*"):
            if folder.name not in kept and folder.name != self.run_id:
                shutil.rmtree(folder, ignore_errors=True)


def project_files(project: Path) -> list:
    """Files that define the suite and the code under test: git's view, else a walk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"], cwd=project,
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.splitlines()  # fmt: skip
        files = [project / name for name in listed]
    except (OSError, subprocess.SubprocessError):
        files = []
        for root, dirs, names in os.walk(project):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
            files += [Path(root) / name for name in names]
    return sorted(
        f for f in files
        if f.is_file() and f.suffix != ".pyc" and not SKIPPED_DIRS & set(f.relative_to(project).parts)
    )  # fmt: skip


def project_digest(project: Path, reports: Path, excluded: tuple = ()) -> str:
    """The project's files, less prose, the reports folder, the harness's lock files and
    ``excluded`` (files whose content reaches the cells another way)."""
    digest = hashlib.sha256()
    reports = reports.resolve()
    skipped = {(project / name).resolve() for name in excluded}
    for path in project_files(project):
        if (
            reports in path.resolve().parents
            or path.suffix in DOCUMENTS
            or path.resolve() in skipped
        ):
            continue
        content = path.read_bytes()
        if content.startswith(HARNESS_LOCK_MARK):
            continue  # counted through each cell's own fingerprint
        digest.update(str(path.relative_to(project)).encode())
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def fingerprint(cell: Cell, lock: Path, project_hash: str, posargs: list = (),
                interpreter: str = "", mode: str = SUITE) -> str:  # fmt: skip
    """What a cell's result depends on. The lock counts by content, not by its (absolute) path."""
    deps = [d for d in cell.deps if not d.strip().startswith("-c")]
    settings = [cell.name, deps, cell.pins, cell.base_python, cell.commands, cell.package,
                cell.extras, cell.groups, list(posargs), interpreter]  # fmt: skip
    settings += [mode] if mode != SUITE else []  # suite fingerprints stay what they were
    digest = hashlib.sha256(json.dumps(settings).encode())
    digest.update(lock.read_bytes() if lock.is_file() else b"(no lock)")
    digest.update(project_hash.encode())
    return digest.hexdigest()[:16]


def result_key(result: CellResult) -> str:
    """How a stored result is named: ``ENV``, or ``ENV@probe`` for a probe's."""
    return result.cell.name if result.mode == SUITE else f"{result.cell.name}@{result.mode}"


def stale_cells(results: list, project: Path, reports: Path) -> set:
    """Names of stored results whose inputs (settings, lock, project files) changed since."""
    digests = {}
    stale = set()
    for r in results:
        key = tuple(r.excluded)
        if key not in digests:
            digests[key] = project_digest(project, reports, key)
        if (
            fingerprint(r.cell, project / r.lock, digests[key], r.posargs, r.interpreter, r.mode)
            != r.fingerprint
        ):
            stale.add(result_key(r))
    return stale
