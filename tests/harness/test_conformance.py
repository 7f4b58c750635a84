"""The harness on the tox.ini shapes people really write (tests/harness/corpus.py).

Each env is a real tox env built by tox-uv from real wheels; the harness's verdict, counts
and evidence for it are checked here. The rule under all of them: no cell passes while a
test of it failed or while a pytest session of it did not finish.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.store import Store

from . import corpus

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

ENVS = ("two-runs", "ignored", "ignore-errors", "pre-post-crash", "exit-early", "os-exit",
        "setenv", "no-autoload", "own-junit", "pip-command", "pip-installer", "warn-encoding", "names-pytest", "outside-pytest", "bad-command", "dot-extra", "extras", "no-deps",
        "nested", "no-commands", "nopython")  # fmt: skip


def harness(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=1200,
        env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def conformance(tmp_path_factory):
    project = corpus.build(
        tmp_path_factory.mktemp("corpus") / "conformance", corpus.CONFORMANCE_TOX,
        corpus.CONFORMANCE_FILES,
    )  # fmt: skip
    outside = Path(sys.executable).with_name("pytest")  # the test runner's, without the probe
    done = harness("run", "--project", str(project), "-e", ",".join(ENVS), "--jobs", "2",
                   env={**os.environ, "CONFORMANCE_OUTSIDE_PYTEST": str(outside)})  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr  # no-commands, nopython: unmeasured
    report = json.loads((project / ".harness" / "compat.json").read_text())
    return project, {cell["cell"]["name"]: cell for cell in report["cells"]}


def counts(cell, *fields):
    return tuple(cell["tests"][f] for f in fields)


def test_no_cell_passes_with_a_failed_test_or_an_unfinished_session(conformance):
    _, cells = conformance
    assert set(cells) == set(ENVS)
    for cell in cells.values():
        steps = cell["invocations"]
        if any(s["tests"]["failed"] or s["tests"]["errors"] or s["unfinished"] for s in steps):
            assert cell["verdict"] != "pass", cell["cell"]["name"]
        assert cell["tests"]["passed"] == sum(s["tests"]["passed"] for s in steps)


def test_every_pytest_command_counts(conformance):
    _, cells = conformance
    two = cells["two-runs"]
    assert two["verdict"] == "pass" and counts(two, "passed", "skipped") == (3, 1)
    assert [s["tests"]["passed"] for s in two["invocations"]] == [2, 1]
    assert two["invocations"][1]["command"] == "python -m pytest tests/test_ok.py -k one"
    nested = cells["nested"]
    assert nested["verdict"] == "pass" and counts(nested, "passed", "skipped") == (1, 0)


@pytest.mark.parametrize("env", ["ignored", "ignore-errors"])
def test_failures_tox_ignored_still_fail_the_cell(conformance, env):
    project, cells = conformance
    cell = cells[env]
    assert cell["verdict"] == "fail" and counts(cell, "passed", "failed") == (2, 10)
    assert cell["signatures"] == {"numpy-bridge-unavailable": 10}
    assert all(f["where"] == "commands[0]" for f in cell["failures"])
    if env == "ignored":
        assert cell["invocations"][0]["ignored"] and cell["invocations"][0]["exit_code"] == 1
        markdown = (project / ".harness" / "compat.md").read_text()
        assert "tox ignored its exit code" in markdown


def test_sessions_that_did_not_finish(conformance):
    _, cells = conformance
    crash = cells["pre-post-crash"]
    assert crash["verdict"] == "crash" and crash["problem"]["signature"] == "crash-signal"
    assert [s["exit_code"] for s in crash["invocations"]] == [0, -11, 0]
    stopped = cells["exit-early"]
    assert stopped["verdict"] == "fail" and stopped["problem"]["signature"] == "session-incomplete"
    assert stopped["problem"]["evidence"].startswith("Exit: GPU not found, stopping")
    vanished = cells["os-exit"]
    assert (
        vanished["verdict"] == "crash" and vanished["problem"]["signature"] == "session-incomplete"
    )
    assert counts(vanished, "passed") == (1,)


def test_the_project_s_settings_do_not_switch_the_probe_off(conformance):
    project, cells = conformance
    for env in ("setenv", "no-autoload", "own-junit", "warn-encoding"):
        assert cells[env]["verdict"] == "pass" and counts(cells[env], "passed", "skipped") == (2, 1)
    assert (Store(project / ".harness").envs / "own-junit" / "tmp" / "mine.xml").is_file()
    assert cells["pip-command"]["verdict"] == "pass"  # pip is in the env: its command needs it
    installer = cells["pip-installer"]  # pip installs its deps, as with virtualenv
    assert installer["verdict"] == "pass" and installer["tests"]["passed"] == 2


def test_a_command_that_names_pytest_without_running_it_is_not_a_test_run(conformance):
    _, cells = conformance  # patsy's tox.ini ends with `python -m pip uninstall pytest -y`
    cell = cells["names-pytest"]
    assert cell["verdict"] == "pass" and cell["problem"] is None
    assert [(s["exit_code"], s["sessions"]) for s in cell["invocations"]] == [
        (0, 1),
        (0, 0),
        (0, 0),
    ]
    assert counts(cell, "passed", "skipped") == (1, 0)


def test_a_pytest_from_outside_the_env_is_not_measured(conformance):
    project, cells = conformance  # its 10 tests failed, but not in the env: no incompatibility
    cell = cells["outside-pytest"]
    assert cell["verdict"] == "infra-error" and cell["problem"]["signature"] == "probe-missing"
    assert cell["tests"]["total"] == 0 and cell["invocations"][0]["exit_code"] == 1
    assert cell["problem"]["evidence"].startswith("pytest ran (exit 1)")
    # no session recorded its Python, yet the env's own is shown (what uv made it from), never
    # the harness's search
    env = Store(project / ".harness").envs / "outside-pytest"
    venv = dict(line.split(" = ", 1) for line in (env / "pyvenv.cfg").read_text().splitlines()
                if " = " in line)  # fmt: skip
    assert cell["versions"]["python"] == venv["version_info"].split(".final")[0]


def test_a_failing_non_test_command_is_reported_as_itself(conformance):
    _, cells = conformance
    cell = cells["bad-command"]
    assert cell["verdict"] == "fail" and cell["tests"]["total"] == 0
    assert cell["problem"]["evidence"] == "boom: the fixtures folder is missing"
    assert cell["problem"]["where"] == "commands[0]" and "exit 3" in cell["problem"]["message"]


@pytest.mark.parametrize("env", ["dot-extra", "extras", "no-deps"])
def test_locks_pin_the_project_s_dependencies_and_extras_but_not_the_project(conformance, env):
    project, cells = conformance
    assert cells[env]["verdict"] == "pass" and cells[env]["unpinned"] == []
    lock = (project / ".harness" / "locks" / f"{env}.txt").read_text()
    requirements = [line for line in lock.splitlines()[1:] if not line.startswith((" ", "#"))]
    names = {line.split("==")[0] for line in requirements}
    assert {"packaging", "pytest"} <= names and "confpkg" not in names
    assert all("==" in line for line in requirements)


def test_what_cannot_run_is_not_measured(conformance):
    _, cells = conformance
    assert cells["no-commands"]["verdict"] == "no-tests"
    assert cells["no-commands"]["problem"]["evidence"] == "the env has no commands"
    missing = cells["nopython"]
    assert (
        missing["verdict"] == "infra-error" and missing["problem"]["signature"] == "python-missing"
    )
    assert (
        "python3.99" in missing["problem"]["evidence"] and "pyenv" in missing["problem"]["evidence"]
    )
    assert missing["versions"].get("python") is None


def test_posargs_reach_the_env_s_commands(conformance):
    project, _ = conformance
    done = harness("run", "--project", str(project), "-e", "py", "--reports",
                   str(project / "posargs"), "--", "-k", "one")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (cell,) = json.loads((project / "posargs" / "compat.json").read_text())["cells"]
    assert counts(cell, "passed", "skipped") == (1, 0)


@pytest.mark.real_wheels
def test_numpy_2_migration_failures_get_their_signatures(tmp_path):
    project = corpus.build(tmp_path / "numpy2", corpus.NUMPY2_TOX, corpus.NUMPY2_FILES)
    done = harness("run", "--project", str(project), "-e", "migration,broken-conftest")
    assert done.returncode == 1, done.stdout + done.stderr  # failing cells, none declared
    report = json.loads((project / ".harness" / "compat.json").read_text())
    cells = {cell["cell"]["name"]: cell for cell in report["cells"]}
    migration = cells["migration"]
    assert migration["verdict"] == "fail" and migration["versions"]["numpy"] == "2.2.6"
    found = {f["test"].split("::")[-1]: f["signature"] for f in migration["failures"]}
    assert found == corpus.NUMPY2_EXPECTED
    broken = cells["broken-conftest"]
    assert broken["verdict"] == "fail" and broken["problem"]["signature"] == "numpy2-removed-name"


def test_a_flat_layout_package_builds_beside_the_harness_s_files(tmp_path):
    project = corpus.build(tmp_path / "flat", corpus.FLAT_TOX, corpus.FLAT_FILES)
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "lock", "-q", "--directory", str(project)], check=True, timeout=600)
    done = harness("run", "--project", str(project), "-e", "py,locked")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((project / ".harness" / "compat.json").read_text())
    cells = {cell["cell"]["name"]: cell for cell in report["cells"]}
    assert cells["py"]["verdict"] == "pass" and cells["py"]["lock"] == ".harness/locks/py.txt"
    assert cells["locked"]["verdict"] == "pass" and cells["locked"]["lock"] == "uv.lock"
    refused = harness("run", "--project", str(project), "-e", "locked", "--with", "packaging==24.0")
    assert refused.returncode == 2 and "installs the project's uv.lock" in refused.stderr
    (project / "reports").mkdir()  # a second top-level folder: setuptools refuses the flat layout
    broken = harness("run", "--project", str(project), "-e", "py")
    assert broken.returncode == 3, broken.stdout + broken.stderr
    cells = json.loads((project / ".harness" / "compat.json").read_text())["cells"]
    (cell,) = [c for c in cells if c["cell"]["name"] == "py"]
    assert cell["verdict"] == "infra-error" and cell["problem"]["signature"] == "env-setup"
    assert "Multiple top-level packages discovered" in cell["problem"]["evidence"]
