import pytest

from harness.model import Cell
from harness.stages.execute import CellRun, cell_environment, cell_settings, tox_arguments, tox_plan
from harness.tox_plugin import PLAN_VARIABLE


def test_tox_cell_arguments(tmp_path):
    cell = Cell("torch21-numpy22", {}, ["-c constraints/x.txt", "torch==2.1.2"])
    run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt", workdir=tmp_path / "w")
    args = tox_arguments(run)
    assert args == ["run", "-e", "torch21-numpy22", "--result-json",
                    str(tmp_path / "cell" / "tox-result.json"), "--workdir", str(tmp_path / "w")]  # fmt: skip
    settings = cell_settings(run)
    assert settings["add"] == {"pass_env": ["OMP_NUM_THREADS", "COVERAGE_FILE"]}
    assert settings["set"] == {"constraints": str(tmp_path / "lock.txt")}  # no pip: no uv_seed
    assert settings["base"] is None
    own = Cell("o", {}, constraints=["/p/c.txt"])
    assert cell_settings(CellRun(own, tmp_path, tmp_path, tmp_path / "l.txt"))["set"] == {
        "constraints": f"/p/c.txt\n{tmp_path / 'l.txt'}"
    }
    virtualenv = CellRun(Cell("v", {}, runner="virtualenv"), tmp_path, tmp_path, None,
                         posargs=("-k", "x"))  # fmt: skip
    assert cell_settings(virtualenv)["add"] == {"pass_env": ["OMP_NUM_THREADS", "COVERAGE_FILE"]}
    assert tox_arguments(virtualenv)[-3:] == ["--", "-k", "x"]


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
        Cell("q", {}, install_command=["python -I -m pip install {opts} {packages}"]),
        Cell("r", {}, commands={"commands": ["/env/bin/pip3 freeze"]}),
    ],
)
def test_an_env_that_calls_pip_gets_pip(cell, tmp_path):
    assert cell_settings(CellRun(cell, tmp_path, tmp_path))["set"] == {"uv_seed": "true"}


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
                             "sessions": str(tmp_path / "cell" / "sessions")}  # fmt: skip


def test_cell_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin")
    run = CellRun(Cell("c", {}), tmp_path, tmp_path / "cell", python="/opt/py310/bin/python3.10")
    env = cell_environment(run, threads=2)
    assert env["OMP_NUM_THREADS"] == "2" and env["COVERAGE_FILE"] == str(
        tmp_path / "cell" / ".coverage"
    )
    assert env[PLAN_VARIABLE] == str(tmp_path / "cell" / "tox-plan.json")
    assert env["PATH"] == "/opt/py310/bin:/usr/bin"
