"""A project's nox sessions as cells, for a project that has a ``noxfile.py`` and no tox config.

nox lists the noxfile's sessions (``nox --list --json``, run by uv's ``tool run``: nox reads
the noxfile by running it, as the project's own ``nox`` does). Each session becomes a tox env of the config the harness writes (``generated``), ``nox-SESSION``: on the
session's Python, it installs nox beside the project's test setup (``suite``: its test extra,
group, requirements file or pytest), whose lock is then the cell's, and runs that one session,
``nox --session SESSION`` with its virtualenvs in the env's own folder. The env list is the
sessions ``nox`` runs by default; ``-e nox-NAME`` picks any other. nox builds the venv the
session installs into; the harness changes nothing of what the session installs or runs:
the cell's lock reaches pip and uv only as constraints (``PIP_CONSTRAINT``, ``UV_CONSTRAINT``:
``Cell.installer_constraints``), which pin the version of what the session installs when the
lock holds it. The probe reaches the session's pytest through ``PYTHONPATH`` (pytest finds
its ``pytest11`` entry point there), the way the ``.pth`` file does in a tox env.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from harness import processes
from harness.errors import ConfigError, ToolError
from harness.stages import suite
from harness.stages.lock import uv_binary

NOXFILE = "noxfile.py"
CONSTRAINT_VARIABLES = ("PIP_CONSTRAINT", "UV_CONSTRAINT")  # pip and uv read constraints there
NOX = "nox"
REQUIREMENT = "nox>=2024.3"  # --list --json with each session's python
LIST_TIMEOUT_S = 300
PREFIX = "nox-"
OPTIONS = ("--envdir {env_dir}/nox --reuse-venv no --error-on-missing-interpreters "
           "--non-interactive --no-color")  # fmt: skip


def sessions(project: Path) -> list:
    """``[{"session": NAME, "python": "3.11" or None, "default": bool, ...}]``: every session
    of the noxfile (``--keywords True`` selects them all), ``default`` for those ``nox`` runs."""
    every, default = _listed(project, ["--keywords", "True"]), _listed(project, [])
    chosen = {entry["session"] for entry in default}
    listed = [dict(entry, default=entry["session"] in chosen) for entry in every]
    if not chosen & {entry["session"] for entry in listed}:
        raise ConfigError(f"{project / NOXFILE} selects no nox session; the harness runs those "
                          "that `nox` runs")  # fmt: skip
    return listed


def _listed(project: Path, selection: list) -> list:
    """What ``nox --list --json`` says, without files written (nox runs the noxfile)."""
    command = [uv_binary(), "tool", "run", "--quiet", "--from", REQUIREMENT, NOX,
               "--noxfile", str(project / NOXFILE), "--list", "--json", *selection]  # fmt: skip
    try:
        done = processes.run(command, timeout=LIST_TIMEOUT_S, cwd=project,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolError(f"cannot run nox: {exc}") from exc
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    except ValueError:
        found = None
    if done.returncode != 0 or not isinstance(found, list):
        detail = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        if any(line.startswith("error: ") for line in done.stderr.splitlines()):  # uv's own
            raise ToolError("uv cannot run nox to list the sessions: " + " | ".join(detail[:3]))
        raise ConfigError(f"nox cannot list the sessions of {project / NOXFILE}: "
                          + " | ".join(detail[-3:]))  # fmt: skip
    return [s for s in found if isinstance(s, dict) and isinstance(s.get("session"), str)
            and not re.search(r"[{}\\\n\r]", s["session"])]  # tox would read these  # fmt: skip


def env_names(listed: list) -> dict:
    """``{tox env name: session}``: ``nox-`` and the session's name, made of letters, digits,
    dots, dashes and underscores (``tests(numpy='2')`` becomes ``nox-tests_numpy_2``)."""
    names = {}
    for entry in listed:
        session = entry["session"]
        base = PREFIX + (re.sub(r"[^A-Za-z0-9.-]+", "_", session).strip("_.-") or "session")
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names[name] = session
    return names


def _python(entry: dict) -> str:
    python = entry.get("python")
    if not isinstance(python, str) or not re.fullmatch(r"[A-Za-z]*\d+(\.\d+)*t?", python):
        return ""  # none (nox's own Python) or a path: the harness's choice
    return python if python[0].isalpha() else f"python{python}"


def tox_ini(project: Path, setup: suite.SuiteSetup, listed: list) -> str:
    """The tox config that runs each of nox's sessions as one env (see the module's text)."""
    _, base = suite.tox_ini(project, setup)
    names = env_names(listed)
    by_session = {entry["session"]: entry for entry in listed}
    head = [f"{suite.MARK}: the project has no tox config and a {NOXFILE}; each nox session "
            "runs as one env, with its lock as pip's and uv's constraints"]  # fmt: skip
    body = [
        line for line in base.splitlines() if not line.startswith(("#", "env_list", "commands"))
    ]
    at = body.index("deps =") + 1
    body[at:at] = [f"    {NOX}"]  # the lock's newest: no pin, nothing the cell is about
    default = [name for name, session in names.items() if by_session[session].get("default", True)]
    lines = [*head, *body[: body.index("[tox]") + 1], f"env_list = {', '.join(default)}",
             *body[body.index("[tox]") + 1 :], ""]  # fmt: skip
    for name, session in names.items():
        lines += [f"[testenv:{name}]", f"description = nox session {session}"]
        python = _python(by_session[session])
        if python:
            lines.append(f"base_python = {python}")
        quoted = session.replace('"', '\\"')
        lines += [f'commands = nox --noxfile {{tox_root}}/{NOXFILE} --session "{quoted}" '
                  f"{OPTIONS} -- {{posargs}}", ""]  # fmt: skip
    return "\n".join(lines)


def runs_nox(commands: dict) -> bool:
    """Whether an env's commands run nox (``nox ...`` or ``python -m nox ...``)."""
    for line in (line for lines in commands.values() for line in lines):
        words = line.split()
        if words and (Path(words[0]).name == NOX or words[1:3] == ["-m", NOX]):
            return True
    return False
