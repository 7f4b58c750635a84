"""A tox host (``harness.toxhost``) is ``python -m tox`` run in the cell's folder with the
cell's environment: real tox, real processes, compared with ``python -m tox`` itself."""

import json
import os
import subprocess
import sys

import pytest

from harness import cli, toxhost

TOX_INI = """\
[tox]
env_list = a
[testenv]
package = skip
pass_env = HARNESS_HOST_MARK
description = mark {env:HARNESS_HOST_MARK:unset} in {tox_root}
commands = python -c "import json, os, sys; json.dump({'env': dict(os.environ), \
'stdin': sys.stdin.read()}, open('seen.json', 'w'))"
"""


def children() -> set:
    """The pids whose parent is this process."""
    found = set()
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                if int(stat.read().rpartition(b")")[2].split()[1]) == os.getpid():
                    found.add(int(name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def hosted(command: list, project, env: dict, log) -> int:
    process = toxhost.launch(command, cwd=project, env=env, log=log)
    return process.wait(timeout=120)


def direct(command: list, project, env: dict) -> tuple:
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, stdin=subprocess.DEVNULL)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "tox.ini").write_text(TOX_INI)
    monkeypatch.delenv("HARNESS_HOST_MARK", raising=False)
    monkeypatch.chdir(tmp_path)  # the harness's folder is not the project's
    yield folder
    toxhost.discard()


def config_command() -> list:
    return [sys.executable, "-m", "tox", "config", "-e", "a", "-k", "description", "env_dir"]


def test_the_prestarted_host_runs_tox_as_python_m_tox_would(project, tmp_path):
    toxhost.prestart(toxhost.project_of(["run", "--project", str(project)]))
    prestarted = toxhost.prestarted()
    assert prestarted is not None
    env = {
        **os.environ,
        "HARNESS_HOST_MARK": "cell",
        "PYTHONUNBUFFERED": "1",
    }  # set after it started
    log = tmp_path / "tox.log"
    log.write_bytes(b"$ header\n")
    process = toxhost.launch(config_command(), cwd=project, env=env, log=log)
    assert process is prestarted and toxhost.prestarted() is None
    assert process.wait(timeout=120) == 0
    code, output = direct(config_command(), project, env)
    assert code == 0 and f"mark cell in {project}".encode() in output
    assert log.read_bytes() == b"$ header\n" + output  # appended to the log, byte for byte


@pytest.mark.parametrize("other", ["folder", "python variables"])
def test_a_host_that_started_otherwise_is_not_used(project, tmp_path, other):
    toxhost.prestart(str(tmp_path) if other == "folder" else str(project))
    prestarted = toxhost.prestarted()
    assert prestarted is not None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if other == "python variables":
        env["PYTHONWARNINGS"] = "ignore"  # read as Python starts
    log = tmp_path / "tox.log"
    log.write_bytes(b"")
    process = toxhost.launch(config_command(), cwd=project, env=env, log=log)
    assert process is not prestarted and prestarted.returncode is not None  # ended, waited for
    assert process.wait(timeout=120) == 0
    assert log.read_bytes() == direct(config_command(), project, env)[1]


def test_a_host_exits_as_tox_does(project, tmp_path):
    """tox's exit code and last words, from a host started for the cell (none prestarted)."""
    command = [sys.executable, "-m", "tox", "config", "-e", "no-such-env"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "tox.log"
    log.write_bytes(b"")
    code, output = direct(command, project, env)
    assert code == 254 and b"no-such-env" in output  # tox's own error
    assert hosted(command, project, env, log) == code and log.read_bytes() == output


def test_a_host_no_cell_took_ends_with_the_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = children()
    assert cli.main(["run", "--project", str(tmp_path / "missing")]) == 2
    assert "harness.toxhost" in sys.modules and toxhost.prestarted() is None
    assert children() <= before  # the host and its supervisor ended and were waited for


@pytest.mark.integration
def test_the_tests_see_what_they_see_under_python_m_tox(project, tmp_path):
    """The env's commands get the same environment and stdin from a host as from tox run
    directly: only the variables the cell sets differ between the runs, and they are set."""
    command = [sys.executable, "-m", "tox", "run", "-e", "a", "--hashseed", "7",
               "--workdir", str(tmp_path / "work")]  # fmt: skip
    env = {**os.environ, "HARNESS_HOST_MARK": "cell", "PYTHONUNBUFFERED": "1"}
    seen = {}
    for way in ("direct", "hosted"):
        if way == "hosted":
            toxhost.prestart(str(project))
            log = tmp_path / "tox.log"
            log.write_bytes(b"")
            assert hosted(command, project, env, log) == 0
        else:
            assert direct(command, project, env)[0] == 0
        seen[way] = json.loads((project / "seen.json").read_text())
    assert seen["hosted"] == seen["direct"] and seen["hosted"]["stdin"] == ""
    assert "\na: commands[0]> python -c" in log.read_text()  # no other folder shown: tox's own
    assert seen["hosted"]["env"]["PYTHONHASHSEED"] == "7"
    assert seen["hosted"]["env"]["HARNESS_HOST_MARK"] == "cell"  # given to the host, not its start
