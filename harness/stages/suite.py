"""How a project tests itself, read from its files (never run): its own tox config, else the
setup the harness writes a tox config for. Shared by ``harness run`` (and every command that
selects cells) on a project without tox, and by the survey on an unpacked sdist.

In order: its own tox config (``tox.ini`` with a ``[tox]`` or ``[testenv…]`` section,
``setup.cfg``'s ``[tox:tox]``, pyproject's ``[tool.tox]``, ``tox.toml``: tox's own order);
else pytest with its test extra or dependency group, the first of ``test``, ``tests``,
``testing``, ``dev`` that it declares (an extra before a group of one name); else what its
``setup.py`` names that never reached its metadata (``setuppy``: ``tests_require``, a test
extra of a misspelt ``extras_requires``; read with ``ast``, never run); else a test
requirements file it ships, else one only its CI files name (``cifiles``); else, guessed,
plain pytest with the plugins and test libraries its own files name (``needs``: its pytest config's options and plugins, its test modules'
imports of well-known test libraries), kind ``pytest``. Extras are read from every place a
project or an sdist keeps them (PKG-INFO, pyproject's ``[project.optional-dependencies]``,
setup.cfg, ``*.egg-info/requires.txt``). What pytest is given, for a setup the harness
writes, is ``targets``'s.

A guessed setup may miss a library some tests need: those tests then fail in every cell alike.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness import bounded
from harness.stages import cifiles, needs, setuppy, targets

TEST_NAMES = ("test", "tests", "testing", "dev")
TOX, EXTRA, GROUP, REQUIREMENTS, PYTEST = "tox", "extra", "group", "requirements", "pytest"
REQUIREMENT_FILES = (
    "requirements-test.txt", "requirements-tests.txt", "requirements_test.txt",
    "test-requirements.txt", "test_requirements.txt", "tests/requirements.txt",
    "requirements/test.txt", "requirements/tests.txt", "requirements/testing.txt",
    "requirements-dev.txt", "requirements/dev.txt", "dev-requirements.txt",
)  # fmt: skip
TEST_FILE = re.compile(r"(test_.*|.*_test|tests?)\.py")
NOT_SOURCE = {".git", ".tox", ".harness", "build", "dist", "__pycache__", ".eggs"}
MARK = "# written by the harness"


@dataclass(frozen=True)
class SuiteSetup:
    """How the project's tests are installed and run."""

    kind: str  # TOX, EXTRA, GROUP, REQUIREMENTS, or PYTEST (the guessed fallback)
    source: str  # where it was found: "tox.ini", "extra 'test' (PKG-INFO)", ...
    name: str = ""  # the extra's, group's or requirements file's name
    generated: bool = False  # the harness wrote the tox config
    env: str = ""  # the tox env the cells start from
    deps: tuple = ()  # PYTEST: what it installs besides pytest ("pytest-cov", ...)
    why: tuple = ()  # PYTEST: what named each ("pytest-cov: setup.cfg [tool:pytest] addopts --cov")
    targets: tuple = ()  # generated: the paths pytest is given (``targets``); () lets it find them
    found_by: str = ""  # generated: why those paths ("tests inside the package; ...")

    def describe(self) -> str:
        how = f"tox env {self.env}" if self.env else "tox"
        if self.kind == TOX:
            return f"{how} ({self.source})"
        runs = f"runs pytest {shlex.join(self.targets)}".rstrip() + (
            f" ({self.found_by})" if self.found_by else ""
        )
        if self.kind == PYTEST:
            names = ["pytest", *(Requirement(d).name for d in self.deps)]
            return f"guessed: {', '.join(names)} for {self.source}; {runs} ({how}, tox.ini written by the harness)"
        return f"pytest with {self.source}; {runs} ({how}, tox.ini written by the harness)"

    def to_dict(self) -> dict:
        return dict(asdict(self), deps=list(self.deps), why=list(self.why),
                    targets=list(self.targets), describe=self.describe())  # fmt: skip


def tests_shipped(folder: Path) -> bool:
    """Whether the sdist holds any test module (``test_*.py``, ``*_test.py``, ``tests.py``)."""
    for _root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCE and not d.endswith(".egg-info")]
        if any(TEST_FILE.fullmatch(name) for name in names):
            return True
    return False


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, configparser.Error):
        return configparser.ConfigParser()
    return parser


def _toml(path: Path) -> dict:
    try:
        return bounded.load_toml(path, errors="replace")
    except (OSError, ValueError):  # bounded.Unparsable too: nested past the bounds, not TOML
        return {}


def _tox_sections(parser: configparser.ConfigParser, core: str) -> bool:
    return any(s == core or s.startswith("testenv") for s in parser.sections())


def tox_config(folder: Path) -> str:
    """The project's own tox config, in tox's order of search; "" when it has none."""
    if (folder / "tox.ini").is_file() and _tox_sections(_ini(folder / "tox.ini"), "tox"):
        return "tox.ini"
    if (folder / "setup.cfg").is_file() and _ini(folder / "setup.cfg").has_section("tox:tox"):
        return "setup.cfg [tox:tox]"
    tool = _toml(folder / "pyproject.toml").get("tool", {})
    if isinstance(tool, dict) and isinstance(tool.get("tox"), dict):
        return "pyproject.toml [tool.tox]"
    return "tox.toml" if (folder / "tox.toml").is_file() else ""


def extras(folder: Path) -> dict:
    """``{extra: where it is declared}``, names normalised (PEP 685)."""
    found = {}
    pkg_info = folder / "PKG-INFO"
    if pkg_info.is_file():
        raw, _ = _parse_email(pkg_info.read_text(encoding="utf-8", errors="replace"))
        for name in raw.get("provides_extra", []):
            found.setdefault(canonicalize_name(name), "PKG-INFO")
    project = _toml(folder / "pyproject.toml").get("project", {})
    optional = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    for name in optional if isinstance(optional, dict) else {}:
        found.setdefault(canonicalize_name(name), "pyproject.toml")
    setup_cfg = _ini(folder / "setup.cfg") if (folder / "setup.cfg").is_file() else None
    if setup_cfg is not None and setup_cfg.has_section("options.extras_require"):
        for name in setup_cfg.options("options.extras_require"):
            found.setdefault(canonicalize_name(name), "setup.cfg")
    for requires in sorted(folder.glob("*.egg-info/requires.txt")):
        for line in requires.read_text(encoding="utf-8", errors="replace").splitlines():
            section = re.fullmatch(r"\[([^\]:]+)(?::.*)?\]", line.strip())
            if section:
                found.setdefault(canonicalize_name(section.group(1)), requires.parent.name)
    return found


def groups(folder: Path) -> list:
    """The dependency groups (PEP 735) pyproject.toml declares."""
    declared = _toml(folder / "pyproject.toml").get("dependency-groups", {})
    return list(declared) if isinstance(declared, dict) else []


def find(folder: Path) -> SuiteSetup:
    """How the project in ``folder`` tests itself: its tox config, else the harness's choice,
    with what pytest is given (``targets``)."""
    config = tox_config(folder)
    if config:
        return SuiteSetup(TOX, config)
    return found(folder)


def found(folder: Path) -> SuiteSetup:
    """The setup the harness writes a tox config for, whether or not the project has its own."""
    paths, found_by = targets.targets(folder)
    return replace(_generated(folder), targets=paths, found_by=found_by)


def _generated(folder: Path) -> SuiteSetup:
    declared, grouped = extras(folder), groups(folder)
    for wanted in TEST_NAMES:
        if wanted in declared:
            return SuiteSetup(EXTRA, f"extra '{wanted}' ({declared[wanted]})", wanted, True)
        for group in grouped:
            if canonicalize_name(group) == wanted:
                return SuiteSetup(GROUP, f"dependency group '{group}'", group, True)
    from_setup = setuppy.declared(folder, TEST_NAMES)  # what setuptools left out of PKG-INFO
    if from_setup.requirements:
        return SuiteSetup(REQUIREMENTS, from_setup.source, "setup.py", True,
                          deps=from_setup.requirements)  # fmt: skip
    for name in REQUIREMENT_FILES:
        if (folder / name).is_file():
            return SuiteSetup(REQUIREMENTS, f"requirements file {name}", name, True)
    for name in cifiles.requirement_files(folder):
        return SuiteSetup(REQUIREMENTS, f"CI requirements file {name}", name, True)
    name, lines = cifiles.environment_pip(folder)
    if lines:
        return SuiteSetup(REQUIREMENTS, f"the pip list of {name}", name, True, deps=tuple(lines))
    return fallback(folder)


def fallback(folder: Path) -> SuiteSetup:
    """Plain pytest, with what the project's own files show its tests need (``needs``)."""
    found = needs.needs(folder, _own_name(folder))
    target = next((d for d in targets.ROOTS if (folder / d).is_dir()), "")
    where = f"{target}/" if target else "its test modules"
    source = f"{where} (no test extra: pytest and the plugins its files name)"
    deps, why = tuple(r for r, _ in found), tuple(f"{Requirement(r).name}: {w}" for r, w in found)
    return SuiteSetup(PYTEST, source, "", True, deps=deps, why=why)


def _own_name(folder: Path) -> str:
    pkg_info = folder / "PKG-INFO"
    if pkg_info.is_file():
        raw, _ = _parse_email(pkg_info.read_text(encoding="utf-8", errors="replace"))
        if raw.get("name"):
            return raw["name"]
    project = _toml(folder / "pyproject.toml").get("project", {})
    return str(project.get("name", "")) if isinstance(project, dict) else ""


def tox_ini(folder: Path, setup: SuiteSetup, python: str = "", instead: str = "") -> tuple:
    """``(env, text)``: the tox config that runs the project's tests with pytest under
    ``setup``, on ``python`` (``3.11``), or on the harness's choice when it is ""; ``instead``:
    the project's own tox config, which it is written beside (that config ran no test).

    The project is installed editable, as its developers run its tests: tests inside the
    package then import one copy of it (a second, installed copy makes pytest refuse every
    module with "import file mismatch")."""
    env = f"py{python.replace('.', '')}" if python else "py"
    where = "".join(f" {shlex.quote(word)}" for word in setup.targets)
    if setup.kind == PYTEST:
        head = [f"{MARK}: the project has no tox config, no test extra, dependency group or test "
                "requirements file; its tests run with pytest and what its own files name"]  # fmt: skip
        head += [f"#   {' '.join(line.split())}" for line in setup.why]
    else:
        head = [
            f"{MARK}: the project has no tox config; its tests run with pytest and {setup.source}"
        ]
    if instead:
        head[0] = head[0].replace("the project has no tox config", f"its own {instead} ran no test")
    lines = [*head, "[tox]", f"env_list = {env}", "venv_redirect = false", "", "[testenv]", "package = editable", "deps =",
             "    pytest", *(f"    {dep}" for dep in setup.deps)]  # fmt: skip
    if setup.kind == REQUIREMENTS and setup.name.endswith(".txt"):
        lines.append(f"    -r {setup.name}")
    elif setup.kind == EXTRA:
        lines.append(f"extras = {setup.name}")
    elif setup.kind == GROUP:
        lines.append(f"dependency_groups = {setup.name}")
    lines.append(f"commands = pytest{where} {{posargs}}")
    return env, "\n".join(lines) + "\n"


def _parse_email(text: str) -> tuple:
    """``packaging.metadata.parse_email``, imported when a PKG-INFO is read: ``run`` starts
    without it (its import is the email package's, 20 ms)."""
    from packaging.metadata import parse_email

    return parse_email(text)
