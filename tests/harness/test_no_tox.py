"""How the harness tests a project without a tox config (``stages.generated``): which setup for
which project files, the tox config it writes for it (in its cache, never in the project), and
how a nox session's cell hands its lock to nox's installers. Offline: nothing here runs tox or
nox (``test_no_tox_real.py`` does)."""

import configparser
import textwrap

import pytest

from harness.cli import build_parser
from harness.report.compat import build
from harness.report.markdown import render_markdown
from harness.stages import execute, generated, noxsessions, suite
from harness.stages.execute import CellRun
from harness.stages.select import cell_from
from harness.state import State, say_setup

TEST = "def test_one():\n    assert True\n"
NAMED = "[project]\nname = 'pkg'\nversion = '1'\n"


def project(tmp_path, files: dict):
    folder = tmp_path / "pkg"
    for name, text in {"tests/test_pkg.py": TEST, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize(
    "files, kind, line",
    [
        ({"pyproject.toml": NAMED + "[project.optional-dependencies]\ntest = ['pretend']\n"},
         "extra", ("extras", "test")),
        ({"pyproject.toml": NAMED + "[dependency-groups]\ntests = ['pretend']\n"},
         "group", ("dependency_groups", "tests")),
        ({"setup.py": "", "requirements-test.txt": "pretend\n"}, "requirements", ("deps", "-r")),
    ],
)  # fmt: skip
def test_a_declared_test_setup_is_tested_with_pytest_and_it(tmp_path, files, kind, line):
    folder = project(tmp_path, files)
    choice = generated.chosen(folder)
    assert (choice.kind, choice.generated, choice.sessions) == (kind, True, ())
    config = ini(choice.text(folder))
    assert config.get("tox", "env_list") == "py" and config.get("tox", "venv_redirect") == "false"
    assert line[1] in config.get("testenv", line[0])
    assert config.get("testenv", "commands") == "pytest tests {posargs}"
    assert config.get("testenv", "package") == "editable"


def test_without_a_declared_setup_pytest_and_what_the_files_name(tmp_path):
    folder = project(tmp_path, {
        "pyproject.toml": NAMED + "[tool.pytest.ini_options]\naddopts = '--cov=pkg'\n",
        "tests/test_pkg.py": "import hypothesis\n" + TEST,
    })  # fmt: skip
    choice = generated.chosen(folder)
    assert choice.kind == suite.PYTEST
    assert ini(choice.text(folder)).get("testenv", "deps").split() == [
        "pytest", "hypothesis", "pytest-cov",
    ]  # fmt: skip
    assert choice.describe().startswith("pytest, hypothesis, pytest-cov for tests/")


@pytest.mark.parametrize(
    "files",
    [
        {"tox.ini": "[tox]\nenv_list = py\n"},
        {"pyproject.toml": NAMED + "[tool.tox]\nenv_list = ['py']\n"},
        {"setup.cfg": "[tox:tox]\nenvlist = py\n", "noxfile.py": "import nox\n"},
        {"tox.toml": "env_list = ['py']\n"},
    ],
)
def test_a_project_with_its_own_tox_config_keeps_it(tmp_path, files):
    folder = project(tmp_path, files)
    assert not generated.chosen(folder).generated  # a noxfile beside it changes nothing
    assert generated.tox_arguments(folder) == () and generated.said(folder) == ""
    assert not (tmp_path / "cache").exists()  # nothing written


def test_the_config_is_written_in_the_harness_cache_and_tox_is_pointed_at_it(tmp_path):
    folder = project(tmp_path, {
        "tox.ini": "[pytest]\naddopts = -ra\n",  # another tool's section: no tox config
        "pyproject.toml": NAMED + "[project.optional-dependencies]\ntesting = ['pretend']\n",
    })  # fmt: skip
    before = snapshot(folder)
    arguments = generated.tox_arguments(folder)
    path = generated.config_path(folder)
    assert arguments == ("-c", str(path), "--root", str(folder.resolve()))
    assert path.is_relative_to(tmp_path / "cache" / "harness") and path.is_file()
    assert ini(path.read_text()).get("testenv", "extras") == "testing"
    assert snapshot(folder) == before  # the project is as it was
    assert "testing it with pytest with extra 'testing' (pyproject.toml)" in generated.said(folder)
    assert generated.report(folder)["config"] == str(path)


def test_a_command_that_selects_cells_says_the_setup_on_one_line(tmp_path, capsys):
    folder = project(tmp_path, {  # setup.py makes a project, without pyproject's [project]
        "setup.py": "", "pyproject.toml": "[dependency-groups]\ntest = ['x']\n",
    })  # fmt: skip
    for command, says in (("list", True), ("plan", True), ("clean", False)):
        State.of(build_parser().parse_args([command, "--project", str(folder)]))
        err = capsys.readouterr().err.splitlines()
        assert err == ([generated.said(folder)] if says else []), command
    assert generated.said(folder) == (
        f"harness: {folder} has no tox config; testing it with pytest with dependency group "
        f"'test' (tox config written by the harness: {generated.config_path(folder)})"
    )
    say_setup(folder)
    assert capsys.readouterr().err == generated.said(folder) + "\n"


LISTED = [
    {"session": "tests-3.11", "name": "tests", "python": "3.11", "tags": [], "call_spec": {}},
    {"session": "tests(numpy='2')", "name": "tests", "python": None, "tags": [], "call_spec": {}},
    {"session": 'tests(numpy="2")', "name": "tests", "python": "pypy3.10", "default": False},
]


def test_each_nox_session_is_one_env_that_runs_it(tmp_path):
    folder = project(tmp_path, {"pyproject.toml": NAMED + "[dependency-groups]\ntest = ['x']\n"})
    names = noxsessions.env_names(LISTED)
    assert list(names) == ["nox-tests-3.11", "nox-tests_numpy_2", "nox-tests_numpy_2_2"]
    config = ini(noxsessions.tox_ini(folder, suite.find(folder), LISTED))
    assert config.get("tox", "env_list") == "nox-tests-3.11, nox-tests_numpy_2"  # nox's default
    assert config.get("testenv", "deps").split() == ["nox", "pytest"]  # nox: no pin
    assert config.get("testenv", "dependency_groups") == "test"  # the lock's inputs
    assert config.get("testenv:nox-tests-3.11", "base_python") == "python3.11"
    assert not config.has_option("testenv:nox-tests_numpy_2", "base_python")  # nox's own Python
    assert config.get("testenv:nox-tests_numpy_2_2", "base_python") == "pypy3.10"
    command = config.get("testenv:nox-tests_numpy_2", "commands")
    assert command.startswith("nox --noxfile {tox_root}/noxfile.py --session \"tests(numpy='2')\"")
    assert "--envdir {env_dir}/nox" in command and command.endswith("-- {posargs}")
    assert '--session "tests(numpy=\\"2\\")"' in config.get(
        "testenv:nox-tests_numpy_2_2", "commands"
    )


def test_a_cell_that_runs_nox_hands_its_lock_to_pip_and_uv_and_the_probe_to_pytest(tmp_path):
    commands = {"commands": ["nox --noxfile x/noxfile.py --session tests -- "]}
    cell = cell_from("nox-tests", {"deps": ["nox", "pytest"], **commands})
    assert cell.installer_constraints == ["PIP_CONSTRAINT", "UV_CONSTRAINT"]
    assert cell_from("py", {"commands": ["pytest tests"]}).installer_constraints == []
    assert noxsessions.runs_nox({"commands": ["python -m nox -s x"]})
    assert not noxsessions.runs_nox({"commands": ["pytest --nox"]})
    lock = tmp_path / "lock.txt"
    added = execute.cell_settings(CellRun(cell, tmp_path, tmp_path, lock))["add"]["set_env"]
    assert added == [f"PIP_CONSTRAINT={lock}", f"UV_CONSTRAINT={lock}",
                     "PYTHONPATH={env_dir}/.harness-probe"]  # fmt: skip
    plain = execute.cell_settings(CellRun(cell_from("py", {}), tmp_path, tmp_path, lock))
    assert "set_env" not in plain["add"]


def test_the_markdown_report_says_how_a_project_without_tox_was_tested(tmp_path):
    folder = project(tmp_path, {"pyproject.toml": NAMED + "[dependency-groups]\ntest = []\n"})
    report = build([], folder, [], False, {})
    assert "No tox config" not in render_markdown(report)
    report["setup"] = generated.report(folder)
    assert report["setup"]["kind"] == "group" and report["setup"]["tests"] == "group"
    assert "No tox config: tested with `pytest with dependency group 'test'`." in render_markdown(
        report
    )
    own = project(tmp_path / "own", {"tox.ini": "[tox]\nenv_list = py\n"})
    assert "No tox config" not in render_markdown(dict(report, setup=generated.report(own)))
