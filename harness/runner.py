"""Run one cell through tox in its own process group, with a timeout; side effects only here."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .cells import Cell
from .matrix import tox_command

PROBE_DIR = Path(__file__).parent / "_probe"
PASSED_ENV = (
    "PYTEST_ADDOPTS",
    "HARNESS_CELL_DIR",
    "PYTHONPATH",
    "OMP_NUM_THREADS",
    "COVERAGE_FILE",
)
KILL_GRACE_S = 5
POLL_S = 0.5
COMMANDS_MARK = b": commands["  # tox logs "ENV: commands[0]> ..." as the tests start


@dataclass
class RunOutcome:
    exit_code: int  # tox's own exit code; None when it was killed
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False


class ProcessGroups:
    """Live cell process groups, so an interrupt can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups = set()
        self.stopping = False

    def add(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)

    def kill_all(self) -> None:
        self.stopping = True
        with self._lock:
            groups = list(self._groups)
        for pgid in groups:
            kill_group(pgid)


def kill_group(pgid: int) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def tox_arguments(cell: Cell, cell_dir: Path, constraint: Path, project: Path) -> list:
    env = cell.env
    args = ["run", "-e", env, "--result-json", str(cell_dir / "tox-result.json")]
    overrides = [f"testenv:{env}.pass_env+={name}" for name in PASSED_ENV]
    if cell.adhoc:
        overrides.append(f"testenv:{env}.env_dir={project / '.tox' / cell.name}")
        overrides.append(f"testenv:{env}.deps=-c {constraint}")
        overrides += [f"testenv:{env}.deps+={dep}" for dep in cell.deps]
    elif not any(line.strip().startswith("-c") for line in cell.deps):
        overrides.append(f"testenv:{env}.deps+=-c {constraint}")
    for override in overrides:
        args += ["-x", override]
    return args


def cell_environment(cell_dir: Path, uses_coverage: bool, threads: int) -> dict:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(threads))  # parallel cells must not oversubscribe cores
    options = ["-p harness_probe", f"--junitxml={cell_dir / 'junit.xml'}"]
    if uses_coverage:
        options.append(f"--cov-report=json:{cell_dir / 'coverage.json'}")
    env["PYTEST_ADDOPTS"] = " ".join(options + [env.get("PYTEST_ADDOPTS", "")]).strip()
    env["HARNESS_CELL_DIR"] = str(cell_dir)
    env["COVERAGE_FILE"] = str(cell_dir / ".coverage")  # parallel cells share one project dir
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROBE_DIR), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _wait(process: subprocess.Popen, deadline: float, log: Path, on_testing) -> int:
    """Wait for the process; raise TimeoutExpired at the deadline; report the test phase."""
    while True:
        try:
            return process.wait(timeout=min(POLL_S, max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
        if on_testing and COMMANDS_MARK in log.read_bytes()[-65536:]:
            on_testing()
            on_testing = None


def run_cell(
    cell: Cell,
    project: Path,
    cell_dir: Path,
    constraint: Path,
    timeout_s: float,
    groups: ProcessGroups,
    threads: int = 1,
    on_testing=None,
) -> RunOutcome:
    """Run ``tox run -e ENV`` for the cell, logging to ``cell_dir/tox.log``.

    ``on_testing`` is called once, when tox's log shows the env's commands starting.
    """
    command = tox_command() + tox_arguments(cell, cell_dir, constraint, project)
    start = time.monotonic()
    with open(cell_dir / "tox.log", "wb") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        log.flush()
        process = subprocess.Popen(
            command, cwd=project, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=cell_environment(cell_dir, cell.uses_coverage, threads), start_new_session=True,
        )  # fmt: skip
        groups.add(process.pid)
        try:
            exit_code = _wait(process, start + timeout_s, cell_dir / "tox.log", on_testing)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_group(process.pid)
            exit_code, timed_out = None, True
            process.wait()
            log.write(
                f"\nharness: cell timed out after {timeout_s:.0f}s; process group killed\n".encode()
            )
        finally:
            groups.discard(process.pid)
    interrupted = groups.stopping and not timed_out and exit_code != 0
    return RunOutcome(exit_code, time.monotonic() - start, timed_out, interrupted)
