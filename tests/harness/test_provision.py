"""A project whose ``[tox] requires`` the harness's own tox lacks: provisioned as tox would,
with the harness's plugin, or refused in one line that names the entry at fault."""

import json
import os
import subprocess
import sys

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
    (host,) = (tmp_path / "cache" / "harness" / "tox-hosts").iterdir()
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
