"""``harness run`` on real projects without a tox config: a plain pytest project (its test
extra) and a nox project (its session, run by real nox in a cell, the cell's lock reaching the
session's pip as constraints, its pytest recorded by the probe). Neither project is changed:
the tox config the harness writes lives in its cache."""

import json
import subprocess
import sys
import textwrap

import pytest

from harness.stages import generated
from harness.store import Store

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "plainpkg"
version = "0.1"
dependencies = ["packaging"]

[project.optional-dependencies]
test = ["pytest", "pretend"]
"""
TESTS = """\
import packaging
import pretend

from plainpkg import double


def test_double():
    assert double(2) == 4


def test_stub():
    assert pretend.stub(a=1).a == 1


def test_fails():
    assert double(1) == 3
"""
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
NOXFILE = f"""\
import nox


@nox.session(python=["{PYTHON}"])
def tests(session):
    session.install("-e", ".[test]")
    session.run("pytest", "tests", *session.posargs)


@nox.session(default=False)
def lint(session):
    session.run("ruff", "check", ".")
"""
FAILING = "tests/test_plain.py::test_fails"


def make(folder, noxfile: bool):
    files = {"pyproject.toml": PYPROJECT, "src/plainpkg/__init__.py": "def double(x):\n"
             "    return 2 * x\n", "tests/test_plain.py": TESTS}  # fmt: skip
    if noxfile:
        files["noxfile.py"] = NOXFILE
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def files(folder) -> dict:
    """The project's files, bytecode aside (pytest and nox write it, as they do without us)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def harness(project, reports, *args):
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "--project", str(project), "--reports",
         str(reports), *args], capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.integration
def test_a_plain_pytest_project_runs_with_its_test_extra(tmp_path):
    project = make(tmp_path / "plain", noxfile=False)
    before = files(project)
    done = harness(project, tmp_path / "reports")
    assert done.returncode == 1, done.stdout + done.stderr  # a failing test: exit 1
    said = [line for line in done.stderr.splitlines() if "no tox config" in line]
    assert said == [generated.said(project)] and "pytest with extra 'test'" in said[0]
    report = json.loads((tmp_path / "reports" / "compat.json").read_text())
    (cell,) = report["cells"]
    assert cell["cell"]["name"] == "py" and cell["verdict"] == "fail"
    assert (cell["tests"]["passed"], cell["tests"]["failed"]) == (2, 1)
    assert [f["test"] for f in cell["failures"]] == [FAILING]
    assert report["setup"]["kind"] == "extra" and report["setup"]["config"]
    assert files(project) == before  # no tox.ini, .tox, .venv: nothing of ours in the project


@pytest.mark.integration
def test_a_nox_project_runs_its_session_with_the_cell_lock_as_constraints(tmp_path):
    project = make(tmp_path / "noxed", noxfile=True)
    before = files(project)
    reports = tmp_path / "reports"
    env = f"nox-tests-{PYTHON}"
    done = harness(project, reports, "-e", env, "--with", "packaging==23.2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"its nox sessions (tests-{PYTHON}) from noxfile.py" in done.stderr
    report = json.loads((reports / "compat.json").read_text())
    setup = report["setup"]
    assert setup["kind"] == "nox" and setup["default_sessions"] == [f"tests-{PYTHON}"]
    assert setup["sessions"] == {f"tests-{PYTHON}": env, "lint": "nox-lint"}
    cells = {c["cell"]["name"]: c for c in report["cells"]}
    assert set(cells) == {env, f"{env}-with_packaging23.2"}  # lint: not one of nox's defaults
    for cell in cells.values():  # counted by the probe in the venv nox made for the session
        assert (cell["tests"]["passed"], cell["tests"]["failed"]) == (2, 1), cell
        assert [f["test"] for f in cell["failures"]] == [FAILING]
        assert cell["cell"]["installer_constraints"] == ["PIP_CONSTRAINT", "UV_CONSTRAINT"]
    assert cells[f"{env}-with_packaging23.2"]["versions"]["packaging"] == "23.2"
    venvs = sorted((Store(reports).envs / env / "nox").glob("*/bin/python"))
    assert len(venvs) == 1  # nox's venv, in the cell's env folder
    shown = subprocess.run([venvs[0], "-c", "import packaging; print(packaging.__version__)"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    locked = (reports / "locks" / f"{env}.txt").read_text()
    assert f"\npackaging=={shown}\n" in locked  # the session installed the lock's version
    assert files(project) == before
