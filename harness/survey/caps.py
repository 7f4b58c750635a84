"""The bounds a project declares that exclude a change: read from its unpacked sdist, never
run. A requirement counts when it names a package the change pins exactly, applies to the env
(its marker, for the env's extras and ``--python``, else the harness's own Python), and its
specifier does not contain the pinned version (``packaging``; pre-releases allowed, as a pin
names one on purpose).

Where a project declares its requirements: ``PKG-INFO`` ``Requires-Dist``, ``*.egg-info/
requires.txt`` (what ``setup.py`` said, by section), pyproject's ``[project.dependencies]``,
``[project.optional-dependencies]`` and ``[dependency-groups]``, setup.cfg's ``[options]
install_requires`` and ``[options.extras_require]``, and the requirements files the env's deps
name (``-r FILE``). Of the extras, groups and files, only those the env installs count.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import bounded
from harness.model import Cell
from harness.stages import reqfile

MAX_BYTES = 2_000_000
SECTION = re.compile(r"\[([^\]:]*)(?::(.*))?\]")


def _text(path: Path) -> str:
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
        return ""
    return path.read_text(encoding="utf-8", errors="replace")


def declared(folder: Path) -> list:
    """``[(requirement text, extra or "", group or "", where)]``: every requirement the project
    declares for itself, its extras and its groups."""
    found = []
    raw, _ = (
        parse_email(_text(folder / "PKG-INFO")) if (folder / "PKG-INFO").is_file() else ({}, {})
    )
    found += [(r, "", "", "PKG-INFO Requires-Dist") for r in raw.get("requires_dist", [])]
    for path in sorted(folder.glob("*.egg-info/requires.txt")):
        extra, marker = "", ""
        for line in _text(path).splitlines():
            section = SECTION.fullmatch(line.strip())
            if section:
                extra, marker = section.group(1), section.group(2) or ""
                continue
            if line.strip():
                where = f"{path.relative_to(folder).as_posix()} [{extra}{':' + marker if marker else ''}]"
                text = line.strip() + (f"; {marker}" if marker and ";" not in line else "")
                found.append((text, extra, "", where))
    try:
        pyproject = bounded.load_toml(folder / "pyproject.toml", errors="replace")
    except (OSError, ValueError):
        pyproject = {}
    project = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    found += [(r, "", "", "pyproject.toml [project.dependencies]")
              for r in _strings(project.get("dependencies"))]  # fmt: skip
    optional = project.get("optional-dependencies")
    for extra, values in (optional if isinstance(optional, dict) else {}).items():
        found += [(r, extra, "", f"pyproject.toml [project.optional-dependencies] {extra}")
                  for r in _strings(values)]  # fmt: skip
    groups = pyproject.get("dependency-groups")
    for group, values in (groups if isinstance(groups, dict) else {}).items():
        found += [(r, "", group, f"pyproject.toml [dependency-groups] {group}")
                  for r in _strings(values)]  # fmt: skip
    found += _setup_cfg(folder / "setup.cfg")
    return found


def _strings(values) -> list:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _setup_cfg(path: Path) -> list:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(_text(path))
    except configparser.Error:
        return []
    found = []
    if parser.has_option("options", "install_requires"):
        found += [(line, "", "", "setup.cfg [options] install_requires")
                  for line in parser.get("options", "install_requires").splitlines()]  # fmt: skip
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            found += [(line, extra, "", f"setup.cfg [options.extras_require] {extra}")
                      for line in value.splitlines()]  # fmt: skip
    return found


def _files(cell: Cell, folder: Path) -> list:
    """The requirement lines of the files the env's deps name (``-r FILE``), one level down."""
    found = []
    for line in cell.deps:
        include = reqfile.INCLUDE.match(line)
        if not include or include.group(1) not in ("-r", "--requirement"):
            continue
        path = (folder / include.group(2)).resolve()
        if folder.resolve() not in path.parents:
            continue
        name = path.relative_to(folder.resolve()).as_posix()
        found += [(entry.requirement, "", "", f"{name} line {entry.number}")
                  for entry in reqfile.entries(_text(path)) if entry.requirement]  # fmt: skip
    return found


def excluding(folder: Path, cell: Cell, pins: dict, python: str = "") -> list:
    """``[{package, requirement, where}]``: the project's bounds that exclude the exact pins
    (``{name: "==2.2.6"}``) for the env of ``cell`` (its extras, groups and deps files)."""
    exact = {canonicalize_name(n): s[2:] for n, s in pins.items() if s.startswith("==")
             and not s.startswith("===") and "*" not in s}  # fmt: skip
    extras = {canonicalize_name(e) for e in cell.extras}
    groups = {canonicalize_name(g) for g in cell.groups}
    environment = default_environment()
    if python:
        environment.update(python_version=python, python_full_version=f"{python}.0")
    found, seen = [], set()
    for text, extra, group, where in declared(folder) + _files(cell, folder):
        try:
            requirement = Requirement(text.strip())
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if name not in exact or (extra and canonicalize_name(extra) not in extras):
            continue
        if group and canonicalize_name(group) not in groups:
            continue
        applies = [extra] if extra else ["", *sorted(extras)]  # PKG-INFO's `extra == "test"`
        marker = requirement.marker
        if marker and not any(marker.evaluate({**environment, "extra": e}) for e in applies):
            continue
        if requirement.specifier.contains(exact[name], prereleases=True):
            continue
        if str(requirement) not in seen:  # PKG-INFO and egg-info may say it twice: the first
            seen.add(str(requirement))
            found.append({"package": name, "requirement": str(requirement), "where": where})
    return found
