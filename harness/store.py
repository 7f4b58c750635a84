"""Where a run's files live, atomic writes, and the input fingerprints that make resume safe."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .cells import Cell, CellResult

ARTIFACTS = (
    "junit.xml",
    "coverage.json",
    ".coverage",
    "tox-result.json",
    "probe.json",
    "tox.log",
    "result.json",
)
DOCUMENTS = {".md", ".rst"}  # prose cannot change a test result
SKIPPED_DIRS = {
    ".git",
    ".tox",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
}


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


class Store:
    def __init__(self, reports: Path) -> None:
        self.reports = reports

    def cell_dir(self, cell: Cell) -> Path:
        return self.reports / "cells" / cell.name

    def fresh_cell_dir(self, cell: Cell) -> Path:
        """The cell's directory emptied of a previous attempt's artifacts (its lock is kept)."""
        directory = self.cell_dir(cell)
        directory.mkdir(parents=True, exist_ok=True)
        for name in ARTIFACTS:
            (directory / name).unlink(missing_ok=True)
        return directory

    def save(self, result: CellResult) -> None:
        write_atomic(
            self.cell_dir(result.cell) / "result.json", json.dumps(result.to_dict(), indent=2)
        )

    def load(self, cell: Cell):
        try:
            return CellResult.from_dict(
                json.loads((self.cell_dir(cell) / "result.json").read_text())
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def load_all(self) -> list:
        results = []
        for path in sorted((self.reports / "cells").glob("*/result.json")):
            try:
                results.append(CellResult.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return results

    def remove_env(self, project: Path, cell: Cell) -> None:
        """Ad-hoc cells get their own env dir; drop it when the cell is re-run from scratch."""
        if cell.adhoc:
            shutil.rmtree(project / ".tox" / cell.name, ignore_errors=True)


def project_files(project: Path, excluded: set) -> list:
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
    return sorted(f for f in files if f.is_file() and f.resolve() not in excluded)


def project_digest(project: Path, excluded: set, reports: Path) -> str:
    digest = hashlib.sha256()
    reports = reports.resolve()
    for path in project_files(project, excluded):
        if reports in path.resolve().parents or path.suffix in DOCUMENTS:
            continue
        digest.update(str(path.relative_to(project)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprint(cell: Cell, constraint: Path, project_hash: str) -> str:
    """What a cell's result depends on. The lock counts by content, not by its (absolute) path."""
    deps = [d for d in cell.deps if not d.strip().startswith("-c")]
    digest = hashlib.sha256(json.dumps([cell.name, deps, cell.pins, cell.base_python]).encode())
    digest.update(constraint.read_bytes() if constraint.is_file() else b"(no lock)")
    digest.update(project_hash.encode())
    return digest.hexdigest()[:16]
