"""What a project's tests need besides pytest and the project itself, read from its files
without importing or running any of them (``suite``'s plain-pytest fallback, for a survey's
sdist and a project without tox alike). Nothing outside the tables below is guessed:

- its pytest config (the first file pytest would read): ``addopts`` options a plugin adds
  (``--cov*``, ``-n``, ``--timeout``, ...; pytest's own ``--doctest-*`` bring nothing),
  ``-p NAME``, ``required_plugins`` (as written) and a plugin's ini keys, unless the project's
  own conftest adds that option or key;
- the test modules, ``tests/``/``test/`` and every ``conftest.py``, read with ``ast``:
  module-level imports of known test libraries, a conftest's ``pytest_plugins``, a plugin's
  fixture as an argument (not one with a default, one ``parametrize`` names, or one the project
  defines) and a plugin's marker. An import inside ``try`` or a function is optional; the
  standard library and the sdist's own top-level modules never count.

``nose`` is installed on Python < 3.12 only: it no longer imports there (``imp``), so its tests
fail at collection in every cell alike, which the judge does not count as a break.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shlex
import sys
import warnings
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import bounded

IMPORTS = {  # a test module's top-level import -> the distribution that provides it
    "hypothesis": "hypothesis", "pytest_mock": "pytest-mock", "pytest_benchmark": "pytest-benchmark",
    "pytest_asyncio": "pytest-asyncio", "pytest_cases": "pytest-cases",
    "pytest_lazyfixture": "pytest-lazy-fixture", "pytest_lazy_fixtures": "pytest-lazy-fixtures",
    "pytest_subtests": "pytest-subtests", "pytest_httpserver": "pytest-httpserver",
    "pytest_regressions": "pytest-regressions", "pytest_check": "pytest-check",
    "pytest_timeout": "pytest-timeout", "pytest_cov": "pytest-cov", "xdist": "pytest-xdist",
    "pytest_mpl": "pytest-mpl", "pytest_doctestplus": "pytest-doctestplus",
    "pytest_remotedata": "pytest-remotedata", "pytest_httpx": "pytest-httpx",
    "pytest_socket": "pytest-socket", "mock": "mock", "nose": 'nose; python_version < "3.12"',
    "parameterized": "parameterized", "freezegun": "freezegun", "time_machine": "time-machine",
    "responses": "responses", "requests_mock": "requests-mock", "respx": "respx",
    "testfixtures": "testfixtures", "pyfakefs": "pyfakefs", "syrupy": "syrupy",
    "aioresponses": "aioresponses", "flaky": "flaky", "pretend": "pretend",
}  # fmt: skip
PLUGINS = {  # a plugin's name for -p or pytest_plugins (its entry point), when not an import name
    "asyncio": "pytest-asyncio", "timeout": "pytest-timeout", "randomly": "pytest-randomly",
    "benchmark": "pytest-benchmark", "rerunfailures": "pytest-rerunfailures", "env": "pytest-env",
    "pytest_randomly": "pytest-randomly", "pytest_rerunfailures": "pytest-rerunfailures",
    "pytest_env": "pytest-env", "doctestplus": "pytest-doctestplus", "mpl": "pytest-mpl",
    "subtests": "pytest-subtests", "lazy-fixture": "pytest-lazy-fixture",
}  # fmt: skip
OPTIONS = [  # an addopts option (its name, before any "=") -> the plugin that adds it
    (r"--(no-)?cov(-.+)?", "pytest-cov"),
    (r"-n(\d+|auto|logical)?|--numprocesses|--maxprocesses|--dist|--tx", "pytest-xdist"),
    (r"--timeout([-_].+)?", "pytest-timeout"), (r"--benchmark-.+", "pytest-benchmark"),
    (r"--reruns(-delay)?|--only-rerun", "pytest-rerunfailures"), (r"--hypothesis-.+", "hypothesis"),
    (r"--doctest-(plus|rst|only|ufunc)|--text-file-format", "pytest-doctestplus"),
    (r"--mpl(-.+)?", "pytest-mpl"), (r"--asyncio-mode", "pytest-asyncio"),
    (r"--remote-data", "pytest-remotedata"), (r"--randomly-.+", "pytest-randomly"),
    (r"--disable-socket|--allow-hosts|--allow-unix-socket", "pytest-socket"),
    (r"--flakes", "pytest-flakes"), (r"--flake8", "pytest-flake8"), (r"--mypy", "pytest-mypy"),
    (r"--black", "pytest-black"), (r"--isort", "pytest-isort"), (r"--pylint", "pytest-pylint"),
    (r"--pycodestyle", "pytest-pycodestyle"),
]  # fmt: skip
INI_KEYS = {  # a key of the pytest config that a plugin reads
    "asyncio_mode": "pytest-asyncio", "asyncio_default_fixture_loop_scope": "pytest-asyncio",
    "timeout": "pytest-timeout", "timeout_method": "pytest-timeout", "timeout_func_only": "pytest-timeout",
    "env": "pytest-env", "doctest_plus": "pytest-doctestplus", "doctest_rst": "pytest-doctestplus",
    "mock_use_standalone_module": "pytest-mock", "remote_data_strict": "pytest-remotedata",
}  # fmt: skip
FIXTURES = {  # a test's argument -> the plugin whose fixture it is
    "mocker": "pytest-mock", "class_mocker": "pytest-mock", "module_mocker": "pytest-mock",
    "session_mocker": "pytest-mock", "benchmark": "pytest-benchmark",
    "httpserver": "pytest-httpserver",
}  # fmt: skip
MARKERS = {
    "asyncio": "pytest-asyncio",
    "mpl_image_compare": "pytest-mpl",
    "timeout": "pytest-timeout",
}
BUILTIN = {"pytester", "doctest", "cacheprovider", "faulthandler", "pytest"}  # -p NAME of pytest
SKIPPED = {".git", ".tox", ".harness", "build", "dist", "__pycache__", ".eggs", ".nox", ".venv",
           "venv", "node_modules", ".pytest_cache", ".mypy_cache"}  # fmt: skip
TEST_FILE = re.compile(r"(test_.*|.*_test|tests?|conftest)\.py")
MAX_FILES, MAX_BYTES = 3000, 2_000_000
PARSED = "<harness: a test file>"  # the name files are parsed under, so that the
warnings.filterwarnings("ignore", module=re.escape(PARSED))  # warnings of their code go unsaid


def _section(path: Path, section: str):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, configparser.Error):
        return None
    return dict(parser.items(section)) if parser.has_section(section) else None


def _toml(path: Path) -> dict:
    try:
        return bounded.load_toml(path, errors="replace")
    except (OSError, ValueError):
        return {}


def pytest_config(folder: Path) -> tuple:
    """``(where, {key: value})``: the pytest config pytest would read from the sdist's root
    (its order: pytest.toml, pytest.ini, pyproject.toml, tox.ini, setup.cfg); ("", {}) if none."""
    for name in ("pytest.toml", ".pytest.toml"):
        if (folder / name).is_file():
            found = _toml(folder / name).get("pytest")
            return f"{name} [pytest]", found if isinstance(found, dict) else {}
    for name in ("pytest.ini", ".pytest.ini"):
        if (folder / name).is_file():  # pytest takes it even without a [pytest] section
            return f"{name} [pytest]", _section(folder / name, "pytest") or {}
    tool = _toml(folder / "pyproject.toml").get("tool", {})
    pytest = tool.get("pytest") if isinstance(tool, dict) else None
    if isinstance(pytest, dict):
        native = {k: v for k, v in pytest.items() if k != "ini_options"}
        ini = pytest.get("ini_options")
        if native or isinstance(ini, dict):
            where = "[tool.pytest.ini_options]" if isinstance(ini, dict) else "[tool.pytest]"
            return f"pyproject.toml {where}", native or ini
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _section(folder / name, section) if (folder / name).is_file() else None
        if found is not None:
            return f"{name} [{section}]", found
    return "", {}


def _words(value) -> list:
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value), comments=True)
    except ValueError:  # an unclosed quote: the words as they stand
        return str(value).split()


def _plugin(name: str, local: set):
    """The distribution of a ``-p`` or ``pytest_plugins`` name, when a table knows it."""
    top = name.split(".")[0]
    if name.startswith("no:") or top in BUILTIN or top in local:
        return None
    return PLUGINS.get(name) or IMPORTS.get(top)


def from_config(folder: Path, local: set, added: set) -> list:
    """``[(requirement, why)]`` from the pytest config; ``added``: the options and ini keys the
    project's conftest files add themselves, which bring no plugin."""
    where, config = pytest_config(folder)
    found = []
    for text in _words(config.get("required_plugins", "")):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if not requirement.url:
            found.append((str(requirement), f"{where} required_plugins"))
    words = _words(config.get("addopts", ""))
    for i, word in enumerate(words):
        name = word.split("=")[0]
        if word.startswith("-p"):
            plugin = word[2:] or (words[i + 1] if i + 1 < len(words) else "")
            dist = _plugin(plugin.strip(), local)
            if dist:
                found.append((dist, f"{where} addopts -p {plugin}"))
            continue
        dist = next((d for pattern, d in OPTIONS if re.fullmatch(pattern, name)), None)
        if dist and name not in added:
            shown = " ".join(words[i : i + 2]) if word == "-n" else word
            found.append((dist, f"{where} addopts {shown}"))
    found += [(INI_KEYS[k], f"{where} {k}") for k in config if k in INI_KEYS and k not in added]
    return found


def read_sources(folder: Path) -> tuple:
    """``(test files, local module names)``: the files a fallback reads (test modules, files
    under a ``tests``/``test`` folder, conftest.py), and every module name the sdist holds."""
    files, local, roots = [], set(), (folder, folder / "src")
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.endswith(".egg-info"))
        here = Path(root)
        parts = set(here.relative_to(folder).parts)
        package = "__init__.py" in names  # its modules are not top-level names; it may be one
        top = not (here.parent / "__init__.py").is_file() if package else here.parent in roots
        if here != folder and top and any(n.endswith(".py") for n in names):
            local.add(here.name)  # a top-level package, or a namespace package at the root
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            if not package:
                local.add(name[:-3])
            if (TEST_FILE.fullmatch(name) or parts & {"tests", "test"}) and len(files) < MAX_FILES:
                files.append(here / name)
    return files, local


def _decorators(node) -> list:
    return [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]


def _fixtures(node) -> list:
    """The arguments that pytest fills with fixtures, of a test or a fixture: not one with a
    default, nor one that a ``@pytest.mark.parametrize`` of it names."""
    marks = [getattr(d, "attr", getattr(d, "id", "")) for d in _decorators(node)]
    if not node.name.startswith("test") and "fixture" not in marks:
        return []
    args = node.args.posonlyargs + node.args.args
    args = args[: len(args) - len(node.args.defaults)] + [
        a for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is None
    ]
    named = set()
    for call in node.decorator_list:
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "parametrize" and call.args):  # fmt: skip
            try:
                names = ast.literal_eval(call.args[0])
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
            names = names.split(",") if isinstance(names, str) else names
            if isinstance(names, (list, tuple)):
                named.update(str(n).strip() for n in names)
    return [a.arg for a in args if a.arg not in named]


def _added(node) -> list:
    """The options or ini keys a ``parser.addoption("--x", ...)``/``addini("x", ...)`` adds."""
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in ("addoption", "addini")):
        return []
    return [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def from_sources(folder: Path, files: list, local: set) -> tuple:
    """``([(requirement, why)], added)`` from the test files (imports, pytest_plugins, fixtures,
    markers), and the options and ini keys the project adds itself."""
    found, wanted, defined, added = [], [], set(), set()
    for path in files:
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
                continue
            tree = bounded.python_source(path, MAX_BYTES)
        except (OSError, ValueError):  # not Python, or past the parser's bounds: no clue there
            continue
        where = path.relative_to(folder).as_posix()
        for node in tree.body:
            tops = []
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            for top in tops:
                if top in IMPORTS and top not in local and top not in sys.stdlib_module_names:
                    found.append((IMPORTS[top], f"import {top} in {where}"))
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in targets):
                try:
                    value = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
                value = [value] if isinstance(value, str) else value
                for plugin in value if isinstance(value, (list, tuple)) else []:
                    dist = _plugin(str(plugin), local)
                    if dist:
                        found.append((dist, f"pytest_plugins {plugin} in {where}"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                added.update(_added(node))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined.add(node.name)
                args = _fixtures(node)
                wanted += [
                    (a, FIXTURES[a], f"fixture {a} in {where}") for a in args if a in FIXTURES
                ]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for mark in _decorators(node):
                    if (isinstance(mark, ast.Attribute) and mark.attr in MARKERS
                            and isinstance(mark.value, ast.Attribute) and mark.value.attr == "mark"):  # fmt: skip
                        found.append((MARKERS[mark.attr], f"@pytest.mark.{mark.attr} in {where}"))
    return found + [(dist, why) for fixture, dist, why in wanted if fixture not in defined], added


def needs(folder: Path, project: str = "") -> list:
    """``[(requirement, why)]``: what the tests need besides pytest, one per distribution (the
    first signal found for it), sorted by name; never ``project`` itself, nor pytest."""
    files, local = read_sources(folder)
    chosen = {}
    from_files, added = from_sources(folder, files, local)
    for requirement, why in from_config(folder, local, added) + from_files:
        name = canonicalize_name(Requirement(requirement).name)
        if name not in (canonicalize_name(project), "pytest"):
            chosen.setdefault(name, (requirement, " ".join(why.split())[:200]))
    return [chosen[name] for name in sorted(chosen)]
