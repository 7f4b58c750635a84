"""The gate on every common layout, as a maintainer runs it: a real project in its own git
repository, a NumPy 2 bump that breaks one test (exit 1, the test named with its signature,
the edited line pointed at) and its revert (exit 0, no cell: the dependencies did not change).
The baseline takes the base ref's dependency files, so the working tree's bumped files never
leak into it."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from junitparser import JUnitXml

from tests.harness import layouts

pytestmark = pytest.mark.integration  # real git, tox envs and NumPy wheels


WRITE_TO = {  # where each layout keeps numpy: where a fix belongs
    "library": "pyproject.toml [project.dependencies]",
    "app": "requirements.txt",
    "pip-tools": "requirements.in",
    "tox-deps": "tox.ini [testenv] deps",
    "dependency-groups": "pyproject.toml [dependency-groups] test",
    "uv-lock": "pyproject.toml [project.dependencies]",
    "dependabot": "requirements.txt",
}


def harness(*args, summary=None):
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    if summary:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=1800, env=env)  # fmt: skip


def gate(project, *args, summary=None):
    return harness("gate", "--project", str(project), "--json", *args, summary=summary)


@pytest.mark.parametrize("layout", layouts.LAYOUTS, ids=[layout.name for layout in layouts.LAYOUTS])
def test_a_breaking_bump_fails_the_gate_and_its_revert_passes(layout, tmp_path):
    uv = shutil.which("uv") or str(sys.executable.rsplit("/", 1)[0] + "/uv")
    project = layouts.make(layout, tmp_path / layout.name, uv)
    layouts.bump(layout, project, uv)
    done = gate(project, "--junit", str(tmp_path / "junit.xml"), summary=tmp_path / "summary.md")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## Dependency gate: regression") and "compat" not in summary[:200]
    failing = {  # a suite per side, a case per test: only the broken test fails, and only there
        (suite.name.split(":")[0], f"{case.classname.split('.', 1)[1].replace('.', '/')}.py::"
         f"{case.name}") for suite in JUnitXml.fromfile(str(tmp_path / "junit.xml"))
        for case in suite if not case.is_passed and not case.is_skipped
    }  # fmt: skip
    assert failing == {("proposed working tree", layouts.BROKEN)}
    doc = json.loads(done.stdout)
    broken = {r["test"]: r for r in doc["regressions"]}
    assert set(broken) == {layouts.BROKEN}, broken
    assert broken[layouts.BROKEN]["signature"] == "numpy2-removed-name"
    numpy = next(c for c in doc["changes"] if c["name"] == "numpy")
    assert numpy["before"].startswith("1.26") and numpy["after"].startswith("2."), numpy
    assert doc["baseline"]["versions"]["numpy"].startswith("1.26")
    assert doc["proposed"]["versions"]["numpy"].startswith("2.")
    pointed = [(line["path"], line["text"]) for line in doc["changed_lines"]]
    assert any(path == layout.edited and layout.edited_line in text for path, text in pointed)
    annotations = [line for line in done.stderr.splitlines() if line.startswith("::error")]
    assert any(f"file={layout.edited}," in line for line in annotations), done.stderr
    fixes = {f["requirement"]: f["write_to"] for f in doc["fixes"] if f["verified"]}
    assert fixes.get("numpy<2") == WRITE_TO[layout.name], doc["fixes"]  # measured by the baseline
    if layout.name == "library":
        assert "testing with env py (choose another with --env)" in done.stderr

    layouts.revert(project)
    assert not subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                              cwd=project, capture_output=True, text=True).stdout  # fmt: skip
    reverted = gate(project)
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    doc = json.loads(reverted.stdout)
    assert doc["result"] == "pass" and doc["changes"] == [] and doc["regressions"] == []
    assert doc["dependencies_changed"] is False and "harness: " not in reverted.stderr  # no cell


@pytest.mark.parametrize("name", ["library", "app"])
def test_run_fails_on_the_bump_naming_the_broken_test_and_passes_on_its_revert(name, tmp_path):
    layout = layouts.BY_NAME[name]
    uv = shutil.which("uv") or str(sys.executable.rsplit("/", 1)[0] + "/uv")
    project = layouts.make(layout, tmp_path / name, uv)
    layouts.bump(layout, project, uv)
    reports = ["--project", str(project), "--reports", str(tmp_path / "reports"), "-e", "py"]
    done = harness("run", *reports)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{layouts.BROKEN} [numpy2-removed-name]" in done.stdout
    assert "new failure: not declared" in done.stdout
    layouts.revert(project)
    again = harness("run", *reports)
    assert again.returncode == 0, again.stdout + again.stderr
