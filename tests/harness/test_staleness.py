"""What a run writes into the project is its output, not an input: no cell is stale right
after its run, and ``--resume`` keeps it; an edit of the user's is still noticed."""

import json
import subprocess
import sys

import pytest

from . import corpus

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

TOX = """
[tox]
env_list = py
[testenv]
package = wheel
deps = pytest-cov
commands = pytest tests
"""

FILES = {
    "pyproject.toml": """
        [project]
        name = "scmpkg"
        dynamic = ["version"]
        [build-system]
        requires = ["setuptools>=64", "setuptools-scm>=8"]
        build-backend = "setuptools.build_meta"
        [tool.setuptools_scm]
        version_file = "src/scmpkg/_version.py"
        fallback_version = "0.1"
        [tool.pytest.ini_options]
        addopts = "--junitxml=junit-report.xml --cov=scmpkg --cov-report=xml:coverage.xml"
    """,
    "src/scmpkg/__init__.py": """
        from ._version import version
    """,
    "tests/test_it.py": """
        import scmpkg


        def test_version():
            assert scmpkg.version
    """,
}


def harness(project, *args):
    return subprocess.run([sys.executable, "-m", "harness", *args, "--project", str(project)],
                          capture_output=True, text=True, timeout=900)  # fmt: skip


def cells(project):
    report = json.loads((project / ".harness" / "compat.json").read_text())
    return {c["cell"]["name"]: c for c in report["cells"]}


def test_files_the_run_writes_do_not_make_its_cells_stale(tmp_path):
    project = corpus.build(tmp_path / "scm", TOX, FILES)  # no git: every file counts
    first = harness(project, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    written = {"junit-report.xml", "coverage.xml", "src/scmpkg/_version.py"}
    assert all((project / name).is_file() for name in written)
    cell = cells(project)["py"]
    assert cell["verdict"] == "pass" and not cell["stale"]
    assert written <= set(cell["excluded"])
    again = harness(project, "report", "--collect")
    assert again.returncode == 0 and not cells(project)["py"]["stale"]
    resumed = harness(project, "run", "--resume")
    assert resumed.returncode == 0 and "1 kept from the last run" in resumed.stdout + resumed.stderr
    (project / "tests" / "test_it.py").write_text("def test_changed():\n    pass\n")
    assert harness(project, "report", "--collect").returncode == 0
    assert cells(project)["py"]["stale"]  # the user's edit still counts
