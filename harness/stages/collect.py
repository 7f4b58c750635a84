"""Read what a cell left behind: tox's result journal and the probe's session records."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from harness import bounded

REPORTED = ("python", "torch", "numpy", "pandas", "pillow")
UV_INTERPRETER = re.compile(
    r"^Using (?:CPython|PyPy|Python) (\d+\.\d+\.\d+\S*) (?:interpreter|environment) at", re.M
)


@dataclass
class Ran:
    """One command as tox's journal recorded it."""

    run_id: str  # "commands[0]"
    argv: list
    exit_code: int | None
    start: float  # time.monotonic() samples, comparable with the probe's
    end: float
    output: str = ""


@dataclass
class Journal:
    """The parts of tox's ``--result-json`` the harness uses."""

    setup_ok: bool
    install_s: float
    test_s: float
    commands: list = field(default_factory=list)  # Ran, in the order tox ran them
    packages: dict = field(default_factory=dict)  # canonical name -> version
    python: str = None
    setup_output: str = ""


@dataclass
class Event:
    """One outcome pytest reported, in the category its summary line counts it under."""

    nodeid: str
    when: str
    category: str  # passed, failed, error, skipped, xfailed, xpassed (or a plugin's own)
    message: str = ""
    text: str = ""
    duration: float | None = None  # seconds pytest's call phase took (the probe records it)
    line: int | None = None  # 1-based line of the test's definition in its file


@dataclass
class Session:
    """One pytest session in the cell, as the probe recorded it."""

    start: float
    argv: list = field(default_factory=list)
    collected: int | None = None
    finished: bool = False
    exitstatus: int | None = None
    interrupted: str | None = None
    coverage: float | None = None
    facts: dict = field(default_factory=dict)  # python, versions, device, numpy_bridge
    events: list = field(default_factory=list)


def read_json(path: Path):
    """The parsed file, or None when it is missing or unreadable (a crashed cell)."""
    try:
        return bounded.load_json(Path(path))
    except (OSError, ValueError):
        return None


def _events(path: Path) -> list:
    events = []
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return events
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line of a session killed mid-write
        if not isinstance(entry, dict):
            continue
        duration, line = entry.get("duration"), entry.get("line")
        events.append(
            Event(str(entry.get("nodeid", "")), str(entry.get("when", "")),
                  str(entry.get("category", "")), str(entry.get("message") or ""),
                  str(entry.get("text") or ""),
                  float(duration) if _number(duration) and duration >= 0 else None,
                  line if isinstance(line, int) and not isinstance(line, bool) and line > 0
                  else None)
        )  # fmt: skip
    return events


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def sessions(folder: Path) -> list:
    """Every session the probe recorded under ``folder``, in the order they started."""
    found = []
    for directory in sorted(Path(folder).glob("*/")) if Path(folder).is_dir() else []:
        record = read_json(directory / "session.json")
        if not isinstance(record, dict) or "start" not in record:
            continue
        facts = {k: record.get(k) for k in ("python", "executable", "base_executable", "versions",
                                            "device", "gpu", "cuda", "numpy_bridge")}  # fmt: skip
        found.append(
            Session(
                start=float(record["start"]), argv=list(record.get("argv") or []),
                collected=record.get("collected"), finished=bool(record.get("finished")),
                exitstatus=record.get("exitstatus"), interrupted=record.get("interrupted"),
                coverage=record.get("coverage"), facts=facts,
                events=_events(directory / "events.jsonl"),
            )
        )  # fmt: skip
    return sorted(found, key=lambda session: session.start)


def journal(path: Path, env: str):
    data = read_json(path)
    if not data or env not in data.get("testenvs", {}):
        return None
    entry = data["testenvs"][env]
    setup, test = entry.get("setup", []), entry.get("test", [])
    packages = {}
    for line in entry.get("installed_packages", []):
        name, sep, version = line.partition("==")
        if sep:
            packages[canonicalize_name(name)] = version
    python = _interpreter_version(entry.get("python") or {}) or _env_python(setup)
    commands = [
        Ran(step.get("run_id", ""), list(step.get("command", [])), step.get("retcode"),
            float(step.get("start", 0)), float(step.get("end", 0)),
            (step.get("output") or "") + (step.get("err") or ""))
        for step in test
    ]  # fmt: skip
    outcome = entry.get("result") or {}
    failed_outside_commands = outcome.get("success") is False and not commands
    setup_output = "\n".join((s.get("output") or "") + (s.get("err") or "") for s in setup)
    if failed_outside_commands and not isinstance(outcome.get("exit_code"), int):
        setup_output += "\n" + str(outcome.get("exit_code"))  # tox's reason, e.g. a failed build
    return Journal(
        setup_ok=all(step.get("retcode") == 0 for step in setup) and not failed_outside_commands,
        install_s=round(sum(step.get("elapsed", 0) for step in setup), 2),
        test_s=round(sum(step.get("elapsed", 0) for step in test), 2),
        commands=commands,
        packages=packages,
        python=python,
        setup_output=setup_output,
    )


def _interpreter_version(python: dict) -> str:
    """The version of the interpreter tox ran, or None where tox recorded only the spec it
    asked for (tox-uv writes ``PythonSpec(major=3, minor=11)`` with ``version_info`` 3.11.0)."""
    version = ".".join(str(part) for part in (python.get("version_info") or [])[:3])
    return version if version and str(python.get("version", "")).startswith(version) else None


def _env_python(setup: list):
    """The env's Python as tox-uv and uv reported it while building the env: tox-uv's query of
    the env's own interpreter, else uv's ``Using CPython 3.11.2 interpreter at: ...``; None
    when neither ran (the env was never made)."""
    for step in setup:
        for line in (step.get("output") or "").splitlines():
            try:
                found = json.loads(line)
            except ValueError:
                continue
            if isinstance(found, dict) and isinstance(found.get("version_info"), list):
                version = ".".join(str(part) for part in found["version_info"][:3])
                if re.fullmatch(r"\d+\.\d+\.\d+", version):
                    return version
    for step in setup:
        match = UV_INTERPRETER.search(step.get("err") or "")
        if match:
            return match.group(1)
    return None


def versions(journal_: Journal, facts: dict, pinned: tuple = ()) -> dict:
    """Installed versions of the packages the report shows and of every pinned one; the probe
    wins where it ran."""
    found = {name: None for name in (*REPORTED, *pinned)}
    if journal_:
        found.update({n: journal_.packages.get(n) for n in found if n != "python"})
        found["python"] = journal_.python
    if facts:
        found.update({n: v for n, v in (facts.get("versions") or {}).items() if n in found and v})
        found["python"] = facts.get("python") or found["python"]
    return found


def device(facts: dict) -> dict:
    if not facts or not facts.get("versions"):
        return {}
    return {k: facts.get(k) for k in ("device", "gpu", "cuda", "numpy_bridge")}


def log_tail(path: Path, lines: int = 400) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
