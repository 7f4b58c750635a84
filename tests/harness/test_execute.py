import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import ToolError
from harness.model import Cell
from harness.stages.execute import (
    THREAD_VARIABLES,
    CellRun,
    cell_environment,
    cell_settings,
    tox_arguments,
    tox_plan,
)
from harness.tox_plugin import PLAN_VARIABLE


def test_tox_cell_arguments(tmp_path):
    cell = Cell("torch21-numpy22", {}, ["-c constraints/x.txt", "torch==2.1.2"])
    run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt", workdir=tmp_path / "w")
    args = tox_arguments(run)
    assert args == ["run", "-e", "torch21-numpy22", "--result-json",
                    str(tmp_path / "cell" / "tox-result.json"), "-x", "tox.venv_redirect=false",
                    "--workdir", str(tmp_path / "w")]  # fmt: skip
    settings = cell_settings(run)
    assert settings["add"] == {"pass_env": ["COVERAGE_FILE"]}
    assert settings["set"] == {"constraints": str(tmp_path / "lock.txt")}  # no pip: no uv_seed
    assert settings["base"] is None
    own = Cell("o", {}, constraints=["/p/c.txt"])
    assert cell_settings(CellRun(own, tmp_path, tmp_path, tmp_path / "l.txt"))["set"] == {
        "constraints": f"/p/c.txt\n{tmp_path / 'l.txt'}"
    }
    virtualenv = CellRun(Cell("v", {}, runner="virtualenv"), tmp_path, tmp_path, None,
                         posargs=("-k", "x"))  # fmt: skip
    assert cell_settings(virtualenv)["add"] == {"pass_env": ["COVERAGE_FILE"]}
    assert tox_arguments(virtualenv)[-3:] == ["--", "-k", "x"]
    again = replace(virtualenv, again=True)  # a confirming re-run: the env as it was built
    assert tox_arguments(again)[-4:] == ["--skip-pkg-install", "--", "-k", "x"]


def test_tox_is_told_the_python_the_harness_chose_for_an_env_that_names_none(tmp_path):
    floating = Cell("f", {}, base_python=["/tool/bin/python"])  # tox reports its own Python
    moved = CellRun(floating, tmp_path, tmp_path, python="/pyenv/3.11.7/bin/python3.11")
    assert cell_settings(moved)["set"] == {"base_python": "/pyenv/3.11.7/bin/python3.11"}
    kept = CellRun(floating, tmp_path, tmp_path, python="/tool/bin/python")
    named = CellRun(
        Cell("n", {}, base_python=["py310"]), tmp_path, tmp_path, python="/p/python3.10"
    )
    assert "base_python" not in cell_settings(kept)["set"] | cell_settings(named)["set"]


@pytest.mark.parametrize(
    "cell",
    [
        Cell("p", {}, commands={"commands_pre": ["python -m pip install -e ."]}),
        Cell("r", {}, commands={"commands": ["/env/bin/pip3 freeze"]}),
    ],
)
def test_an_env_that_calls_pip_gets_pip(cell, tmp_path):
    assert cell_settings(CellRun(cell, tmp_path, tmp_path))["set"] == {"uv_seed": "true"}


def test_an_env_that_installs_with_pip_runs_under_tox_s_own_virtualenv_runner(tmp_path):
    """tox-uv runs a pip ``install_command`` but hands it uv's ``--reinstall`` for the package
    (nibabel 5.3.2: "no such option: --reinstall"); tox's own runner gives pip its own options."""
    cell = Cell("q", {}, install_command=["python -I -m pip install -v {opts} {packages}"])
    assert cell_settings(CellRun(cell, tmp_path, tmp_path))["set"] == {
        "runner": "virtualenv", "package_env": ".pkg-virtualenv"}  # fmt: skip


def test_uv_s_own_pip_needs_no_pip(tmp_path):
    cell = Cell("u", {}, install_command=["/venv/bin/uv pip install '{packages}'"],
                commands={"commands": ["pytest --pyargs pipes"]})  # fmt: skip
    assert cell_settings(CellRun(cell, tmp_path, tmp_path))["set"] == {}


def test_a_lock_path_with_a_space_stays_one_path(tmp_path):
    run = CellRun(Cell("c", {}), tmp_path, tmp_path, tmp_path / "my reports" / "c.txt")
    assert cell_settings(run)["set"]["constraints"] == f"'{tmp_path / 'my reports' / 'c.txt'}'"


def test_adhoc_cells_take_their_base_env_and_replace_its_deps(tmp_path):
    cell = Cell("base-with_torch2.2.2", {"torch": "==2.2.2"}, ["pytest", "torch==2.2.2"],
                base_env="base", adhoc=True)  # fmt: skip
    run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt")
    settings = cell_settings(run)
    assert settings["base"] == "base" and settings["set"]["deps"] == "pytest\ntorch==2.2.2"
    assert tox_plan(run) == {"cells": {cell.name: settings}, "watch": ["torch"],
                             "sessions": str(tmp_path / "cell" / "sessions"),
                             "past_collection_errors": False, "by_name": True}  # fmt: skip
    past = replace(run, cell=replace(cell, past_collection_errors=True))
    assert tox_plan(past)["past_collection_errors"] is True


def test_cell_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    run = CellRun(Cell("c", {}), tmp_path, tmp_path / "cell", python="/opt/py310/bin/python3.10")
    env = cell_environment(run)
    assert env["COVERAGE_FILE"] == str(tmp_path / "cell" / ".coverage")
    assert env[PLAN_VARIABLE] == str(tmp_path / "cell" / "tox-plan.json")
    assert env["PATH"] == "/opt/py310/bin:/usr/bin"


THREADING = re.compile(r"(^|_)(NUM_THREADS|MAX_THREADS|MAXIMUM_THREADS|THREAD_LIMIT)$|^OMP_")


@pytest.mark.parametrize("shell", [{}, {"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "5"}])
def test_no_thread_limit_reaches_a_cell_unless_asked(tmp_path, monkeypatch, shell):
    """What tox gets (its environment and the plan's pass_env/set_env), made by the real
    functions: without --threads-per-cell the harness sets no thread limit, and passes none
    from the shell into the env (the project's own tox run does not)."""
    for name in [n for n in os.environ if THREADING.search(n)]:
        monkeypatch.delenv(name)
    for name, value in shell.items():
        monkeypatch.setenv(name, value)
    cells = [Cell("c", {"numpy": "==1.26.4"}), Cell("f", {"numpy": "==2"}, forced=True),
             Cell("a", {}, base_env="c", adhoc=True, deps=["numpy"])]  # fmt: skip
    for cell in cells:
        run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt")
        (tmp_path / "cell").mkdir(exist_ok=True)
        env = cell_environment(run)
        assert {n: v for n, v in env.items() if THREADING.search(n)} == shell  # the shell's only
        settings = cell_settings(run)
        passed = settings["add"].get("pass_env", []) + settings["set"].get("pass_env", "").split()
        assert not [n for n in passed if THREADING.search(n) or n in THREAD_VARIABLES]
        set_env = settings["add"].get("set_env", []) + [settings["set"].get("set_env", "")]
        assert not [line for line in set_env if THREADING.search(line.partition("=")[0])]
        capped = cell_environment(replace(run, threads=2))  # asked for: every library capped
        assert all(capped[name] == "2" for name in THREAD_VARIABLES)
        assert set(THREAD_VARIABLES) <= set(
            cell_settings(replace(run, threads=2))["add"]["pass_env"]
        )


PIP_PROJECT = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                      '[project]\nname = "piponly"\nversion = "1.0"\ndependencies = ["packaging"]\n',
    "piponly/__init__.py": "import packaging\n\nVERSION = packaging.__version__\n",
    "tests/test_it.py": "import piponly\n\n\ndef test_pinned():\n    assert piponly.VERSION == '24.2'\n",
    "tox.ini": "[tox]\nenv_list = py\n[testenv]\ninstall_command = python -I -m pip install {opts} "
               "{packages}\ndeps = pytest\ncommands = pytest -q\n",
}  # fmt: skip


@pytest.mark.integration
def test_a_package_installed_by_a_pip_install_command_is_measured(tmp_path):
    """nibabel's shape: a pip ``install_command`` and a package to install. Under tox-uv it
    failed to install ("no such option: --reinstall"); tox's own runner installs it with pip,
    under the cell's lock."""
    import json
    import subprocess
    import sys

    for name, text in PIP_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--project", str(tmp_path),
                           "--with", "packaging==24.2", "--reports", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "r" / "compat.json").read_text())
    (cell,) = [c for c in report["cells"] if c["cell"]["name"].endswith("packaging24.2")]
    assert cell["verdict"] == "pass" and cell["tests"]["passed"] == 1, cell


def test_uv_is_handed_overrides_through_a_path_without_whitespace(tmp_path):
    """UV_OVERRIDE is split at whitespace: a project folder named with a space keeps its run
    folder there, and the overrides file goes to tox's work dir, the harness's own."""
    cell = Cell("c", {"numpy": "2.2.6"}, overrides=["numpy==2.2.6"])
    plain = CellRun(cell, tmp_path, tmp_path / "run", workdir=tmp_path / "work")
    assert cell_environment(plain)["UV_OVERRIDE"] == str(tmp_path / "run" / "overrides.txt")
    spaced = CellRun(cell, tmp_path, tmp_path / "my project" / "run", workdir=tmp_path / "work")
    path = cell_environment(spaced)["UV_OVERRIDE"]
    assert path == str(tmp_path / "work" / "c.overrides.txt")
    assert Path(path).read_text() == "numpy==2.2.6\n"
    nowhere = CellRun(cell, tmp_path, tmp_path / "a b", workdir=tmp_path / "c d")
    with pytest.raises(ToolError, match="whitespace"):
        cell_environment(nowhere)
