"""A cell whose env names no Python: uv's reasons read from recorded output, the other Pythons
tried newest first among those the reasons allow, the line that says which Python to install.

``fixtures/uv-python/*.txt`` are uv 0.13.9's real stderr for ``uv pip compile - --python X``
(README.md there says which requirements and which Python each is for). The integration tests
run the tool, installed alone on a 3.12 or 3.13, on a cell pinning a release with no wheel for it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from harness.model import Cell, Failure
from harness.stages import interpreters, lock, python_fit
from harness.stages.interpreters import Found
from harness.stages.lock import LockOutcome, lock_cell, locked_for, uv_binary
from harness.stages.python_fit import install_hint, misfits, refit, refit_all, reuse
from harness.stages.signatures import BUILTIN
from harness.stages.verdicts import Evidence, decide

from . import tool_venv

UV_SAID = Path(__file__).parent / "fixtures" / "uv-python"
CP38_311 = frozenset({"3.8", "3.9", "3.10", "3.11"})


def said(name: str) -> str:
    return (UV_SAID / f"{name}.txt").read_text()


def test_a_pin_without_a_wheel_for_this_python_is_read_with_the_tags_it_has():
    (found,) = misfits(said("abi-pin"), "3.12")
    assert found.on_host == "Python 3.12 has no wheel for torch==2.1.2"
    assert found.needs == "torch==2.1.2 has wheels for cp38–cp311 only"
    assert found.allowed == CP38_311
    (ranged,) = misfits(said("abi-range"), "3.13")  # torch>=2.1,<2.2: uv names the release
    assert ranged.needs == "torch==2.1.2 has wheels for cp38–cp311 only"
    (small,) = misfits(said("abi-small"), "3.12")  # cp37m among its tags
    assert small.needs == "tensorflow-io-gcs-filesystem==0.34.0 has wheels for cp37–cp311 only"
    assert CP38_311 < small.allowed and "3.12" not in small.allowed


def test_a_package_that_demands_another_python_is_read_with_its_bound():
    (found,) = misfits(said("requires-python"), "3.10")
    assert found.on_host == "numpy==2.3.0 needs Python>=3.11, not 3.10"
    assert found.allowed == {"3.11", "3.12", "3.13", "3.14"}
    chain = misfits(said("requires-python-chain"), "3.9")  # two releases, two bounds
    assert [m.needs for m in chain] == [
        "tox-uv>=1.36.0,<=1.36.1 needs Python>=3.10",
        "tox-uv>=1.37.0 needs Python>=3.11",
    ]


@pytest.mark.parametrize("name", ["conflict", "platform", "unknown-version", "mixed-fits"])
def test_reasons_that_are_not_the_python_are_not_misfits(name):
    assert misfits(said(name), "3.11") == []


def test_the_line_names_the_newest_python_every_reason_allows():
    seen = misfits(said("abi-small"), "3.12") + misfits(said("requires-python-old"), "3.8")
    hint = install_hint(seen)
    assert hint.evidence == (
        "install Python 3.11 (e.g. `uv python install 3.11`): tensorflow-io-gcs-filesystem==0.34.0"
        " has wheels for cp37–cp311 only; numpy==1.26.4 needs Python>=3.9"
    )
    assert decide(Cell("c", {}), Evidence(lock_problem=hint)).verdict == "infra-error"


def test_reasons_no_python_satisfies_together_are_unsatisfiable():
    seen = misfits(said("no-python-fits-12"), "3.12") + misfits(said("no-python-fits-11"), "3.11")
    hint = install_hint(seen)
    assert hint.signature == "unsatisfiable" and hint.evidence.startswith(
        "no CPython 3.8–3.14 fits"
    )
    assert "numpy==2.5.2 needs Python>=3.12" in hint.evidence
    assert decide(Cell("c", {}), Evidence(lock_problem=hint)).verdict == "unsatisfiable"


class FakeUv:
    """``uv pip compile`` answering, per ``--python``, what the real uv said (a fixture), or a
    closure; it records the Pythons it was asked for."""

    def __init__(self, answers: dict):
        self.answers, self.asked = answers, []

    def __call__(self, command, **kwargs):
        python = command[command.index("--python") + 1]
        self.asked.append(python)
        answer = self.answers[python]
        if answer is None:
            return subprocess.CompletedProcess(command, 0, "packaging==24.1\n", "")
        return subprocess.CompletedProcess(command, 1, "", said(answer))


VERSIONS = {"/py313": "3.13.0", "/py312": "3.12.1", "/py311": "3.11.7", "/py310": "3.10.13",
            "/py38": "3.8.18"}  # fmt: skip
CANDIDATES = [Found(path, "pyenv", ("cpython", version)) for path, version in VERSIONS.items()]


@pytest.fixture
def pythons(monkeypatch):
    monkeypatch.setattr(interpreters, "identify", lambda path: ("cpython", VERSIONS[path]))
    monkeypatch.setattr(python_fit.provision, "tox_command", lambda p: ("/py312", "-m", "tox"))

    def install(answers: dict) -> FakeUv:
        fake = FakeUv(answers)
        monkeypatch.setattr(lock.processes, "run", fake)
        return fake

    return install


def first_lock(cell: Cell, tmp_path: Path, python: str) -> LockOutcome:
    return lock_cell(cell, tmp_path / f"{cell.name}.txt", tmp_path, python)


def test_a_cell_moves_to_the_newest_python_its_wheels_allow(pythons, tmp_path):
    uv = pythons({"/py312": "abi-pin", "/py311": None})
    cell = Cell("torch21", {"torch": "==2.1.2"}, ["torch==2.1.2"])
    outcome = refit(first_lock(cell, tmp_path, "/py312"), tmp_path, BUILTIN, CANDIDATES)
    assert uv.asked == ["/py312", "/py311"]  # 3.13 is not among torch 2.1.2's tags: not tried
    assert outcome.ok and outcome.python == "/py311"
    assert outcome.note == "Python 3.12 has no wheel for torch==2.1.2; using Python 3.11 (pyenv)"
    assert locked_for(tmp_path / "torch21.txt") == "3.11"


def test_a_newer_python_is_tried_first_when_the_bound_is_below(pythons, tmp_path):
    uv = pythons({"/py310": "requires-python", "/py313": None})
    outcome = refit(first_lock(Cell("np23", {}), tmp_path, "/py310"), tmp_path, BUILTIN, CANDIDATES)
    assert uv.asked == ["/py310", "/py313"] and outcome.python == "/py313"


def test_on_a_python_with_wheels_a_real_conflict_is_the_verdict(pythons, tmp_path):
    uv = pythons({"/py312": "mixed", "/py311": "mixed-fits"})
    outcome = refit(first_lock(Cell("m", {}), tmp_path, "/py312"), tmp_path, BUILTIN, CANDIDATES)
    assert uv.asked == ["/py312", "/py311"]
    assert outcome.problem.signature == "unsatisfiable" and outcome.python == "/py311"
    assert "no version of numpy==99.0" in outcome.problem.evidence
    assert not (tmp_path / "m.txt").exists()


def test_when_no_python_found_fits_the_cell_says_which_to_install(pythons, tmp_path):
    uv = pythons({"/py312": "abi-small", "/py311": "requires-python-old"})
    found = [c for c in CANDIDATES if c.path in ("/py313", "/py312", "/py311")]
    outcome = refit(first_lock(Cell("g", {}), tmp_path, "/py312"), tmp_path, BUILTIN, found)
    assert uv.asked == ["/py312", "/py311"]
    assert outcome.problem.signature == "python-missing" and outcome.python == "/py312"
    assert outcome.problem.evidence.startswith(
        "install Python 3.11 (e.g. `uv python install 3.11`)"
    )


def test_only_failures_of_cells_that_name_no_python_are_refitted(pythons, tmp_path, monkeypatch):
    uv = pythons({"/py312": "abi-pin", "/py311": None})
    monkeypatch.setattr(interpreters, "installed", lambda uv: CANDIDATES)
    floating, named = Cell("f", {}), Cell("n", {}, base_python=["py312"])
    outcomes = {c.name: first_lock(c, tmp_path, "/py312") for c in (floating, named)}
    conflict = Failure("lock", "unsatisfiable", lock._reason(said("conflict")))
    outcomes["c"] = LockOutcome(Cell("c", {}), tmp_path / "c.txt", conflict, python="/py312")
    chosen, notes = {"f": "/py312", "n": "/py312", "c": "/py312"}, []
    refit_all(outcomes, tmp_path, chosen, BUILTIN, notes.append)
    assert outcomes["f"].ok and chosen == {"f": "/py311", "n": "/py312", "c": "/py312"}
    assert not outcomes["n"].ok and outcomes["c"].problem is conflict
    assert notes == ["f: Python 3.12 has no wheel for torch==2.1.2; using Python 3.11 (pyenv)"]
    assert uv.asked.count("/py311") == 1


def test_an_env_that_names_the_python_running_tox_names_none(tmp_path, monkeypatch):
    monkeypatch.setattr(
        python_fit.provision, "tox_command", lambda p: ("/tool/python", "-m", "tox")
    )
    assert python_fit.names_no_python(Cell("a", {}, base_python=["/tool/python"]), tmp_path)
    assert python_fit.names_no_python(Cell("b", {}), tmp_path)
    assert not python_fit.names_no_python(Cell("c", {}, base_python=["py311"]), tmp_path)
    assert not python_fit.names_no_python(Cell("d", {}, base_python=["/usr/bin/python3"]), tmp_path)


def test_a_current_lock_runs_on_the_python_it_was_made_for(pythons, tmp_path, monkeypatch):
    pythons({"/py311": None})
    cell, gone = Cell("a", {}), Cell("b", {})
    for made in (cell, gone):
        first_lock(made, tmp_path, "/py311")
    legacy = tmp_path / "c.txt"  # a lock made before locks said their Python
    legacy.write_text(lock.header(Cell("c", {}), tmp_path) + "packaging==24.1\n")
    wanted = {"3.11": Found("/py311", "pyenv", ("cpython", "3.11.7"))}
    monkeypatch.setattr(interpreters, "find", lambda request, uv: wanted.pop(request.text, None))
    paths = {n: tmp_path / f"{n}.txt" for n in "abc"}
    chosen, notes = {"a": "/py312", "b": "/py312", "c": "/py312"}, []
    again = reuse([cell, gone, Cell("c", {})], paths, chosen, tmp_path, notes.append)
    assert chosen == {"a": "/py311", "b": "/py312", "c": "/py312"}
    assert again == [gone]  # its Python is gone: locked again, and refitted if need be
    assert notes == ["a: locked for Python 3.11; using Python 3.11 (pyenv), not 3.12"]


def test_the_plan_runs_a_cell_on_the_python_its_lock_was_made_for(pythons, tmp_path, monkeypatch):
    from harness.stages import pipeline, prepare
    from harness.store import Store

    pythons({"/py312": "abi-pin", "/py311": None})
    monkeypatch.setattr(prepare, "find_pythons", lambda cells: {c.name: "/py312" for c in cells})
    monkeypatch.setattr(interpreters, "installed", lambda uv: CANDIDATES)
    cell = Cell("torch21", {"torch": "==2.1.2"}, ["torch==2.1.2"])
    notes = []

    class Notes(pipeline.Silent):
        def note(self, text: str) -> None:
            notes.append(text)

    options = pipeline.RunOptions(project=tmp_path, reports=tmp_path / ".harness", cells=[cell])
    todo = prepare.plan(options, Store(tmp_path / ".harness"), Notes())
    assert todo.pythons == {"torch21": "/py311"} and todo.problem(cell) is None
    assert notes == [
        "torch21: Python 3.12 has no wheel for torch==2.1.2; using Python 3.11 (pyenv)"
    ]
    monkeypatch.setattr(interpreters, "find", lambda request, uv: CANDIDATES[2])  # the 3.11
    again = prepare.plan(options, Store(tmp_path / ".harness"), Notes())  # its lock is current
    assert again.pythons == {"torch21": "/py311"} and again.locks == {}
    assert notes[-1] == "torch21: locked for Python 3.11; using Python 3.11 (pyenv), not 3.12"
    assert again.prints == todo.prints  # the same Python: the same fingerprint


GCS_TOX_INI = """
[tox]
env_list = gcs034
[testenv]
package = skip
deps =
    pytest
    tensorflow-io-gcs-filesystem==0.34.0
commands = pytest {toxinidir}/tests
"""

GCS_TEST = """
import importlib.metadata
import sys


def test_the_wheel_is_installed_on_a_python_it_has_one_for():
    assert importlib.metadata.version("tensorflow-io-gcs-filesystem") == "0.34.0"
    assert sys.version_info[:2] <= (3, 11)
"""

MOVED = re.compile(
    r"harness: gcs034: Python (3\.1[23]) has no wheel for tensorflow-io-gcs-filesystem==0\.34\.0; "
    r"using Python (3\.\d+) \((PATH|pyenv|uv)\)"
)


@pytest.fixture(scope="module")
def newer_tool(tmp_path_factory):
    """The tool on a 3.13 or 3.12, where tensorflow-io-gcs-filesystem 0.34.0 (wheels up to
    cp311, no sdist: 2 MB) has no wheel; skipped where no such Python or no older one is."""
    host = next(filter(None, map(tool_venv.python, ("3.13", "3.12"))), "")
    if not host or not any(map(tool_venv.python, ("3.11", "3.10", "3.9", "3.8"))):
        pytest.skip("needs a Python 3.12 or 3.13 and one of 3.8 to 3.11 (PATH, pyenv, uv's)")
    work = tmp_path_factory.mktemp("newer-tool")
    return tool_venv.tool(work, host, tool_venv.wheel(work))


def gcs_project(folder: Path) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "tox.ini").write_text(GCS_TOX_INI)
    (folder / "tests" / "test_gcs.py").write_text(GCS_TEST)
    return folder


@pytest.mark.integration
def test_a_cell_whose_pins_have_no_wheel_for_the_tool_s_python_runs_on_one_they_have(
    newer_tool, tmp_path
):
    venv, env = newer_tool
    project = gcs_project(tmp_path / "project")
    done = tool_venv.run([venv / "bin" / "harness", "run", "--project", project], tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    moved = MOVED.search(done.stderr)
    assert moved and moved.group(2) in ("3.8", "3.9", "3.10", "3.11"), done.stderr
    (cell,) = json.loads((project / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "pass" and cell["tests"]["passed"] == 1, cell
    assert cell["interpreter"].startswith(f"cpython {moved.group(2)}.")  # what the harness chose
    assert cell["versions"]["python"].startswith(f"{moved.group(2)}.")  # what ran in the env
    assert locked_for(project / ".harness" / "locks" / "gcs034.txt") == moved.group(2)
    again = tool_venv.run([venv / "bin" / "harness", "run", "--project", project], tmp_path, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "harness: locking" not in again.stderr  # the lock is current: it is not made again
    python, origin = moved.group(2), moved.group(3)
    assert f"gcs034: locked for Python {python}; using Python {python} ({origin}), not " in (
        again.stderr
    )
    (cell,) = json.loads((project / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "pass" and cell["versions"]["python"].startswith(f"{python}.")


@pytest.mark.integration
def test_with_no_python_its_pins_have_wheels_for_the_cell_says_which_to_install(
    newer_tool, tmp_path
):
    venv, env = newer_tool
    project = gcs_project(tmp_path / "project")
    cache = tool_venv.run([uv_binary(), "cache", "dir"], tmp_path).stdout.strip()
    alone = {**env, "PATH": str(venv / "bin"), "HOME": str(tmp_path / "home"),  # no ~/.pyenv
             "PYENV_ROOT": str(tmp_path / "no-pyenv"), "UV_CACHE_DIR": cache,
             "UV_PYTHON_INSTALL_DIR": str(tmp_path / "no-uv-pythons")}  # fmt: skip
    done = tool_venv.run([venv / "bin" / "harness", "run", "--project", project], tmp_path, alone)
    assert done.returncode == 3, done.stdout + done.stderr  # not measured, not unsatisfiable
    (cell,) = json.loads((project / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "infra-error" and cell["problem"]["signature"] == "python-missing"
    assert cell["problem"]["evidence"] == (
        "install Python 3.11 (e.g. `uv python install 3.11`): "
        "tensorflow-io-gcs-filesystem==0.34.0 has wheels for cp37–cp311 only"
    )
    assert cell["problem"]["evidence"] in done.stdout
