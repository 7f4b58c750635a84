from harness.cells import Cell
from harness.runner import CellRun, cell_environment, tox_arguments, tox_plan
from harness.tox_plugin import PLAN_VARIABLE


def overrides(args):
    return [args[i + 1] for i, a in enumerate(args) if a == "-x"]


def test_tox_cell_arguments(tmp_path):
    cell = Cell("torch21-numpy22", {}, ["-c constraints/x.txt", "torch==2.1.2"])
    run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt")
    args = tox_arguments(run)
    assert args[:3] == ["run", "-e", "torch21-numpy22"]
    assert str(tmp_path / "cell" / "tox-result.json") in args
    found = overrides(args)
    assert "testenv:torch21-numpy22.pass_env+=COVERAGE_FILE" in found
    assert f"testenv:torch21-numpy22.constraints+={tmp_path / 'lock.txt'}" in found
    assert "testenv:torch21-numpy22.uv_seed=true" not in found  # its commands need no pip
    piped = Cell("p", {}, commands={"commands_pre": ["python -m pip install -e ."]})
    assert "testenv:p.uv_seed=true" in overrides(tox_arguments(CellRun(piped, tmp_path, tmp_path)))
    assert not any(".deps" in o or ".base" in o for o in found) and "--" not in args
    virtualenv = CellRun(
        Cell("v", {}, runner="virtualenv"), tmp_path, tmp_path, None, posargs=("-k", "x")
    )
    assert overrides(tox_arguments(virtualenv)) == [
        "testenv:v.pass_env+=OMP_NUM_THREADS", "testenv:v.pass_env+=COVERAGE_FILE",
    ]  # fmt: skip
    assert tox_arguments(virtualenv)[-3:] == ["--", "-k", "x"]


def test_adhoc_cells_take_their_base_env_and_replace_its_deps(tmp_path):
    cell = Cell("base-with_torch2.2.2", {"torch": "==2.2.2"}, ["pytest", "torch==2.2.2"],
                base_env="base", adhoc=True)  # fmt: skip
    run = CellRun(cell, tmp_path, tmp_path / "cell", tmp_path / "lock.txt")
    found = overrides(tox_arguments(run))
    assert "testenv:base-with_torch2.2.2.base=testenv:base,testenv" in found
    assert found[-2:] == ["testenv:base-with_torch2.2.2.deps=pytest",
                          "testenv:base-with_torch2.2.2.deps+=torch==2.2.2"]  # fmt: skip
    assert tox_plan(run) == {"envs": [cell.name], "sessions": str(tmp_path / "cell" / "sessions")}


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
