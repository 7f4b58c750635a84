"""A project's requirement sources in one dependency state: its working tree or a git ref.

A state is a folder: the working tree, or a git ref's checkout (``stages.snapshot``).
``requirements.txt`` by default, or the files named with ``--requirements``; where none
exists, pyproject's ``[project.dependencies]``; where neither does, none (the tox config holds
the deps). Files named by ``-r`` / ``-c`` inside them are read from the same state. ``edits``
finds where two states' dependency files differ, whichever file holds the dependencies.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from harness import bounded
from harness.errors import ConfigError
from harness.stages import reqfile

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
    return reqfile.parse(line.strip())


def requirement_name(line: str):
    """The canonical name of the package a line names; None for anything else."""
    requirement = requirement_of(line)
    return canonicalize_name(requirement.name) if requirement else None


class Reader:
    """Reads the files of one state: a folder (the working tree, or a ref's checkout)."""

    def __init__(self, project: Path, state: str) -> None:
        self.project, self.state = project, state

    def exists(self, path: str) -> bool:
        return self.read(path) is not None

    def read(self, path: str):
        file = self.project / path
        return file.read_text() if file.is_file() else None


def read(project: Path, files: list, state: str = "working tree") -> Sources:
    """The requirement sources of the state in ``project``; ``files`` empty means the default."""
    reader = Reader(project, state)
    sources = Sources(state=state)
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
    for entry in reqfile.entries(text):
        if entry.include:
            kind, target = entry.include
            target = str(PurePosixPath(path).parent / target)
            if kind == "-c":
                sources.lines.append(Line(path, entry.number, f"-c {reader.project / target}"))
            elif target not in seen:
                _read_file(reader, target, sources, seen)
            continue
        sources.lines.append(Line(path, entry.number, entry.unhashed))


def _from_pyproject(reader: Reader, sources: Sources) -> Sources:
    text = reader.read("pyproject.toml")
    if text is None:
        return sources
    dependencies = bounded.toml_text(text).get("project", {}).get("dependencies", [])
    lines = text.splitlines()
    for dependency in dependencies:
        number = next((n for n, text in enumerate(lines, 1) if f'"{dependency}"' in text), 1)
        sources.lines.append(Line("pyproject.toml", number, dependency))
    return sources


DEPENDENCY_FILES = ("requirements*.txt", "requirements*.in", "*/requirements*.txt",
                    "*/requirements*.in", "requirements/*.txt", "requirements/*.in",
                    "constraints*.txt", "constraints/*.txt", "pyproject.toml", "tox.ini",
                    "tox.toml", "setup.cfg", "setup.py", "uv.lock")  # fmt: skip
LOCKED_VERSION = re.compile(r'^version = "([^"]+)"')
LOCKED_NAME = re.compile(r'^name = "([^"]+)"')


def edits(baseline: Path, proposed: Path, also: tuple = ()) -> list:
    """The lines of the proposed state's dependency files (and the files ``also`` names) that
    the baseline's lack: where a bump was written. In ``uv.lock``, each changed package
    version, as ``name==version``."""
    paths = sorted({str(path.relative_to(root)) for root in (baseline, proposed)
                    for pattern in DEPENDENCY_FILES for path in root.glob(pattern)
                    if path.is_file()} | set(also))  # fmt: skip
    found = []
    for path in paths:
        before, after = (_text_lines(root / path) for root in (baseline, proposed))
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for tag, _, _, start, end in matcher.get_opcodes():
            if tag in ("replace", "insert"):
                found += _added(path, after, range(start, end))
    return found


def _text_lines(path: Path) -> list:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _added(path: str, lines: list, numbers: range) -> list:
    found = []
    for index in numbers:
        text = lines[index].split(" #")[0].strip().rstrip(",").removesuffix("\\").strip()
        if text.startswith("--hash"):
            continue  # a hash-pinned requirement's hashes: its requirement line says what moved
        if len(text) > 1 and text[0] in "\"'" and text[-1] == text[0]:
            text = text[1:-1]  # a TOML string
        if path.endswith("uv.lock"):
            version = LOCKED_VERSION.match(lines[index])
            name = next((m.group(1) for m in (LOCKED_NAME.match(lines[i])
                                             for i in range(index, -1, -1)) if m), None)  # fmt: skip
            if not (version and name):
                continue
            text = f"{name}=={version.group(1)}"
        if text and not text.startswith(("#", "[")):
            found.append(Line(path, index + 1, text))
    return found
