import os

from harness.cells import Cell
from harness.runner import PROBE_DIR, cell_environment, tox_arguments


def overrides(args):
    return [args[i + 1] for i, a in enumerate(args) if a == "-x"]


def test_tox_cell_arguments(tmp_path):
    cell = Cell("torch21-numpy22", {}, ["-c constraints/x.txt", "torch==2.1.2"], "torch21-numpy22")
    args = tox_arguments(cell, tmp_path / "cell", tmp_path / "lock.txt", tmp_path)
    assert (
        args[:3] == ["run", "-e", "torch21-numpy22"]
        and str(tmp_path / "cell" / "tox-result.json") in args
    )
    assert "testenv:torch21-numpy22.pass_env+=PYTEST_ADDOPTS" in overrides(args)
    assert not any(".deps" in o for o in overrides(args))
    unlocked = Cell("plain", {}, ["pytest"], "plain")
    assert f"testenv:plain.deps+=-c {tmp_path / 'lock.txt'}" in overrides(
        tox_arguments(unlocked, tmp_path, tmp_path / "lock.txt", tmp_path)
    )


def test_adhoc_cells_get_their_own_env_dir_and_deps(tmp_path):
    cell = Cell("adhoc-x", {"torch": "==2.2.2"}, ["pytest", "torch==2.2.2"], "py", adhoc=True)
    found = overrides(tox_arguments(cell, tmp_path, tmp_path / "lock.txt", tmp_path))
    assert f"testenv:py.env_dir={tmp_path / '.tox' / 'adhoc-x'}" in found
    assert found[-3:] == [f"testenv:py.deps=-c {tmp_path / 'lock.txt'}", "testenv:py.deps+=pytest",
                          "testenv:py.deps+=torch==2.2.2"]  # fmt: skip


def test_cell_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    env = cell_environment(tmp_path, uses_coverage=True, threads=2)
    assert env["PYTEST_ADDOPTS"].startswith("-p harness_probe --junitxml=")
    assert env["PYTEST_ADDOPTS"].endswith(f"--cov-report=json:{tmp_path / 'coverage.json'} -x")
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(PROBE_DIR)
    assert env["OMP_NUM_THREADS"] == "2" and env["COVERAGE_FILE"] == str(tmp_path / ".coverage")
    assert (
        "--cov-report"
        not in cell_environment(tmp_path, uses_coverage=False, threads=1)["PYTEST_ADDOPTS"]
    )
