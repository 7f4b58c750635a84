"""GitHub Actions' workflow commands, for ``run`` and ``gate``: text escaped as the runner
unescapes it, lines it cannot read as a command, and ``run``'s ``::error`` annotation per
failing cell on the line of the project's tox config that declares the cell's env.

The runner reads a workflow command from any line of stdout or stderr that starts (after
leading whitespace) with ``::``, or that holds ``##[``. Test ids and evidence come from the
project under test, so a command built here escapes them (``escaped``), and any other line
that shows them goes out through ``inert``.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import subprocess
from pathlib import Path

from harness.model import (
    CRASH,
    FAIL,
    UNMEASURED,
    UNSATISFIABLE,
    CellResult,
)
from harness.stages import expectations
from harness.stages.classify import clean, clip

FAILED = (FAIL, CRASH, UNSATISFIABLE)  # an ::error each
SHOWN = 5  # failing tests named in an annotation; the report holds them all
ENDGROUP = "::endgroup::"
TOX_CONFIGS = ("tox.ini", "setup.cfg", "pyproject.toml", "tox.toml")  # tox's own order
BRACES = re.compile(r"\{([^{}]*)\}")


def active() -> bool:
    """Whether this process runs as a step of a GitHub Actions job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escaped(text, in_property: bool = False) -> str:
    """``text`` as GitHub's workflow commands need it: ``%``, CR and LF as ``%25``, ``%0D``,
    ``%0A``; in a property value also ``:`` and ``,`` (which end and split the properties) as
    ``%3A`` and ``%2C``. The runner undoes exactly this, so the text arrives unchanged."""
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def workflow_command(name: str, message, **properties) -> str:
    """One workflow command line, ``::name key=value,...::message``, everything escaped."""
    listed = ",".join(f"{key}={escaped(value, True)}" for key, value in properties.items())
    return f"::{name}{' ' if listed else ''}{listed}::{escaped(message)}"


def inert(line: str) -> str:
    """One terminal line that no CI runner reads as a command: characters that are not
    printable (line breaks, terminal escapes, Unicode separators) shown as Python escapes,
    a ``::`` at its start and any ``##[`` broken with a backslash."""
    line = "".join(c if c == " " or c.isprintable() else c.encode("unicode_escape").decode()
                   for c in line)  # fmt: skip
    indent = len(line) - len(line.lstrip(" "))
    if line.startswith("::", indent):
        line = f"{line[:indent]}\\{line[indent:]}"
    return line.replace("##[", "##\\[")


def group(title: str, lines: list) -> list:
    """``lines`` folded under ``title`` in the job's log: ``::group::``, the lines made inert,
    ``::endgroup::``."""
    return [workflow_command("group", title), *map(inert, lines), ENDGROUP]


def annotations(
    project: Path, results: list, declared: expectations.Declarations = expectations.NONE
) -> list:
    """An ``::error`` per failed, crashed or unsatisfiable cell and a ``::warning`` per cell
    that was not measured, on its env's line of the tox config, naming its first failing tests
    (or its problem) with their signatures and evidence. A cell that fails as the project
    declared gets a ``::notice``; one that now passes, a ``::warning`` to update it."""
    found = []
    for result in results:
        check = expectations.compare(result, declared)
        if result.verdict not in FAILED + UNMEASURED and check.status != expectations.NOW_PASSES:
            continue
        path, line = env_line(project, result.cell.base_env or result.cell.name)
        where = {"file": repository_path(project, path)} if path else {}
        if line:
            where["line"] = line
        signatures = ", ".join(result.signature_counts())
        title = f"{result.cell.name}: {result.verdict}" + (f" ({signatures})" if signatures else "")
        kind = "error" if result.verdict in FAILED else "warning"
        if result.verdict in FAILED and not check.differs:
            kind, title = "notice", f"{title}, as declared"
        message = _message(result)
        if check.status == expectations.NOW_PASSES:
            message = f"{result.cell.name}: {check.note}"
        found.append(workflow_command(kind, message, **where, title=title))
    return found


def _message(result: CellResult) -> str:
    failures = result.failures
    lines = [f"{result.cell.name}: {len(failures)} failing test(s)"] if failures else []
    lines += [f"{f.test} [{f.signature}]: {_one(f.evidence)}" for f in failures[:SHOWN]]
    if len(failures) > SHOWN:
        lines.append(f"... and {len(failures) - SHOWN} more (see the report)")
    problem = result.problem
    if problem and problem not in failures:
        lines.insert(0, f"{problem.where or problem.test} [{problem.signature}]: "
                        f"{_one(problem.evidence)}")  # fmt: skip
    return "\n".join(lines) or f"{result.cell.name}: {result.verdict}"


def _one(text: str) -> str:
    return clip(clean(text), 200)


def env_line(project: Path, env: str) -> tuple:
    """``(config file, line)`` of the section that declares tox env ``env`` in the file tox
    reads: ``[testenv:ENV]`` (tox.ini, setup.cfg, pyproject's ``legacy_tox_ini``),
    ``[tool.tox.env.ENV]`` (pyproject.toml), ``[env.ENV]`` (tox.toml), a generative section
    name such as ``[testenv:py{310,311}]`` included; else the base section every env takes
    (``[testenv]``, ``env_run_base``), else line None; ``(None, None)`` without a config."""
    for name in TOX_CONFIGS:
        path = project / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        headers = _headers(name, text)
        if headers is None:  # not a tox config (a setup.cfg or pyproject without tox)
            continue
        env_key, base_key = headers
        sections = _sections(text.splitlines())
        for key in (env_key, base_key):
            for number, section in sections:
                if _declares(section, key, env):
                    return path, number
        return path, None
    return None, None


def _headers(name: str, text: str):
    """``(env section prefix, base section)`` for a config file; None if tox does not read it."""
    ini = ("testenv:", "testenv")
    if name == "tox.ini":
        return ini
    if name == "setup.cfg":
        return ("testenv:", "testenv") if "[tox:tox]" in text else None
    if name == "tox.toml":
        return ("env.", "env_run_base")
    if "legacy_tox_ini" in text:  # a tox.ini in a string: its lines are the file's lines
        return ini
    if re.search(r"^\s*\[tool\.tox[.\]]", text, re.M):
        return ("tool.tox.env.", "tool.tox.env_run_base")
    return None


def _sections(lines: list) -> list:
    """``(line number, name)`` of each ``[section]`` header, TOML quotes and spaces removed."""
    found = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[[") and "]" in stripped:
            name = stripped[1 : stripped.rindex("]")]
            found.append((number, re.sub(r"""\s*\.\s*|["']""", _dot, name.strip())))
    return found


def _dot(match) -> str:
    return "." if "." in match.group(0) else ""


def _declares(section: str, key: str, env: str) -> bool:
    if not key.endswith((":", ".")):
        return section == key
    if not section.startswith(key):
        return False
    return env in _expanded(section[len(key) :].strip())


def _expanded(name: str) -> set:
    """Tox's generative names, comma lists only: ``py{310,311}-a`` is py310-a and py311-a."""
    parts = BRACES.split(name)  # text, choices, text, choices, ...
    choices = [
        [p] if i % 2 == 0 else [c.strip() for c in p.split(",")] for i, p in enumerate(parts)
    ]
    return {"".join(combination) for combination in itertools.product(*choices)}


def repository_path(project: Path, path: Path) -> str:
    """``path`` as an annotation's ``file=`` names it, for ``run`` and ``gate`` alike: from the
    root of the git repository holding the project (GitHub resolves it there, and only then
    does the annotation land on the pull request's diff); without one, from
    ``GITHUB_WORKSPACE`` when it holds the path, else from the project's folder."""
    path = Path(path)
    path = path if path.is_absolute() else Path(project) / path
    for root in (_git_root(str(Path(project).resolve())), os.environ.get("GITHUB_WORKSPACE")):
        if root:
            try:
                return path.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                continue
    try:
        return path.resolve().relative_to(Path(project).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@functools.lru_cache(maxsize=64)
def _git_root(project: str) -> str:
    """The top of the git work tree holding ``project``; '' when none (or no git)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=project,
                              capture_output=True, text=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
