"""What a project's tox envs read for their dependencies, file by file: whether a change
touches the dependencies at all, and which files the gate's baseline takes from the base.

Each file counts by what the envs read from it, never by its whole text: a requirements or
constraints file (``requirements*.txt``/``.in``, ``constraints*``, any file a ``-r``/``-c``
names, nested or from tox's deps, ``--requirements`` files) by its lines less comments and
blank lines; ``pyproject.toml`` by its dependency tables (``[project]`` dependencies,
optional-dependencies and ``dynamic``, ``[dependency-groups]``, ``[build-system]``,
``[tool.uv]``, ``[tool.setuptools.dynamic]``, ``[tool.poetry]``'s dependency tables and the
install settings of ``[tool.tox]``); ``setup.cfg`` by its ``install_requires``,
``setup_requires``, ``extras_require`` and ``[tox:tox]``/``[testenv]`` install settings;
``tox.ini``/``tox.toml`` by each env's install settings (``deps``, ``extras``,
``dependency_groups``, ``constraints``, ``package``, ``runner`` …) and tox's ``requires``;
``setup.py`` (code: it may compute its dependencies) and ``uv.lock`` whole. A version bump, a
description or a test command is not a dependency change.
"""

from __future__ import annotations

import configparser
import json
import posixpath
import re
from pathlib import Path

from harness import bounded

GLOBS = ("requirements*.txt", "requirements*.in", "*/requirements*.txt", "*/requirements*.in",
         "requirements/*.txt", "requirements/*.in", "constraints*.txt", "constraints*.in",
         "constraints/*.txt")  # fmt: skip
CONFIGS = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "tox.toml", "uv.lock")
INSTALL_KEYS = ("deps", "extras", "dependency_groups", "constraints", "constrain_package_deps",
                "use_frozen_constraints", "package", "skip_install", "usedevelop",
                "use_develop", "runner", "install_command", "pip_pre", "uv_resolution",
                "requires", "min_version", "minversion")  # fmt: skip
INCLUDE = re.compile(r"(?:^|\s)(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)")
TOX_ROOT = re.compile(r"\{(toxinidir|tox_root)\}/?")
UNREADABLE = "(unreadable)"


def changed(base: Path, proposed: Path, named: tuple = ()) -> list:
    """The paths (relative to the project, ``/``-separated, perhaps ``../``) whose dependency
    content differs between two states of a project (``base``, ``proposed``: folders), of the
    files either state's envs read; ``named``: requirement files named on the command line."""
    paths = sorted(files(base, named) | files(proposed, named))
    return [path for path in paths if content(base, path) != content(proposed, path)]


def files(project: Path, named: tuple = ()) -> set:
    """The dependency inputs of one state: the files that exist among ``GLOBS``, ``CONFIGS``
    and ``named``, and every file they include, however deep."""
    pending = [p.relative_to(project).as_posix() for g in GLOBS for p in project.glob(g)]
    pending += [*CONFIGS, *(posixpath.normpath(str(n)) for n in named)]
    found = set()
    while pending:
        path = pending.pop()
        if path in found or not (project / path).is_file():
            continue
        found.add(path)
        pending += _included(project, path)
    return found


def content(project: Path, path: str):
    """What the envs read from one file, as text that two states compare; None: no file."""
    file = project / path
    if not file.is_file():
        return None
    try:
        text = file.read_text(errors="replace")
    except OSError:
        return UNREADABLE
    name = posixpath.basename(path)
    try:
        if name == "pyproject.toml":
            return json.dumps(_pyproject(bounded.toml_text(text)), sort_keys=True)
        if name == "tox.toml":
            return json.dumps(_tox_toml(bounded.toml_text(text)), sort_keys=True)
        if name in ("tox.ini", "setup.cfg"):
            return json.dumps(_ini(text, name), sort_keys=True)
    except (ValueError, configparser.Error):
        return text  # a file tox cannot read either: its whole text
    if name in ("setup.py", "uv.lock"):
        return text
    return "\n".join(_requirement_lines(text))


def _requirement_lines(text: str) -> list:
    lines = []
    for raw in text.replace("\\\n", " ").splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if line:
            lines.append(" ".join(line.split()))
    return lines


def _pyproject(data: dict) -> dict:
    project, tool = data.get("project", {}), data.get("tool", {})
    poetry = tool.get("poetry", {})
    return {
        "project": {k: project.get(k) for k in ("dependencies", "optional-dependencies", "dynamic")},
        "dependency-groups": data.get("dependency-groups"),
        "build-system": data.get("build-system"),
        "uv": tool.get("uv"),
        "setuptools-dynamic": tool.get("setuptools", {}).get("dynamic"),
        "poetry": {k: poetry.get(k) for k in ("dependencies", "group", "dev-dependencies", "extras")},
        "tox": _tox_toml(tool.get("tox", {})),
    }  # fmt: skip


def _tox_toml(data: dict) -> dict:
    found = {"core": _install(data), "env_run_base": _install(data.get("env_run_base", {}))}
    found |= {f"env.{name}": _install(env) for name, env in data.get("env", {}).items()}
    legacy = data.get("legacy_tox_ini")
    if isinstance(legacy, str):
        found["legacy_tox_ini"] = _ini(legacy, "tox.ini")
    return found


def _install(table) -> dict:
    return {k: table[k] for k in INSTALL_KEYS if isinstance(table, dict) and k in table}


def _parser(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(text)
    return parser


def _ini(text: str, name: str) -> dict:
    """tox's install settings of each env (and setup.cfg's dependencies), as written."""
    parser, found = _parser(text), {}
    for section in parser.sections():
        keys = INSTALL_KEYS
        if name == "setup.cfg" and section == "options":
            keys = ("install_requires", "setup_requires", "tests_require", "python_requires")
        elif name == "setup.cfg" and section == "options.extras_require":
            keys = tuple(parser[section])
        elif not (section in ("tox", "tox:tox") or section.startswith(("testenv", "tox:"))):
            continue
        found[section] = {k: _requirement_lines(parser[section][k]) for k in keys
                          if k in parser[section]}  # fmt: skip
    return found


def _included(project: Path, path: str) -> list:
    """The files one dependency input names with ``-r``/``-c`` (or tox's ``constraints``,
    or setuptools' ``file =``), relative to the project."""
    name, folder = posixpath.basename(path), posixpath.dirname(path)
    try:
        text = (project / path).read_text(errors="replace")
        if name in ("tox.ini", "setup.cfg"):
            return _from_ini(text, folder)
        if name in ("tox.toml", "pyproject.toml"):
            data = bounded.toml_text(text)
            tox = data.get("tool", {}).get("tox", {}) if name == "pyproject.toml" else data
            envs = [
                e
                for e in (tox.get("env_run_base"), *_values(tox.get("env")))
                if isinstance(e, dict)
            ]
            deps = [str(v) for env in envs for v in _listed(env.get("deps"))]
            paths = [str(v) for env in envs for v in _listed(env.get("constraints"))]
            dynamic = data.get("tool", {}).get("setuptools", {}).get("dynamic", {})
            paths += [str(f) for entry in _values(dynamic) if isinstance(entry, dict)
                      for f in _listed(entry.get("file"))]  # fmt: skip
            legacy = tox.get("legacy_tox_ini")
            found = _from_ini(legacy, folder) if isinstance(legacy, str) else []
            return found + _named_files(deps, paths, folder)
    except (OSError, ValueError, configparser.Error):
        return []
    if name in CONFIGS:
        return []
    return _named_files(text.splitlines(), [], folder)


def _from_ini(text: str, folder: str) -> list:
    parser = _parser(text)
    sections = [parser[s] for s in parser.sections()]
    deps = [s["deps"] for s in sections if "deps" in s]
    paths = [word for s in sections if "constraints" in s for word in s["constraints"].split()]
    return _named_files(deps, paths, folder)


def _named_files(lines: list, paths: list, folder: str) -> list:
    """The files the ``-r``/``-c`` options of ``lines`` name, and ``paths``, relative to
    ``folder``; ``{toxinidir}`` is the project."""
    found = [TOX_ROOT.sub("", str(p)) for p in paths]
    for value in lines:
        for line in str(value).splitlines():
            include = INCLUDE.search(TOX_ROOT.sub("", line.split(" #")[0].strip()))
            if include:
                found.append(include.group(2))
    return [posixpath.normpath(posixpath.join(folder, f)) for f in found if "://" not in f]


def _listed(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _values(table) -> list:
    return list(table.values()) if isinstance(table, dict) else []
