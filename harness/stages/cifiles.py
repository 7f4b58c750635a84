"""Test requirements that only a project's CI files name, for a project with no test extra,
dependency group or test requirements file at the usual places (``suite``): read, never run.

- ``requirements/test*.txt``, then ``ci/*.txt`` (those named for tests first; none named for
  docs or linting): a requirements file, installed with ``-r``;
- else the ``pip:`` list of an ``environment*.yml`` (at the root or in ``ci/``): conda's own
  packages are not pip's and are left out; each entry ``packaging`` reads as a requirement is
  installed, nothing else (``-r``, ``-e``, paths).
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

MAX_BYTES = 1_000_000
NOT_TESTS = re.compile(r"doc|lint|style|format|typing|mypy|release|build", re.I)
PIP = re.compile(r"^(\s*)-\s*pip\s*:\s*$")
ITEM = re.compile(r"^(\s*)-\s*(.+?)\s*$")


def requirement_files(folder: Path) -> list:
    """The CI requirements files, in the order they are preferred (relative paths)."""
    tests = sorted(folder.glob("requirements/test*.txt"))
    ci = sorted(folder.glob("ci/*.txt"), key=lambda p: ("test" not in p.name.lower(), p.name))
    return [p.relative_to(folder).as_posix() for p in [*tests, *ci]
            if p.is_file() and not p.is_symlink() and not NOT_TESTS.search(p.name)]  # fmt: skip


def _pip_entries(text: str) -> list:
    """The items of the first ``- pip:`` list of an environment file."""
    found, indent = [], None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if indent is None:
            pip = PIP.match(line)
            indent = len(pip.group(1)) if pip else None
            continue
        item = ITEM.match(line)
        if not item or len(item.group(1)) <= indent:
            break
        found.append(item.group(2).split(" #")[0].strip().strip("\"'"))
    return found


def environment_pip(folder: Path) -> tuple:
    """``(file, requirement lines)`` of the first environment file with a pip list that names
    a requirement; ``("", [])`` if none."""
    for pattern in ("environment*.y*ml", "ci/environment*.y*ml"):
        for path in sorted(folder.glob(pattern)):
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
                continue
            lines = []
            for entry in _pip_entries(path.read_text(encoding="utf-8", errors="replace")):
                try:
                    lines.append(str(Requirement(entry)))
                except InvalidRequirement:
                    continue
            if lines:
                return path.relative_to(folder).as_posix(), lines
    return "", []
