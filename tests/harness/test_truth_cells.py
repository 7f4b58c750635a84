"""What a cell reads is what the project's own tox run reads (issue 23), on small real projects:
a test that fails once and passes on its re-run is flaky, and fails neither ``run`` nor
``gate``; a pytest that cannot start (a real plugin and a conftest declaring one option dest)
is not measured, and ``run`` exits 3."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from .layouts import git

pytestmark = pytest.mark.integration  # real git, tox envs, uv and pytest

TOX = """
[tox]
env_list = py
[testenv]
package = skip
deps =
    -r requirements.txt
    pytest
set_env = MARKER = {env_dir}/failed-once
commands = pytest {posargs:tests} -q -p no:cacheprovider
"""
TESTS = textwrap.dedent("""
    import os
    from pathlib import Path

    import packaging


    def test_flaky():  # fails the first time it runs in an env, passes after
        marker = Path(os.environ["MARKER"])
        if not marker.exists():
            marker.write_text("failed once")
            assert packaging.__version__ == "0", "first run in this env"


    def test_ok():
        assert packaging.__version__
""")
FLAKY = "tests/test_it.py::test_flaky"


def harness(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GITHUB_ACTIONS": ""})  # fmt: skip


@pytest.fixture
def flaky_project(tmp_path):
    folder = tmp_path / "flaky"
    (folder / "tests").mkdir(parents=True)
    (folder / "tox.ini").write_text(TOX)
    (folder / "requirements.txt").write_text("packaging==23.2\n")
    (folder / "tests" / "test_it.py").write_text(TESTS)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "base")
    return folder


def test_a_test_that_passes_on_its_re_run_is_flaky_and_fails_neither_run_nor_gate(flaky_project):
    done = harness("run", "--project", flaky_project)
    assert done.returncode == 0, done.stdout + done.stderr
    (cell,) = json.loads((flaky_project / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "pass" and cell["flaky"] == [FLAKY] and not cell["failures"]
    assert cell["outcomes"] == {FLAKY: "flaky", "tests/test_it.py::test_ok": "passed"}
    assert (cell["tests"]["passed"], cell["tests"]["failed"]) == (2, 0)
    assert cell["confirmation"] == "re-ran 1 failing test(s); 1 passed (flaky); 0 failed again"
    assert (
        f"flaky (failed, then passed on a re-run; not counted as failing): {FLAKY}" in done.stdout
    )
    rerun = next((flaky_project / ".harness" / "runs").glob("*/py/confirm/tox.log"))
    assert rerun.read_text().splitlines()[0].endswith(f"--skip-pkg-install -- {FLAKY}")
    assert "flaky" in (flaky_project / ".harness" / "compat.md").read_text()

    capped = harness("run", "--project", flaky_project, "--resume", "--threads-per-cell", "1")
    assert capped.returncode == 0 and "(kept)" not in capped.stdout  # a cap is not kept over
    (cell,) = json.loads((flaky_project / ".harness" / "compat.json").read_text())["cells"]
    assert cell["threads"] == 1 and cell["flaky"] == [] and "threads capped at 1" in capped.stdout

    (flaky_project / "requirements.txt").write_text("packaging==24.1\n")  # the bump, uncommitted
    gated = harness("gate", "--project", flaky_project, "--json")
    assert gated.returncode == 0, gated.stdout + gated.stderr
    doc = json.loads(gated.stdout)
    assert doc["regressions"] == [] and doc["proposed"]["verdict"] == "pass"
    for side in ("baseline", "proposed"):  # each measured, its flaky test re-run and passing
        stored = flaky_project / ".harness" / "gate" / "cells" / f"{doc[side]['cell']}.json"
        assert json.loads(stored.read_text())["flaky"] == [FLAKY]


PLUGIN = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[project]
name = "pytest-remote-a"
version = "1.0"
[project.entry-points.pytest11]
remote_a = "pytest_remote_a"
[tool.hatch.build.targets.wheel]
packages = ["pytest_remote_a"]
"""


def test_a_pytest_that_cannot_start_is_not_measured(tmp_path):
    folder = tmp_path / "clash"
    (folder / "plugin" / "pytest_remote_a").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "plugin" / "pyproject.toml").write_text(PLUGIN)
    (folder / "plugin" / "pytest_remote_a" / "__init__.py").write_text(
        "def pytest_addoption(parser):\n    parser.addoption('--remote-data', default='none')\n"
    )
    (folder / "conftest.py").write_text(  # the option again, under the name an older copy used
        "def pytest_addoption(parser):\n    parser.addoption('--remote_data', action='store_true')\n"
    )
    (folder / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")
    (folder / "tox.ini").write_text("[testenv]\npackage = skip\ndeps =\n    pytest\n"
                                    "    {toxinidir}/plugin\ncommands = pytest tests\n")  # fmt: skip
    done = harness("run", "--project", folder, "-e", "py")
    assert done.returncode == 3, done.stdout + done.stderr
    (cell,) = json.loads((folder / ".harness" / "compat.json").read_text())["cells"]
    assert cell["verdict"] == "infra-error" and cell["problem"]["signature"] == "pytest-not-started"
    assert "option dest 'remote_data' already used" in cell["problem"]["evidence"]
    assert "option dest 'remote_data' already used" in done.stdout
