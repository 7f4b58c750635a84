"""Run one cell through tox in its own process group, with a timeout; side effects only here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .cells import PROBE, Cell
from .lock import overrides
from .matrix import tox_command
from .processes import LIVE, kill_group
from .tox_plugin import PLAN_VARIABLE

PASSED_ENV = ("OMP_NUM_THREADS", "COVERAGE_FILE")
POLL_S = 0.5
COMMANDS_MARK = b": commands"  # tox logs "ENV: commands_pre[0]> ..." as its commands start


@dataclass
class RunOutcome:
    exit_code: int  # tox's own exit code; None when it was killed
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False


@dataclass(frozen=True)
class CellRun:
    """How one cell is run: its folder, its lock, its interpreter, the user's posargs."""

    cell: Cell
    project: Path
    folder: Path
    lock: Path = None  # None: run without a lock (it could not be made)
    python: str = ""  # the interpreter the harness found for the env; its folder goes first on PATH
    posargs: tuple = ()
    mode: str = "suite"  # or "probe": the stack checks instead of the env's commands

    @property
    def sessions(self) -> Path:
        return self.folder / "sessions"


def tox_arguments(run: CellRun) -> list:
    cell, name = run.cell, run.cell.name
    args = ["run", "-e", name, "--result-json", str(run.folder / "tox-result.json")]
    overrides = [f"testenv:{name}.pass_env+={variable}" for variable in PASSED_ENV]
    if cell.forced:
        overrides.append(f"testenv:{name}.pass_env+=UV_OVERRIDE")
    if cell.runner.startswith("uv-venv") and calls_pip(cell):
        overrides.append(f"testenv:{name}.uv_seed=true")  # pip in the env, as virtualenv has
    if run.lock is not None:
        overrides.append(f"testenv:{name}.constraints+={run.lock}")
    if cell.adhoc:
        overrides.append(f"testenv:{name}.base=testenv:{cell.base_env},testenv")
        overrides += [
            f"testenv:{name}.deps={cell.deps[0]}" if cell.deps else f"testenv:{name}.deps="
        ]
        overrides += [f"testenv:{name}.deps+={dep}" for dep in cell.deps[1:]]
    if run.mode == PROBE:
        checks = "{env_dir}/.harness-probe/stack_checks.py"
        overrides += [f"testenv:{name}.commands_pre=", f"testenv:{name}.commands_post=",
                      f"testenv:{name}.commands=python -m pytest {checks} -q -p no:cacheprovider",
                      f"testenv:{name}.set_env+=HARNESS_STACK={','.join(sorted(cell.pins))}"]  # fmt: skip
    for override in overrides:
        args += ["-x", override]
    return args + (["--", *run.posargs] if run.posargs else [])


def calls_pip(cell: Cell) -> bool:
    """Whether the env's commands use pip, which uv does not put into envs unless asked."""
    return any(re.search(r"\bpip3?\b", line) for lines in cell.commands.values() for line in lines)


def tox_plan(run: CellRun) -> dict:
    """What the harness's tox plugin reads: ad-hoc env names, where sessions are recorded."""
    return {"envs": [run.cell.name] if run.cell.adhoc else [], "sessions": str(run.sessions)}


def cell_environment(run: CellRun, threads: int) -> dict:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(threads))  # parallel cells must not oversubscribe cores
    env["COVERAGE_FILE"] = str(run.folder / ".coverage")  # parallel cells share one project dir
    env[PLAN_VARIABLE] = str(run.folder / "tox-plan.json")
    if run.cell.forced:  # uv installs these versions whatever the packages' metadata says
        (run.folder / "overrides.txt").write_text(overrides(run.cell))
        env["UV_OVERRIDE"] = str(run.folder / "overrides.txt")
    if run.python:  # where tox and uv look first for the interpreter the env asks for
        env["PATH"] = os.pathsep.join(filter(None, [os.path.dirname(run.python), env.get("PATH")]))
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


def run_cell(run: CellRun, timeout_s: float, threads: int = 1, on_testing=None) -> RunOutcome:
    """Run ``tox run -e ENV`` for the cell, logging to ``tox.log`` in its folder.

    ``on_testing`` is called once, when tox's log shows the env's commands starting.
    """
    command = tox_command() + tox_arguments(run)
    (run.folder / "tox-plan.json").write_text(json.dumps(tox_plan(run)))
    log_path = run.folder / "tox.log"
    start = time.monotonic()
    with open(log_path, "wb") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        log.flush()
        process = subprocess.Popen(
            command, cwd=run.project, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=cell_environment(run, threads), start_new_session=True,
        )  # fmt: skip
        LIVE.add(process.pid)
        try:
            exit_code = _wait(process, start + timeout_s, log_path, on_testing)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_group(process.pid)
            exit_code, timed_out = None, True
            process.wait()
            log.write(
                f"\nharness: cell timed out after {timeout_s:.0f}s; process group killed\n".encode()
            )
        finally:
            LIVE.discard(process.pid)
    interrupted = LIVE.stopping and not timed_out and exit_code != 0
    return RunOutcome(exit_code, time.monotonic() - start, timed_out, interrupted)
