"""What a cell's result depends on: its settings, its lock, and the project's files.

A file the run itself wrote or rewrote (a version file, ``junit.xml``, ``coverage.xml`` from
the project's own addopts) is output, not input: ``written_during`` finds those, and the run's
results leave them out of their fingerprints (``CellResult.excluded``), so no cell is stale
right after its run. Builds' and tools' folders (``build/``, ``dist/``, ``*.egg-info``,
``__pycache__``, ``.tox`` …) never count, even where git does not ignore them.

A cell reads the tox config, the requirement files, pyproject/setup.cfg, the package's sources
and the tests (and whatever else they open), so those count, tracked or not. What only git, CI
or an editor reads does not: a ``.gitignore``, ``.github/``, a pre-commit config, the licence
(``NOT_READ``); nor does prose. Adding a ``.gitignore`` leaves every cell fresh; editing a
test makes each cell that ran it stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from harness.model import SUITE, Cell
from harness.names import within
from harness.stages.expectations import STANDALONE
from harness.store import HARNESS_LOCK_MARK, MARKER, result_key

DOCUMENTS = {".md", ".rst"}
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
    "build",
    "dist",
    ".eggs",
}  # tools' and builds' output: never an input of a cell, even where git does not ignore it
SKIPPED_SUFFIXES = (".pyc", ".egg-info")  # compiled files; setuptools' metadata folders
NOT_READ = {
    ".gitignore", ".gitattributes", ".gitmodules", ".mailmap", ".git-blame-ignore-revs",
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".editorconfig", ".dockerignore",
    ".gitlab-ci.yml", ".travis.yml", ".readthedocs.yml", ".readthedocs.yaml", "CODEOWNERS",
}  # fmt: skip  # files (in any folder) only git, CI services and editors read
NOT_READ_DIRS = {".github", ".gitlab", ".circleci", ".idea", ".vscode", ".devcontainer"}
NOT_READ_STEMS = {"LICENSE", "LICENCE", "COPYING", "AUTHORS", "NOTICE", "CHANGELOG", "CHANGES",
                  "HISTORY", "CONTRIBUTING", "CODE_OF_CONDUCT", "SECURITY"}  # fmt: skip


def project_files(project: Path) -> list:
    """Files that define the suite and the code under test: git's view, else (no repository,
    or one that lists none of them) a walk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"], cwd=project,
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.splitlines()  # fmt: skip
        files = [project / name for name in listed]
    except (OSError, subprocess.SubprocessError):
        files = []
    if not files:  # e.g. an sdist the harness unpacked in its reports folder, which git ignores
        for root, dirs, names in os.walk(project):
            dirs[:] = [
                d
                for d in dirs
                if not _skipped(d) and not os.path.isfile(os.path.join(root, d, MARKER))
            ]  # a harness reports folder (the gate's, too)
            files += [Path(root) / name for name in names]
    return sorted(
        f for f in files
        if f.is_file() and not any(map(_skipped, f.relative_to(project).parts))
    )  # fmt: skip


def _skipped(part: str) -> bool:
    return part in SKIPPED_DIRS or part.endswith(SKIPPED_SUFFIXES)


def read_by_cells(relative: Path) -> bool:
    """Whether a cell may read the project's file at ``relative``: not prose, nor a file only
    git, CI or an editor reads (``NOT_READ``, in ``NOT_READ_DIRS``, a licence or changelog)."""
    stem = relative.name.split(".")[0].upper()
    return not (
        relative.suffix in DOCUMENTS
        or relative.name in NOT_READ
        or (relative.parts[0] in NOT_READ_DIRS if len(relative.parts) > 1 else False)
        or (stem in NOT_READ_STEMS and relative.suffix in ("", ".txt"))
    )


def project_digest(project: Path, reports: Path, excluded: tuple = ()) -> str:
    """The project's files a cell reads (``read_by_cells``), less the reports folder, the
    harness's lock files, its declarations of expected cells (they judge results, no cell
    reads them) and ``excluded`` (files whose content reaches the cells another way)."""
    digest = hashlib.sha256()
    reports = reports.resolve()
    inside = reports in project.resolve().parents  # a snapshot the harness made in its folder
    below = os.path.join(reports, "")
    skipped = {os.path.realpath(project / name) for name in (*excluded, STANDALONE)}
    for path in project_files(project):
        resolved = os.path.realpath(path)
        if (
            (resolved.startswith(below) and not inside)
            or not read_by_cells(path.relative_to(project))
            or resolved in skipped
        ):
            continue
        content = _content(path)
        if content is None:
            continue  # counted through each cell's own fingerprint
        digest.update(str(path.relative_to(project)).encode())
        digest.update(content)
    return digest.hexdigest()


_CONTENTS = {}  # (path, size, mtime_ns, inode, ctime_ns) -> sha256, or None for a harness lock


def _content(path: Path):
    """The sha256 of a file's bytes (None for a harness lock), read once a process while its
    size, times and inode stay: a run digests the project before its cells and after."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)
    except OSError:
        key = None
    if key in _CONTENTS:
        return _CONTENTS[key]
    content = path.read_bytes()
    found = None if content.startswith(HARNESS_LOCK_MARK) else hashlib.sha256(content).digest()
    if key is not None:
        _CONTENTS[key] = found
    return found


def fingerprint(cell: Cell, lock: Path, project_hash: str, posargs: list = (),
                interpreter: str = "", mode: str = SUITE) -> str:  # fmt: skip
    """What a cell's result depends on. The lock counts by content, not by its (absolute) path."""
    deps = [d for d in cell.deps if not d.strip().startswith("-c")]
    settings = [cell.name, deps, cell.pins, cell.base_python, cell.commands, cell.package,
                cell.extras, cell.groups, list(posargs), interpreter]  # fmt: skip
    settings += [mode] if mode != SUITE else []  # suite fingerprints stay what they were
    settings += ["past-collection-errors"] if cell.past_collection_errors else []
    digest = hashlib.sha256(json.dumps(settings).encode())
    digest.update(lock.read_bytes() if lock.is_file() else b"(no lock)")
    digest.update(project_hash.encode())
    return digest.hexdigest()[:16]


def stale_cells(results: list, project: Path, reports: Path) -> set:
    """Names of stored results whose inputs (settings, lock, project files) changed since."""
    digests = {}
    stale = set()
    for r in results:
        key = tuple(r.excluded)
        if key not in digests:
            digests[key] = project_digest(project, reports, key)
        if (
            fingerprint(
                r.cell,
                within(r.lock, project, reports) or Path(),
                digests[key],
                r.posargs,
                r.interpreter,
                r.mode,
            )  # a stored path is never followed out
            != r.fingerprint
        ):
            stale.add(result_key(r))
    return stale


def snapshot(project: Path, reports: Path) -> dict:
    """``{relative path: (size, mtime_ns, inode)}`` of the project's files, less the reports."""
    reports = reports.resolve()
    found = {}
    for path in project_files(project):
        if reports in path.resolve().parents:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        found[str(path.relative_to(project))] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return found


def written_during(before: dict, project: Path, reports: Path) -> list:
    """Files that appeared or changed since ``before``: what the run itself wrote."""
    after = snapshot(project, reports)
    return sorted(name for name, state in after.items() if before.get(name) != state)
