"""Run one cell through tox in its own process group, with a timeout; side effects only here."""

from __future__ import annotations

import json
import os
import select
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness import toxhost
from harness.errors import ToolError
from harness.model import PROBE, Cell
from harness.processes import LIVE, kill_group
from harness.stages.lock import overrides
from harness.stages.provision import tox_command
from harness.tox_plugin import PLAN_VARIABLE, PROBE_HOME

PASSED_ENV = ("COVERAGE_FILE",)  # where coverage writes its data: parallel cells share a project
THREAD_VARIABLES = (  # what caps a numeric library's threads; set only for --threads-per-cell
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)  # fmt: skip
POLL_S = 0.5
COMMANDS_MARK = b": commands"  # tox logs "ENV: commands_pre[0]> ..." as its commands start


@dataclass
class ToxExit:
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
    workdir: Path = None  # tox's work dir, where the env lives (None: tox's own default)
    threads: int = 0  # --threads-per-cell: the cap THREAD_VARIABLES set (0: none, as tox runs)
    again: bool = False  # a re-run in the env as built (confirm): no package build or install

    @property
    def sessions(self) -> Path:
        return self.folder / "sessions"


# tox 4.67+ writes a PEP 832 `.venv` redirect file into the project for an editable env, a file
# for editors the harness has no business leaving there; a tox without the key ignores it
KEEP_OUT_OF_PROJECT = ("-x", "tox.venv_redirect=false")


def tox_arguments(run: CellRun) -> list:
    """``tox run`` for the cell; its settings reach tox through the plan (``tox_plan``)."""
    args = ["run", "-e", run.cell.name, "--result-json", str(run.folder / "tox-result.json"),
            *KEEP_OUT_OF_PROJECT]  # fmt: skip
    if run.workdir is not None:
        args += ["--workdir", str(run.workdir)]
    if run.again:
        args.append("--skip-pkg-install")
    return args + (["--", *run.posargs] if run.posargs else [])


def cell_settings(run: CellRun) -> dict:
    """What the harness's tox plugin sets and adds to the cell's env (see ``tox_plugin``)."""
    cell = run.cell
    overriding = cell.forced or cell.overrides
    passed = [*PASSED_ENV, *(THREAD_VARIABLES if run.threads else ()),
              *(["UV_OVERRIDE"] if overriding else [])]  # fmt: skip
    replace, add = {}, {"pass_env": passed}
    if cell.runner.startswith("uv-venv") and calls_pip(cell.install_command):
        # tox-uv hands a pip install_command uv's --reinstall: tox's own runner and packager
        replace.update(runner="virtualenv", package_env=".pkg-virtualenv")
    elif cell.runner.startswith("uv-venv") and calls_pip(
        [*cell.install_command, *(line for lines in cell.commands.values() for line in lines)]
    ):
        replace["uv_seed"] = "true"  # pip in the env, as virtualenv has
    if run.lock is not None:  # set whole: tox cannot append to a constraints value it read
        paths = [*cell.constraints, str(run.lock)]
        replace["constraints"] = "\n".join(map(shlex.quote, paths))  # split like a shell line
    if cell.installer_constraints:  # its commands make venvs of their own (nox): the lock pins
        # what they install, and their pytest finds the probe on PYTHONPATH
        add["set_env"] = [f"{name}={run.lock}" for name in cell.installer_constraints if run.lock]
        add["set_env"].append(f"PYTHONPATH={{env_dir}}{os.sep}{PROBE_HOME}")
    if cell.adhoc:
        replace["deps"] = "\n".join(cell.deps)
    if any("[dependency-groups]" in r["in"] for r in cell.replaced):  # now deps lines (inplace)
        replace["dependency_groups"] = "\n".join(cell.groups)
    if chose_python(run):
        replace["base_python"] = run.python
    if run.mode == PROBE:
        checks = "{env_dir}/.harness-probe/stack_checks.py"
        replace.update(commands_pre="", commands_post="",
                       commands=f"python -m pytest {checks} -q -p no:cacheprovider")  # fmt: skip
        add.setdefault("set_env", []).append(f"HARNESS_STACK={','.join(sorted(cell.pins))}")
    return {"base": cell.base_env if cell.adhoc else None, "set": replace, "add": add}


def chose_python(run: CellRun) -> bool:
    """Whether the harness chose the cell's Python for an env that names none (tox reports its
    own Python as such an env's ``base_python``): tox must be told, as PATH does not reach it."""
    named = run.cell.base_python
    return bool(run.python and named and run.python not in named and all(map(os.path.isabs, named)))


def calls_pip(lines: list) -> bool:
    """Whether command lines use pip, which uv does not put into envs unless asked (``uv pip``
    is uv's own)."""
    for words in (line.split() for line in lines):
        names = [os.path.basename(word) for word in words]
        if any(name in ("pip", "pip3") and (i == 0 or names[i - 1] != "uv")
               for i, name in enumerate(names)):  # fmt: skip
            return True
    return False


def tox_plan(run: CellRun) -> dict:
    """What the harness's tox plugin reads: the cell's settings, where sessions are recorded."""
    return {"cells": {run.cell.name: cell_settings(run)}, "sessions": str(run.sessions),
            "by_name": True,  # tox builds the cell's env alone (build_only_named_envs)
            "watch": sorted(run.cell.pins),
            "past_collection_errors": run.cell.past_collection_errors}  # fmt: skip


def cell_environment(run: CellRun) -> dict:
    """The environment tox runs in. It reaches the cell's env only through tox's own
    ``pass_env`` and the plan's (``PASSED_ENV``; ``THREAD_VARIABLES`` only when the run was
    given ``--threads-per-cell``): nothing here changes what the tests compute."""
    env = dict(os.environ)
    if run.threads:  # asked for: each numeric library gets the same cap
        env.update({name: str(run.threads) for name in THREAD_VARIABLES})
    env["COVERAGE_FILE"] = str(run.folder / ".coverage")  # parallel cells share one project dir
    env[PLAN_VARIABLE] = str(run.folder / "tox-plan.json")
    if run.cell.forced:  # uv installs these versions whatever the packages' metadata says
        env["UV_OVERRIDE"] = _override_file(run, overrides(run.cell))
    elif run.cell.overrides:  # in place of the project's own pins; the lock checked the rest
        env["UV_OVERRIDE"] = _override_file(run, "".join(f"{o}\n" for o in run.cell.overrides))
    if run.python:  # where tox and uv look first for the interpreter the env asks for
        env["PATH"] = os.pathsep.join(filter(None, [os.path.dirname(run.python), env.get("PATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _override_file(run: CellRun, text: str) -> str:
    """The cell's overrides, written where UV_OVERRIDE can name them: uv splits that variable
    at whitespace, so a run folder under a project folder named with a space gives way to
    tox's work dir, the harness's own."""
    for path in (
        run.folder / "overrides.txt",
        run.workdir and run.workdir / f"{run.cell.name}.overrides.txt",
    ):
        if path and not any(character.isspace() for character in str(path)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return str(path)
    raise ToolError(
        f"uv cannot be handed an overrides file under {run.folder}: its path holds whitespace"
    )


def _wait(process: subprocess.Popen, deadline: float, log: Path, on_testing) -> int:
    """Wait for the process; raise TimeoutExpired at the deadline; report the test phase."""
    with _Exit(process) as exited:
        while True:
            try:
                return exited.wait(min(POLL_S, max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise
            if on_testing and COMMANDS_MARK in log.read_bytes()[-65536:]:
                on_testing()
                on_testing = None


class _Exit:
    """A process's exit, heard as it happens: ``Popen.wait(timeout)`` polls, up to 50 ms late,
    where Linux's pidfd wakes ``select`` at once (elsewhere, ``Popen.wait`` as it is)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process, self.fd = process, None
        try:
            self.fd = os.pidfd_open(process.pid)
        except (AttributeError, OSError):  # not Linux 5.3+, or already reaped
            pass

    def __enter__(self) -> _Exit:
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)

    def wait(self, timeout: float) -> int:
        if self.fd is not None and not select.select([self.fd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(self.process.args, timeout)
        return self.process.wait(timeout=timeout)


def run_cell(run: CellRun, timeout_s: float, on_testing=None) -> ToxExit:
    """Run ``tox run -e ENV`` for the cell, logging to ``tox.log`` in its folder.

    ``on_testing`` is called once, when tox's log shows the env's commands starting.
    """
    command = [*tox_command(run.project), *tox_arguments(run)]
    (run.folder / "tox-plan.json").write_text(json.dumps(tox_plan(run)))
    log_path = run.folder / "tox.log"
    log_path.write_bytes(("$ " + " ".join(command) + "\n").encode())
    start = time.monotonic()
    # supervised: tox's whole tree ends with the cell, its timeout, or the harness; tox is
    # ``command`` run in a host that imported tox ahead of it (``toxhost``)
    process = toxhost.launch(command, cwd=run.project, env=cell_environment(run), log=log_path)
    LIVE.add(process.pid)
    try:
        exit_code = _wait(process, start + timeout_s, log_path, on_testing)
        timed_out = False
    except subprocess.TimeoutExpired:
        kill_group(process.pid)  # its supervisor ends every descendant, in the group or not
        exit_code, timed_out = None, True
        process.wait()
        with open(log_path, "ab") as log:
            log.write(
                f"\nharness: cell timed out after {timeout_s:.0f}s; its processes killed\n".encode()
            )
    finally:
        LIVE.discard(process.pid)
    interrupted = LIVE.stopping and not timed_out and exit_code != 0
    return ToxExit(exit_code, time.monotonic() - start, timed_out, interrupted)
