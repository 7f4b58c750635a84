"""A project's requirement sources in one dependency state: its working tree or a git ref.

``requirements.txt`` by default, or the files named with ``--requirements``; where none
exists, pyproject's ``[project.dependencies]``. Files named by ``-r`` / ``-c`` inside them
are read from the same state. A ref is read with ``git show``: the working tree is never
touched.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness.errors import ConfigError

INCLUDE = re.compile(r"\s*(-r|--requirement|-c|--constraint)[\s=]+(\S+)")
DEFAULT_FILE = "requirements.txt"


@dataclass
class Line:
    path: str  # relative to the project, as git names it
    number: int  # 1-based
    text: str


@dataclass
class Sources:
    """The requirement lines of one state, each remembering where it was written."""

    state: str  # "working tree" or the git ref
    lines: list = field(default_factory=list)  # Line, requirement and option lines only

    def requirements(self) -> list:
        """The lines as a requirements file says them, includes flattened."""
        return [line.text for line in self.lines]

    def names(self) -> dict:
        """``{canonical name: [Line]}`` for the lines that name a package."""
        found = {}
        for line in self.lines:
            name = requirement_name(line.text)
            if name:
                found.setdefault(name, []).append(line)
        return found


def requirement_of(line: str):
    """The requirement a line names; None for options, paths and URLs."""
    line = line.strip()
    if not line or line.startswith("-"):
        return None
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def requirement_name(line: str):
    """The canonical name of the package a line names; None for anything else."""
    requirement = requirement_of(line)
    return canonicalize_name(requirement.name) if requirement else None


class Reader:
    """Reads files of one state: the working tree (``ref=None``) or a git ref."""

    def __init__(self, project: Path, ref: str = None) -> None:
        self.project, self.ref = project, ref

    def exists(self, path: str) -> bool:
        return self.read(path) is not None

    def read(self, path: str):
        if self.ref is None:
            file = self.project / path
            return file.read_text() if file.is_file() else None
        done = subprocess.run(
            ["git", "show", f"{self.ref}:./{path}"], cwd=self.project, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        return done.stdout if done.returncode == 0 else None


def check_ref(project: Path, ref: str) -> None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=project,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        raise ConfigError(f"--base {ref!r} is not a commit of the git repository at {project}")


def read(project: Path, files: list, ref: str = None) -> Sources:
    """The requirement sources of one state; ``files`` empty means the default."""
    reader = Reader(project, ref)
    sources = Sources(state=ref or "working tree")
    names = list(files) or ([DEFAULT_FILE] if reader.exists(DEFAULT_FILE) else [])
    if not names:
        return _from_pyproject(reader, sources)
    for name in names:
        _read_file(reader, str(PurePosixPath(name)), sources, seen=set())
    return sources


def _read_file(reader: Reader, path: str, sources: Sources, seen: set) -> None:
    text = reader.read(path)
    if text is None:
        raise ConfigError(f"{path} does not exist in {sources.state}")
    seen.add(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        include = INCLUDE.match(line)
        if include:
            target = str(PurePosixPath(path).parent / include.group(2))
            if include.group(1) in ("-c", "--constraint"):
                sources.lines.append(Line(path, number, f"-c {reader.project / target}"))
            elif target not in seen:
                _read_file(reader, target, sources, seen)
            continue
        sources.lines.append(Line(path, number, line))


def _from_pyproject(reader: Reader, sources: Sources) -> Sources:
    import tomllib

    text = reader.read("pyproject.toml")
    if text is None:
        raise ConfigError(f"no {DEFAULT_FILE} and no pyproject.toml in {sources.state}")
    dependencies = tomllib.loads(text).get("project", {}).get("dependencies", [])
    lines = text.splitlines()
    for dependency in dependencies:
        number = next((n for n, text in enumerate(lines, 1) if f'"{dependency}"' in text), 1)
        sources.lines.append(Line("pyproject.toml", number, dependency))
    return sources


def changed_lines(baseline: Sources, proposed: Sources) -> list:
    """The proposed lines that the baseline does not have: where a bump was written."""
    before = {(line.path, line.text) for line in baseline.lines}
    return [line for line in proposed.lines if (line.path, line.text) not in before]
