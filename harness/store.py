"""Where a run's files live, atomic writes, and the input fingerprints that make resume safe."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from .cells import Cell, CellResult
from .interpreters import identify

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

    @property
    def locks(self) -> Path:
        """The harness's own lock files, for cells whose deps name none."""
        return self.reports / "locks"

    def cell_dir(self, cell: Cell) -> Path:
        return self.reports / "cells" / cell.name

    def fresh_cell_dir(self, cell: Cell) -> Path:
        """The cell's directory, emptied of a previous attempt (it holds nothing else)."""
        directory = self.cell_dir(cell)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
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


def fingerprint(cell: Cell, constraint: Path, project_hash: str, posargs: list = (),
                python: str = "") -> str:  # fmt: skip
    """What a cell's result depends on. The lock counts by content, not by its (absolute) path."""
    deps = [d for d in cell.deps if not d.strip().startswith("-c")]
    settings = [
        cell.name,
        deps,
        cell.pins,
        cell.base_python,
        cell.commands,
        cell.package,
        cell.extras,
        cell.groups,
        list(posargs),
        python and identify(python),
    ]
    digest = hashlib.sha256(json.dumps(settings).encode())
    digest.update(constraint.read_bytes() if constraint.is_file() else b"(no lock)")
    digest.update(project_hash.encode())
    return digest.hexdigest()[:16]
