"""Where a requirement belongs in a project: the file (and table) that already names the
package, else the one that holds the project's own dependencies. Pure but for
``dependency_files``, which reads them.

A place reads ``requirements.txt``, ``pyproject.toml [project.dependencies]``,
``pyproject.toml [project.optional-dependencies] test``, ``pyproject.toml [dependency-groups]
dev``, ``setup.cfg [options] install_requires``, ``tox.ini [testenv] deps`` or ``tox.toml
[env_run_base] deps``.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

DEPENDENCY_FILES = ("requirements*.in", "requirements/*.in", "requirements*.txt",
                    "requirements/*.txt", "pyproject.toml", "setup.cfg", "tox.ini",
                    "tox.toml")  # fmt: skip
COMPILED_FROM = "requirements.in"  # pip-tools: requirements.txt is compiled from it
MAIN = "requirements.txt"
FACTOR = re.compile(r"^[\w.,!{}-]+:\s+")  # tox.ini's "py311: numpy<2"
# how likely a place is the project's main list of dependencies; tox's deps are the test
# matrix's, and an extra or a dependency group is never the main list
REQUIREMENTS, PYPROJECT, SETUP_CFG, OTHER_REQUIREMENTS, TOX_BASE, TOX_ENV, NEVER = range(7)


class Declared(NamedTuple):
    """A requirement as a project's file writes it, and where."""

    requirement: str
    path: str  # relative to the project
    line: int  # 1-based; 0 where it is not found (a table the harness names, not a line)

    def __str__(self) -> str:
        return f"{self.requirement} in {self.path}" + (f" line {self.line}" if self.line else "")


class Place(NamedTuple):
    name: str
    names: set  # the canonical names of the packages it declares
    rank: int


def dependency_files(project: Path) -> dict:
    """``{path relative to the project: text}`` of the files ``where_to_write`` reads."""
    found = {}
    for pattern in DEPENDENCY_FILES:
        for path in sorted(Path(project).glob(pattern)):
            try:
                found[path.relative_to(project).as_posix()] = path.read_text(errors="replace")
            except OSError:
                continue
    return found


def where_to_write(files: dict, package: str = "") -> str:
    """Where a requirement on ``package`` belongs, given the project's ``dependency_files``.

    The first of its requirements files, pyproject tables and setup.cfg options that names the
    package; else the main list (``requirements.txt``, pyproject's ``[project.dependencies]``,
    setup.cfg's ``install_requires``, another requirements file); else the tox config's deps
    that name it, or its base env's. ``requirements.txt`` when the project has none of these.
    """
    places = _places(files)
    wanted = canonicalize_name(package) if package else None
    named = [p for p in places if wanted in p.names]
    declared = [p for p in named if p.rank not in (TOX_BASE, TOX_ENV)]
    mains = [p for p in places if p.rank <= OTHER_REQUIREMENTS]
    tox = [p for p in places if p.rank in (TOX_BASE, TOX_ENV)]
    for choice in (declared, [min(mains, key=_rank)] if mains else [], named,
                   [min(tox, key=_rank)] if tox else []):  # fmt: skip
        if choice:
            return choice[0].name
    return MAIN


def declarations(files: dict, package: str) -> list:
    """Every line of the project's ``dependency_files`` that requires ``package``: requirement
    files, pyproject's and tox.toml's TOML strings, setup.cfg's and tox.ini's values (a tox
    factor prefix such as ``py311:`` dropped)."""
    wanted, found = canonicalize_name(package), []
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), 1):
            line = FACTOR.sub("", line.split(" #")[0].strip().rstrip(",").strip())
            if len(line) > 1 and line[0] in "\"'" and line[-1] == line[0]:
                line = line[1:-1]  # a TOML string
            if not line or line.startswith(("#", "-", "[", "{")):
                continue
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) == wanted:
                found.append(Declared(str(requirement), path, number))
    return found


def _rank(place: Place) -> int:
    return place.rank


def _places(files: dict) -> list:
    """Every place the files declare dependencies in, in the order a package is looked up."""
    texts = sorted((p for p in files if p.endswith((".txt", ".in"))),
                   key=lambda p: (p not in (COMPILED_FROM, MAIN), p != COMPILED_FROM, p))  # fmt: skip
    places = [Place(p, _names(files[p].splitlines()),
                    REQUIREMENTS if p in (MAIN, COMPILED_FROM) else OTHER_REQUIREMENTS)
              for p in texts]  # fmt: skip
    places += _pyproject(_toml(files.get("pyproject.toml")))
    places += _setup_cfg(_ini(files.get("setup.cfg")))
    places += _tox_ini(_ini(files.get("tox.ini")))
    return places + _tox_toml(_toml(files.get("tox.toml")), "tox.toml", "")


def _names(lines) -> set:
    found = set()
    for line in lines:
        line = FACTOR.sub("", str(line).split(" #")[0].strip())
        if not line or line.startswith(("#", "-", "{")):
            continue
        try:
            found.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue
    return found


def _toml(text) -> dict:
    from harness._toml import tomllib

    try:
        return tomllib.loads(text) if text else {}
    except ValueError:
        return {}


def _ini(text):
    config = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        config.read_string(text or "")
    except configparser.Error:
        pass
    return config


def _pyproject(data: dict) -> list:
    places, project = [], data.get("project")
    if isinstance(project, dict):
        places.append(Place("pyproject.toml [project.dependencies]",
                            _names(project.get("dependencies") or []), PYPROJECT))  # fmt: skip
        for extra, lines in sorted((project.get("optional-dependencies") or {}).items()):
            places.append(Place(f"pyproject.toml [project.optional-dependencies] {extra}",
                                _names(lines), NEVER))  # fmt: skip
    for group, lines in sorted((data.get("dependency-groups") or {}).items()):
        places.append(Place(f"pyproject.toml [dependency-groups] {group}", _names(lines), NEVER))
    tox = (data.get("tool") or {}).get("tox")
    return places + (_tox_toml(tox, "pyproject.toml", "tool.tox.") if isinstance(tox, dict) else [])


def _setup_cfg(config) -> list:
    places = []
    if config.has_option("options", "install_requires"):
        lines = config.get("options", "install_requires").splitlines()
        places.append(Place("setup.cfg [options] install_requires", _names(lines), SETUP_CFG))
    if config.has_section("options.extras_require"):
        for extra, value in config.items("options.extras_require"):
            places.append(Place(f"setup.cfg [options.extras_require] {extra}",
                                _names(value.splitlines()), NEVER))  # fmt: skip
    return places


def _tox_ini(config) -> list:
    sections = [s for s in config.sections() if s == "testenv" or s.startswith("testenv:")]
    return [Place(f"tox.ini [{s}] deps", _names(config.get(s, "deps", fallback="").splitlines()),
                  TOX_BASE if s == "testenv" else TOX_ENV) for s in sections]  # fmt: skip


def _tox_toml(data: dict, path: str, prefix: str) -> list:
    tables = [("env_run_base", data.get("env_run_base"))] + [
        (f"env.{name}", table) for name, table in sorted((data.get("env") or {}).items())
    ]
    return [Place(f"{path} [{prefix}{name}] deps", _names(table.get("deps") or []),
                  TOX_BASE if name == "env_run_base" else TOX_ENV)
            for name, table in tables if isinstance(table, dict)]  # fmt: skip
