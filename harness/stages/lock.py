"""Pin each cell's full dependency closure through uv's resolver (``harness lock``).

The closure covers everything tox installs into the env: its deps (requirements, ``-r``
files, paths, URLs), its ``constraints`` and ``-c`` files as constraints, its dependency
groups, and, unless ``package = skip``, the project's own dependencies with its extras. The
lock never lists the project itself. What cannot be pinned (a path or URL dependency) is
named as unpinned instead of being claimed as locked.

A lock file belongs to the harness only when it carries the harness's header. A ``-c`` file
of the env's deps is the cell's lock when its name holds the env name and it is absent or
the harness's; any other is the user's, read as a constraint and never written.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness import processes
from harness.errors import ToolError, UnknownPackage
from harness.model import Cell, Failure
from harness.stages import asof, inplace, interpreters, lockfile
from harness.stages.classify import clip, setup_failure
from harness.stages.signatures import BUILTIN
from harness.store import HARNESS_LOCK_MARK, write_atomic

LOCK_TIMEOUT_S = 600
REASON_LIMIT = 1000
LABEL = re.compile(r"^(error|cause|hint):\s*", re.I)
HEADER_PREFIX = HARNESS_LOCK_MARK.decode()
UNPINNED_PREFIX = "# not pinned (path or URL): "
PYTHON_PREFIX = "# python: "  # the Python the closure was resolved for: "3.11", "pypy3.10"
FILE_OPTION = re.compile(r"\s*(-[rc]|--requirement|--constraint)[\s=]*(\S+)")
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==")
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# uv's words when the index answered 404 for a package the requirements name themselves (a
# dependency's missing package reads "... and foo depends on X"; offline, "not found in the cache")
locked, pins_in = lockfile.locked, lockfile.pins_in  # what a lock pins, read where it is made
UNKNOWN_REQUIREMENT = re.compile(
    r"Because (\S+) was not found in the package registry and you require \1(?![A-Za-z0-9._-])"
)


@dataclass
class LockOutcome:
    cell: Cell
    path: Path
    problem: Failure = None  # set when the cell cannot be locked
    unpinned: list = field(default_factory=list)
    python: str = ""  # the interpreter it was locked for
    note: str = ""  # why that interpreter, when it is not the one the cell first had
    exempt: asof.Exempt = None  # --as-of: the date and what was left out of it

    @property
    def ok(self) -> bool:
        return self.problem is None


def uv_binary() -> str:
    found = shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    if not found:
        raise ToolError("uv is not installed: pip install uv (it comes with tox-uv)")
    return found


def is_harness_lock(path: Path) -> bool:
    try:
        with open(path) as handle:
            return handle.readline().startswith(HEADER_PREFIX)
    except OSError:
        return False


def lock_in_deps(cell: Cell, project: Path) -> Path | None:
    """The ``-c`` file of the env's deps that is this cell's own harness lock, if any."""
    for line in cell.deps:
        match = FILE_OPTION.match(line)
        if not match or match.group(1) not in ("-c", "--constraint") or cell.adhoc:
            continue
        path = (project / match.group(2)).resolve()
        if cell.name in path.name and (not path.exists() or is_harness_lock(path)):
            return path
    return None


def lock_path(cell: Cell, project: Path, locks: Path) -> Path:
    """Where the cell's lock lives: its own ``-c`` file, else a file in the harness's folder.

    An env that tox-uv installs with ``uv sync`` is pinned by the project's own ``uv.lock``.
    """
    if cell.installs_from_uv_lock:
        return project / "uv.lock"
    return lock_in_deps(cell, project) or locks / f"{cell.name}.txt"


def needs_lock(cell: Cell, path: Path, project: Path) -> bool:
    return not cell.installs_from_uv_lock and not is_current(cell, path, project)


def requirements(cell: Cell, project: Path) -> str:
    """What uv resolves: the env's deps (its own lock left out) and its other inputs."""
    own = lock_in_deps(cell, project)
    lines = [
        line for line in cell.deps
        if not (own and (m := FILE_OPTION.match(line)) and (project / m.group(2)).resolve() == own)
    ]  # fmt: skip
    lines += [f"-c {path}" for path in cell.constraints]
    if cell.package != "skip" and cell.overrides:  # the project's own pins replaced (inplace)
        lines += inplace.declared(cell, project)
    elif cell.package != "skip":
        lines.append("." + (f"[{','.join(cell.extras)}]" if cell.extras else ""))
    return "\n".join(lines) + "\n"


def _referenced(cell: Cell, project: Path, text: str) -> bytes:
    """The contents of the files the inputs name, so that editing one makes the lock stale."""
    paths = [m.group(2) for m in map(FILE_OPTION.match, text.splitlines()) if m]
    if cell.package != "skip" or cell.groups:
        paths += [name for name in PROJECT_FILES if (project / name).is_file()]
    digest = hashlib.sha256()
    for name in paths:
        path = project / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b"(missing)"))
    return digest.hexdigest().encode() if paths else b""


def header(cell: Cell, project: Path) -> str:
    """First line of a lock file; it names the inputs, so a lock of other inputs is stale."""
    text = requirements(cell, project)
    extra = _referenced(cell, project, text) + "".join(f"group:{g}" for g in cell.groups).encode()
    inputs = hashlib.sha256(text.encode() + extra).hexdigest()[:12]
    pins = ", ".join(f"{n}{s}" for n, s in sorted(cell.pins.items())) or "none"
    dated = f"; as of {cell.as_of}" if cell.as_of else ""
    return (f"{HEADER_PREFIX}{cell.name} (pins: {pins}; inputs {inputs}{dated}); "
            "regenerate: harness lock\n")  # fmt: skip


def is_current(cell: Cell, path: Path, project: Path) -> bool:
    try:
        with open(path) as handle:
            return handle.readline() == header(cell, project)
    except OSError:
        return False


def closure(output: str, project: Path) -> tuple:
    """``(pinned text, unpinned entries)`` from uv's output; the project itself is dropped."""
    kept, unpinned, keep = [], [], False
    for line in output.splitlines():
        if line[:1] in (" ", "#", ""):
            if keep:
                kept.append(line)
            continue
        keep = bool(PIN.match(line))
        if keep:
            kept.append(line)
        elif not _is_project(line, project):
            unpinned.append(line.strip())
    return "\n".join(kept) + "\n", unpinned


def _is_project(line: str, project: Path) -> bool:
    target = re.sub(r"^(-e\s+|\S+\s*@\s*)", "", line.strip()).removeprefix("file://")
    return (project / target).resolve() == project.resolve()


def overrides(cell: Cell) -> str:
    """A forced cell's exact pins, as uv overrides: they win over every package's metadata."""
    return "".join(
        f"{name}{spec}\n" for name, spec in sorted(cell.pins.items()) if spec.startswith("==")
    )


def lock_cell(cell: Cell, path: Path, project: Path, python: str, table: tuple = BUILTIN):
    plain = [uv_binary(), "pip", "compile", "-", "--quiet", "--no-header", "--python", python]
    command = list(plain)
    for group in cell.groups:
        command += ["--group", group]
    forced = path.with_name(path.name + ".overrides") if cell.forced else None
    if forced:
        write_atomic(forced, overrides(cell))
        command += ["--override", str(forced)]
    exempt = asof.Exempt(cell.as_of, asof.pinned(cell)) if cell.as_of else None
    try:
        text = requirements(cell, project)
        done = _compile(command, text, project, exempt)
        if done.returncode != 0 and exempt:  # what the pins need may be newer than the date
            exempt = asof.forced_forward(cell, exempt, lambda pins, dated: _names(
                _compile(plain, pins, project, dated), project))  # fmt: skip
            if exempt.forced:
                done = _compile(command, text, project, exempt)
    except subprocess.TimeoutExpired:
        problem = Failure(
            "lock", "install-network", f"uv pip compile timed out after {LOCK_TIMEOUT_S}s"
        )
        return LockOutcome(cell, path, problem)
    if done.returncode != 0:
        unknown = UNKNOWN_REQUIREMENT.search(" ".join(done.stderr.split()))
        if unknown and cell.adhoc and not cell.forced:  # a --with pin or a gate requirement
            raise UnknownPackage(
                f"no package named {unknown.group(1)} on the index "
                f"(uv found none when locking {cell.name})"
            )
        found = setup_failure("lock", done.stderr + done.stdout, table=table)
        found.evidence = found.message = _reason(done.stderr)
        return LockOutcome(cell, path, found, python=python, exempt=exempt)
    pinned, unpinned = closure(done.stdout, project)
    notes = "".join(f"{UNPINNED_PREFIX}{entry}\n" for entry in unpinned)
    dated = exempt.line() if exempt else ""
    write_atomic(path, header(cell, project) + _python_line(python) + dated + notes + pinned)
    return LockOutcome(cell, path, unpinned=unpinned, python=python, exempt=exempt)


def _names(done, project: Path):
    """The names a compile pinned; None when it failed."""
    if done.returncode != 0:
        return None
    return {name for name, _ in pins_in(closure(done.stdout, project)[0])}


def _compile(command: list, text: str, project: Path, exempt: asof.Exempt = None):
    dated = asof.arguments(exempt.as_of, exempt.pinned + exempt.forced) if exempt else []
    return processes.run(command + dated, timeout=LOCK_TIMEOUT_S, input=text, cwd=project)


def _python_line(python: str) -> str:
    found = interpreters.identify(python)
    if not found:
        return ""
    implementation, version = found
    minor = ".".join(version.split(".")[:2])
    return f"{PYTHON_PREFIX}{'pypy' if implementation == 'pypy' else ''}{minor}\n"


def locked_for(path: Path) -> str:
    """The Python a harness lock was resolved for (``3.11``); "" when it does not say."""
    try:
        with open(path) as handle:
            lines = [handle.readline(), handle.readline()]
    except OSError:
        return ""
    if not lines[0].startswith(HEADER_PREFIX) or not lines[1].startswith(PYTHON_PREFIX):
        return ""
    return lines[1][len(PYTHON_PREFIX) :].strip()


def unpinned_in(path: Path) -> list:
    """What the lock names as installed but not pinnable (paths, URLs)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [line[len(UNPINNED_PREFIX) :] for line in lines if line.startswith(UNPINNED_PREFIX)]


def _reason(stderr: str) -> str:
    """The resolver's explanation on one line, which package demands what first: uv's
    ``error:`` and ``cause:`` labels dropped, cut between clauses, never inside a version."""
    lines = [LABEL.sub("", line.strip()) for line in stderr.splitlines() if line.strip()]
    first = next((i for i, line in enumerate(lines) if line.startswith("Because")), 0)
    return clip(" ".join(lines[first:]), REASON_LIMIT)


def lock_all(cells: list, paths: dict, project: Path, pythons: dict, jobs: int = 4,
             table: tuple = BUILTIN) -> dict:  # fmt: skip
    """Lock cells in parallel; ``{cell name: LockOutcome}``."""

    def one(cell: Cell) -> LockOutcome:
        return lock_cell(cell, paths[cell.name], project, pythons[cell.name], table)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, cell) for cell in cells]
        try:
            return {outcome.cell.name: outcome for outcome in (f.result() for f in futures)}
        except UnknownPackage:
            pool.shutdown(wait=True, cancel_futures=True)  # the cells not started never start
            raise
