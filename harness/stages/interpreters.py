"""Find the Python a cell asks for wherever it is installed, without the user's help.

tox's ``base_python`` (``py310``, ``python3.10``, ``3.10``, a path) is looked up in order:
``pythonX.Y`` on ``PATH`` (a pyenv shim that cannot run it does not count), pyenv's
versions, then the Pythons uv knows (uv-managed ones included). Each candidate is run once
to confirm its version, so what the report shows is what really ran. ``installed`` lists the
CPython versions found that way, newest first: the ones a cell whose env names no Python can
fall back to (``python_fit``).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import processes

KNOWN = tuple(f"3.{minor}" for minor in range(14, 7, -1))  # CPython minors looked for, newest first
VERSION_CHECK = (
    "import sys, platform; print(platform.python_implementation(), *sys.version_info[:3])"
)


@dataclass(frozen=True)
class Found:
    """An interpreter that runs: its path, where it was found, and its ``(implementation,
    version)``."""

    path: str
    origin: str  # "PATH", "pyenv" or "uv"
    identity: tuple

    @property
    def minor(self) -> str:
        """``3.11`` for a CPython 3.11.7."""
        return ".".join(self.identity[1].split(".")[:2])


@dataclass(frozen=True)
class Request:
    """What a ``base_python`` entry asks for: an implementation and a version prefix."""

    text: str
    implementation: str = "cpython"  # or "pypy"
    version: str = ""  # "3.10", "3"; empty for a path
    path: str = ""


def parse(text: str) -> Request:
    if os.sep in text or text.startswith("."):
        return Request(text, path=text)
    match = re.fullmatch(r"(?:(py|pypy|cpython|python)(3)\.?(\d+)?|(\d)\.(\d+))t?", text)
    if not match:
        return Request(text, version="")
    if match.group(4):
        return Request(text, version=f"{match.group(4)}.{match.group(5)}")
    kind, major, minor = match.group(1), match.group(2), match.group(3)
    implementation = "pypy" if kind == "pypy" else "cpython"
    return Request(text, implementation, major + (f".{minor}" if minor else ""))


@lru_cache(maxsize=None)
def identify(executable: str):
    """``(implementation, "3.10.13")`` of an interpreter that really runs; None otherwise. The
    one running the harness (the same file, through any link) is asked without a process."""
    if os.path.realpath(executable) == os.path.realpath(sys.executable):
        return platform.python_implementation().lower(), ".".join(map(str, sys.version_info[:3]))
    try:
        done = processes.run([executable, "-c", VERSION_CHECK], timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4:
        return None
    return words[0].lower(), ".".join(words[1:])


def _matches(found, request: Request) -> bool:
    implementation, version = found
    wanted = request.version.split(".")
    return implementation == request.implementation and version.split(".")[: len(wanted)] == wanted


def pyenv_roots() -> list:
    roots = [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]
    return [Path(r) for r in dict.fromkeys(filter(None, roots)) if Path(r, "versions").is_dir()]


def _order(path: Path):
    try:
        return Version(path.parents[1].name)
    except InvalidVersion:
        return Version("0")


def _candidates(request: Request, uv: str):
    """``(path, origin)`` of each interpreter that may satisfy the request, in search order."""
    names = [f"python{request.version}", f"pypy{request.version}"]
    for name in names:
        found = shutil.which(name)
        if found:
            yield found, "PATH"
    for root in pyenv_roots():
        for name in names:
            for path in sorted(root.glob(f"versions/*/bin/{name}"), key=_order, reverse=True):
                yield str(path), "pyenv"
    if uv:
        wanted = request.implementation + request.version
        done = processes.run([uv, "python", "find", "--no-python-downloads", wanted], timeout=60)
        if done.returncode == 0 and done.stdout.strip():
            yield done.stdout.strip(), "uv"


def places(uv: str = "") -> str:
    roots = [str(root / "versions") for root in pyenv_roots()] or ["~/.pyenv/versions (absent)"]
    return "PATH, pyenv (" + ", ".join(roots) + ")" + (", uv's Pythons" if uv else "")


def locate(text: str, uv: str = "") -> str | None:
    """The absolute path of an interpreter that satisfies the ``base_python`` entry, or None."""
    request = parse(text)
    if request.path:
        return request.path if identify(request.path) else None
    if not request.version:
        found = shutil.which(text)
        return found if found and identify(found) else None
    found = find(request, uv)
    return found.path if found else None


def find(request: Request, uv: str = "") -> Found | None:
    """The first interpreter that satisfies a versioned request, with where it was found."""
    for candidate, origin in _candidates(request, uv):
        identity = identify(candidate)
        if identity and _matches(identity, request):
            return Found(candidate, origin, identity)
    return None


def installed(uv: str = "") -> list:
    """``Found`` for each CPython version in ``KNOWN`` that is installed, newest first."""
    found = (find(Request(version, version=version), uv) for version in KNOWN)
    return [f for f in found if f is not None]
