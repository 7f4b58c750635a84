"""A project whose ``[tox] requires`` the harness's own tox lacks: provisioned as tox would,
with the harness's plugin, or refused in one line that names the entry at fault."""

import json
import os
import subprocess
import sys
import time

import pytest

from harness.stages import provision

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

TOX = """
[tox]
requires = {requires}
env_list = py
[testenv]
package = skip
deps = pytest
commands = pytest tests
"""


def project(tmp_path, requires):
    folder = tmp_path / "provisioned"
    (folder / "tests").mkdir(parents=True)
    (folder / "tox.ini").write_text(TOX.format(requires=requires))
    (folder / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")
    return folder


def harness(folder, cache):
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "--project", str(folder)],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )  # fmt: skip


def test_requires_the_harness_s_tox_has_need_no_provisioning(tmp_path):
    folder = project(tmp_path, "tox>=4.29")
    assert provision.missing_requires(folder) is None


def test_a_plugin_in_requires_is_provisioned_with_the_probe(tmp_path):
    folder = project(tmp_path, "tox-gh>=1.3")
    assert provision.missing_requires(folder) == ["tox-gh>=1.3", "tox"]
    done = harness(folder, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    (cell,) = json.loads((folder / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "pass" and cell["tests"]["passed"] == 1  # the probe counted it
    command = (folder / ".harness" / cell["log"]).read_text().splitlines()[0]
    assert str(tmp_path / "cache" / "harness" / "tox-hosts") in command
    (host,) = (tmp_path / "cache" / "harness" / "tox-hosts").iterdir()  # locks lie apart
    assert "tox-gh>=1.3" in json.loads((host / provision.READY).read_text())["requires"]
    assert not (folder / ".tox").exists()  # tox did not provision into the project


def test_requires_that_cannot_reach_a_uv_built_env_are_left_out_with_a_notice(tmp_path):
    folder = project(tmp_path, "virtualenv<20.22.0\n    tox-gh-actions<2")  # autograd 1.7.0's
    done = harness(folder, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    (cell,) = json.loads((folder / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "pass" and cell["tests"]["passed"] == 1
    assert cell["notices"] == [
        "[tox] requires virtualenv<20.22.0 left out: the harness builds envs with uv, so a "
        "virtualenv bound does not reach them",
        "[tox] requires tox-gh-actions<2 left out: a tox 3 plugin that picks envs in CI; the "
        "harness picks its own",
    ]
    assert "[tox] requires virtualenv<20.22.0 left out" in done.stdout
    assert "virtualenv<20.22.0 left out" in (folder / ".harness" / "compat.md").read_text()
    assert not list((tmp_path / "cache" / "harness" / "tox-hosts").glob("*/bin"))  # own tox ran


@pytest.mark.parametrize("requires", ["tox<4"])
def test_requires_that_cannot_stand_beside_the_harness_s_tox_are_named(tmp_path, requires):
    done = harness(project(tmp_path, requires), tmp_path / "cache")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"harness: error: [tox] requires {requires}: it cannot be installed")
    assert not list((tmp_path / "cache" / "harness" / "tox-hosts").glob("*/bin"))  # nothing kept


USES_ITS_HOST = """
import subprocess, sys, time
from pathlib import Path
from harness.stages import provision
python = provision.host(["tox-gh>=1.3"])
ready = python.parent.parent / provision.READY
print(python, ready.stat().st_ino, flush=True)  # the host this run uses, and which build it is
Path(sys.argv[2]).write_text("has its host")
other = Path(sys.argv[1])
while True:  # use the host until the other run has its own too, then once more
    finished = other.exists()
    subprocess.run([str(python), "-c", "import cachetools, tox, tox_gh"], check=True)
    if finished:
        break
    time.sleep(0.2)
"""


def test_two_runs_provisioning_one_host_at_once_share_it_and_neither_loses_it(tmp_path):
    """The second run, started while the first builds the host (an empty cache), waits on the
    host's lock and uses the host the first built; it never deletes or replaces it in use."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    first_done, second_done = tmp_path / "first", tmp_path / "second"

    def started(waits_for, writes):
        return subprocess.Popen([sys.executable, "-c", USES_ITS_HOST, str(waits_for), str(writes)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    first = started(second_done, first_done)
    hosts = tmp_path / "cache" / "harness" / "tox-hosts"
    deadline = time.monotonic() + 120
    while not (hosts.is_dir() and any(hosts.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.02)  # the first is building its host now (in a temporary folder)
    second = started(first_done, second_done)
    answers = [run.communicate(timeout=600) for run in (first, second)]
    assert [run.returncode for run in (first, second)] == [0, 0], answers
    assert answers[0][0] == answers[1][0]  # one host, the same path and build: not replaced
    assert [p.name.startswith(".") for p in hosts.iterdir()] == [False]  # no half-built one left
