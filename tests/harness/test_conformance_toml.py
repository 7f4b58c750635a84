"""tox.toml and ``[tool.tox]`` twins of the corpus's shapes: pinned, measured and reported
exactly as tox.ini is. Each cell's installed versions come from the probe's own record.
"""

import json
import shlex
import subprocess
import sys

import pytest

from harness.store import Store

from . import corpus

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

ENVS_TOML = """
env_list = ["two-runs"]

[env_run_base]
package = "skip"
deps = ["pytest", "packaging==24.1"]
commands = [["pytest", "tests/test_ok.py", { replace = "posargs", extend = true }]]

[env.two-runs]
commands = [["pytest", "tests/test_ok.py"], ["python", "-m", "pytest", "tests/test_ok.py", "-k", "one"]]

[env.ignored]
commands = [["-", "pytest", "tests/test_bridge.py"], ["pytest", "tests/test_ok.py"]]

[env.ignore-errors]
ignore_errors = true
commands = [["pytest", "tests/test_bridge.py"], ["pytest", "tests/test_ok.py"]]

[env.setenv]
set_env = { PYTEST_ADDOPTS = "-p no:cacheprovider -q", CONFPKG_MODE = "set" }
commands = [["pytest", "tests/test_ok.py", "-p", "no:junitxml"]]

[env.posargs]
commands = [["pytest", "tests/test_ok.py", { replace = "posargs", default = ["-k", "one"], extend = true }]]

[env.req-file]
deps = ["-r requirements-test.txt"]
commands = [["pytest", "tests/test_ok.py"]]

[env.extras]
package = "wheel"
extras = ["test"]
deps = ["packaging>=23"]
commands = [["pytest", "tests/test_pkg.py"]]

[env.site-packages]
commands = [["python", "-c", "import sys; print(sys.argv[1])", "{env_site_packages_dir}"], ["pytest", "tests/test_ok.py"]]

[env.names-pytest]
allowlist_externals = ["env"]
commands = [
    ["env", "CONFPKG_MODE=plain", "pytest", "tests/test_ok.py", "-k", "one"],
    ["python", "-m", "pip", "uninstall", "pytest", "-y"],
]
"""

ENVS = ("two-runs", "ignored", "ignore-errors", "setenv", "posargs", "req-file", "extras",
        "site-packages", "names-pytest")  # fmt: skip
EXPECTED = {  # verdict, passed, failed, skipped, installed packaging
    "two-runs": ("pass", 3, 0, 1, "24.1"),
    "ignored": ("fail", 2, 10, 1, "24.1"),
    "ignore-errors": ("fail", 2, 10, 1, "24.1"),
    "setenv": ("pass", 2, 0, 1, "24.1"),
    "posargs": ("pass", 1, 0, 0, "24.1"),
    "req-file": ("pass", 2, 0, 1, "23.2"),
    "extras": ("pass", 1, 0, 0, None),  # packaging>=23: whatever release the lock pinned
    "site-packages": ("pass", 2, 0, 1, "24.1"),  # tox builds the env to read its config
    "names-pytest": ("pass", 1, 0, 0, "24.1"),
}


def as_pyproject(toml: str, pyproject: str) -> str:
    """The same config as ``[tool.tox]`` in the package's own pyproject.toml."""
    tables = toml.replace("\n[env", "\n[tool.tox.env").replace(
        'env_list = ["two-runs"]', '[tool.tox]\nenv_list = ["two-runs"]'
    )
    return pyproject + "\n" + tables


def harness(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=1500)  # fmt: skip


@pytest.fixture(scope="module", params=["tox.toml", "pyproject.toml"])
def measured(request, tmp_path_factory):
    files = dict(corpus.CONFORMANCE_FILES)
    files["requirements-test.txt"] = "pytest\npackaging==23.2\n"
    if request.param == "tox.toml":
        files["tox.toml"] = ENVS_TOML
    else:
        files["pyproject.toml"] = as_pyproject(ENVS_TOML, files["pyproject.toml"])
    project = tmp_path_factory.mktemp("toml") / "conf project"  # a space, as users' paths have
    corpus.build(project, None, files)
    assert not (project / "tox.ini").exists()
    done = harness("run", "--project", str(project), "-e", ",".join(ENVS), "--jobs", "2")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    adhoc = harness("run", "--project", str(project), "-e", "extras", "--with",
                    "packaging==23.2")  # fmt: skip
    assert adhoc.returncode in (0, 1), adhoc.stdout + adhoc.stderr
    report = json.loads((project / ".harness" / "compat.json").read_text())
    return project, {cell["cell"]["name"]: cell for cell in report["cells"]}


@pytest.mark.parametrize("env", ENVS)
def test_each_shape_gets_its_verdict_counts_and_pinned_versions(measured, env):
    project, cells = measured
    cell = cells[env]
    verdict, passed, failed, skipped, packaging = EXPECTED[env]
    tests = cell["tests"]
    assert (cell["verdict"], tests["passed"], tests["failed"], tests["skipped"]) == (
        verdict, passed, failed, skipped,
    ), cell["problem"]  # fmt: skip
    lock = (project / cell["lock"]).read_text().splitlines()
    pinned = next(line.partition("==")[2] for line in lock if line.startswith("packaging=="))
    assert cell["versions"]["packaging"] == pinned == (packaging or pinned)
    sessions = list((project / ".harness" / cell["log"]).parent.glob("sessions/*/session.json"))
    recorded = {json.loads(s.read_text())["versions"]["packaging"] for s in sessions}
    assert recorded == {pinned}, "the probe saw what the lock pinned, in every session"


def test_an_adhoc_cell_takes_its_base_env_and_its_own_pin(measured):
    project, cells = measured
    cell = cells["extras-with_packaging23.2"]
    assert cell["verdict"] == "pass" and cell["versions"]["packaging"] == "23.2"
    assert cell["cell"]["base_env"] == "extras"
    log = (project / ".harness" / cell["log"]).read_text()
    install = next(line for line in log.splitlines() if "install_deps>" in line)
    assert "-c" in shlex.split(install.partition("> ")[2])  # installed under the harness's lock


def test_nothing_is_written_outside_the_reports_folder(measured):
    project, _ = measured
    assert not (project / ".tox").exists()  # envs live in the reports folder's work dir
    envs = Store(project / ".harness").envs
    assert (envs / "two-runs").is_dir() and project not in envs.parents  # not in the sdist


def test_no_cell_is_stale_right_after_its_run(measured):
    project, cells = measured
    assert [name for name, cell in cells.items() if cell["stale"]] == []
