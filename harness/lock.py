"""Pin each cell's full dependency closure through uv's resolver (``harness lock``)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .cells import Cell, Failure
from .classify import setup_failure
from .errors import ToolError
from .signatures import BUILTIN
from .store import write_atomic

LOCK_TIMEOUT_S = 600


@dataclass
class LockOutcome:
    cell: Cell
    path: Path
    problem: Failure = None  # set when the cell cannot be locked

    @property
    def ok(self) -> bool:
        return self.problem is None


def uv_binary() -> str:
    found = shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    if not found:
        raise ToolError("uv is not installed: pip install uv (it comes with tox-uv)")
    return found


def constraint_path(cell: Cell, project: Path, cell_dir: Path) -> Path:
    """The ``-c`` file named in the cell's deps, else a harness-managed one in its cell dir."""
    for line in cell.deps:
        match = re.match(r"\s*-c\s*(\S+)", line)
        if match and not cell.adhoc:
            return (project / match.group(1)).resolve()
    return cell_dir / "constraints.txt"


def python_request(cell: Cell) -> str:
    """tox's base_python (a path, 'python3.10' or 'py310') as a uv ``--python`` request."""
    if not cell.base_python:
        return sys.executable
    value = cell.base_python[0]
    short = re.fullmatch(r"py(3)(\d+)", value)
    return f"{short.group(1)}.{short.group(2)}" if short else value


def requirements(cell: Cell) -> str:
    return "\n".join(line for line in cell.deps if not line.strip().startswith("-c")) + "\n"


def lock_cell(cell: Cell, path: Path, table: tuple = BUILTIN) -> LockOutcome:
    command = [
        uv_binary(),
        "pip",
        "compile",
        "-",
        "--quiet",
        "--no-header",
        "--python",
        python_request(cell),
    ]
    try:
        done = subprocess.run(
            command,
            input=requirements(cell),
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        problem = Failure(
            "lock", "install-network", f"uv pip compile timed out after {LOCK_TIMEOUT_S}s"
        )
        return LockOutcome(cell, path, problem)
    if done.returncode != 0:
        found = setup_failure("lock", done.stderr + done.stdout, table=table)
        found.evidence = found.message = _reason(done.stderr)
        return LockOutcome(cell, path, found)
    write_atomic(path, header(cell) + done.stdout)
    return LockOutcome(cell, path)


def header(cell: Cell) -> str:
    """First line of a lock file; it names the inputs, so a lock of other inputs is stale."""
    inputs = hashlib.sha256(requirements(cell).encode()).hexdigest()[:12]
    pins = ", ".join(f"{n}{s}" for n, s in sorted(cell.pins.items())) or "none"
    return f"# harness lock for {cell.name} (pins: {pins}; inputs {inputs}); regenerate: harness lock\n"


def is_current(cell: Cell, path: Path) -> bool:
    try:
        with open(path) as handle:
            return handle.readline() == header(cell)
    except OSError:
        return False


def _reason(stderr: str) -> str:
    """The resolver's explanation, joined to one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " ".join(lines)[:1000]


def lock_all(cells: list, paths: dict, jobs: int = 4, table: tuple = BUILTIN) -> dict:
    """Lock cells in parallel; ``{cell name: LockOutcome}``."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = pool.map(lambda cell: lock_cell(cell, paths[cell.name], table), cells)
        return {outcome.cell.name: outcome for outcome in outcomes}
