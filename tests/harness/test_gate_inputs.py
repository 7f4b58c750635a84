"""Whether a change touches what the envs read for their dependencies (real files, no tox),
and the gate on a change that does not: it exits 0 in about a second and builds no env."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml

from harness.gate import inputs

from .layouts import git

SCHEMA = json.loads((Path(inputs.__file__).parents[1] / "schemas" / "gate.schema.json").read_text())
PYPROJECT = textwrap.dedent("""
    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"
    [project]
    name = "svc"
    version = "1.0"
    description = "a service"
    dependencies = ["numpy==1.26.4"]
    [project.optional-dependencies]
    test = ["pytest"]
    [dependency-groups]
    dev = ["ruff"]
    [tool.ruff]
    line-length = 99
""")
TOX_INI = textwrap.dedent("""
    [tox]
    env_list = py
    [testenv]
    deps =
        -r{toxinidir}/requirements/test.txt
        pytest
    constraints = constraints.txt
    commands = pytest tests
    [flake8]
    max-line-length = 99
""")


@pytest.fixture
def states(tmp_path):
    """Two states of one project, ``base`` and ``proposed``, alike to begin with."""
    made = []
    for name in ("base", "proposed"):
        folder = tmp_path / name
        (folder / "requirements").mkdir(parents=True)
        (folder / "pyproject.toml").write_text(PYPROJECT)
        (folder / "tox.ini").write_text(TOX_INI)
        (folder / "requirements.txt").write_text("# pinned\nnumpy==1.26.4  # via svc\n")
        (folder / "requirements" / "test.txt").write_text("-r common.txt\npytest==8.3.3\n")
        (folder / "requirements" / "common.txt").write_text("packaging==24.1\n")
        (folder / "constraints.txt").write_text("urllib3<3\n")
        (folder / "uv.lock").write_text('version = 1\n[[package]]\nname = "numpy"\n')
        made.append(folder)
    return made


def edit(folder, path, old, new):
    text = (folder / path).read_text()
    assert old in text, (path, old)
    (folder / path).write_text(text.replace(old, new))


def test_every_file_the_envs_read_is_found_nested_includes_and_tox_constraints_too(states):
    base, _ = states
    assert inputs.files(base) == {
        "pyproject.toml",
        "tox.ini",
        "requirements.txt",
        "requirements/test.txt",
        "requirements/common.txt",  # named by -r inside requirements/test.txt
        "constraints.txt",  # tox's constraints
        "uv.lock",
    }
    assert inputs.changed(base, base) == []


@pytest.mark.parametrize(
    "path, old, new",
    [
        ("pyproject.toml", 'version = "1.0"', 'version = "1.1"'),
        ("pyproject.toml", 'description = "a service"', 'description = "the service"'),
        ("pyproject.toml", "line-length = 99", "line-length = 120"),
        ("tox.ini", "commands = pytest tests", "commands = pytest tests -x"),
        ("tox.ini", "max-line-length = 99", "max-line-length = 120"),
        ("requirements.txt", "# pinned", "# pinned by pip-compile"),
        ("requirements.txt", "  # via svc", ""),
    ],
)
def test_an_edit_that_installs_nothing_else_is_no_dependency_change(states, path, old, new):
    base, proposed = states
    edit(proposed, path, old, new)
    assert inputs.changed(base, proposed) == []


@pytest.mark.parametrize(
    "path, old, new",
    [
        ("pyproject.toml", '"numpy==1.26.4"', '"numpy==2.2.6"'),
        ("pyproject.toml", 'test = ["pytest"]', 'test = ["pytest", "hypothesis"]'),
        ("pyproject.toml", 'dev = ["ruff"]', 'dev = ["ruff==0.6.0"]'),
        ("pyproject.toml", 'requires = ["hatchling"]', 'requires = ["hatchling<1.26"]'),
        ("tox.ini", "    pytest\n", "    pytest<8\n"),
        ("tox.ini", "constraints = constraints.txt", "constraints ="),
        ("requirements.txt", "numpy==1.26.4", "numpy==2.2.6"),
        ("requirements/common.txt", "packaging==24.1", "packaging==24.2"),  # nested -r
        ("constraints.txt", "urllib3<3", "urllib3<2"),
        ("uv.lock", "numpy", "numpy2"),
    ],
)
def test_a_dependency_edit_anywhere_the_envs_read_is_a_change_of_that_file(states, path, old, new):
    base, proposed = states
    edit(proposed, path, old, new)
    assert inputs.changed(base, proposed) == [path]


def test_files_added_or_removed_and_other_layouts(states):
    base, proposed = states
    (proposed / "requirements-dev.txt").write_text("ruff\n")
    (proposed / "uv.lock").unlink()
    assert inputs.changed(base, proposed) == ["requirements-dev.txt", "uv.lock"]
    for folder in states:
        (folder / "setup.cfg").write_text(
            "[metadata]\nname = svc\nversion = 1\n[options]\ninstall_requires =\n    numpy<2\n"
            "[options.extras_require]\ntest = pytest\n[testenv:lint]\ndeps = ruff\n"
        )
        (folder / "tox.toml").write_text(
            '[env_run_base]\ndeps = ["-r requirements/extra.txt"]\ncommands = [["pytest"]]\n'
        )
        (folder / "requirements" / "extra.txt").write_text("attrs\n")
    (proposed / "requirements-dev.txt").unlink()
    (base / "uv.lock").unlink()
    edit(proposed, "setup.cfg", "version = 1", "version = 2")
    edit(proposed, "tox.toml", '[["pytest"]]', '[["pytest", "-x"]]')
    assert inputs.changed(base, proposed) == []
    for path, old, new in [
        ("setup.cfg", "numpy<2", "numpy>=2"),
        ("setup.cfg", "test = pytest", "test = pytest<8"),
        ("setup.cfg", "deps = ruff", "deps = ruff==0.6"),
        ("requirements/extra.txt", "attrs", "attrs<24"),  # named only by tox.toml
    ]:
        edit(proposed, path, old, new)
        assert inputs.changed(base, proposed) == [path]
        edit(proposed, path, new, old)


def gate(project, cache, *args, env=None):
    return subprocess.run([sys.executable, "-m", "harness", "gate", "--project", str(project),
                           *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache), **(env or {})})  # fmt: skip


@pytest.fixture
def shallow(tmp_path):
    """A depth-1 clone of a service in ``services/svc`` on a pull request branch, the base
    branch fetched at depth 1 (CI's checkout); its tox env would need numpy from the index."""
    origin = tmp_path / "origin"
    project = origin / "services" / "svc"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text(
        "[testenv]\npackage = skip\ndeps =\n    -r requirements.txt\n    pytest\n"
        "commands = pytest tests\n"
    )
    (project / "requirements.txt").write_text("numpy==1.26.4\n")
    (project / "tests" / "test_it.py").write_text("def test_it():\n    assert True\n")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "base")
    git(origin, "checkout", "-q", "-b", "pr")
    (project / "tests" / "test_it.py").write_text("def test_it():\n    assert False\n")
    git(origin, "commit", "-qam", "code only")
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "pr", f"file://{origin}", "clone")
    clone = tmp_path / "clone"
    git(clone, "fetch", "-q", "--depth", "1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    return clone / "services" / "svc"


def test_a_code_only_change_exits_0_at_once_and_builds_no_env(shallow, tmp_path):
    """The change breaks the test, but no dependency changed: not the gate's business."""
    junit = tmp_path / "junit.xml"
    done = gate(shallow, tmp_path / "cache", "--base", "origin/main", "--json", "--junit", junit)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["result"] == "pass" and doc["dependencies_changed"] is False
    # a CI step that reads the JUnit file finds one, with no test run
    assert JUnitXml.fromfile(str(junit)).tests == 0
    assert doc["headline"].startswith("the dependencies did not change")
    assert doc["baseline"]["verdict"] == doc["proposed"]["verdict"] == "not run"
    own = shallow / ".harness" / "gate"  # the gate's own folder
    assert json.loads((own / "gate.json").read_text())["result"] == "pass"
    assert "dependencies did not change" in (own / "gate.md").read_text()
    (envs,) = (tmp_path / "cache" / "harness" / "envs").iterdir()
    assert {p.name for p in envs.iterdir()} <= {".snapshots", ".harness-envs"}  # no cell's env
    assert not (shallow / ".harness" / "cells").exists() or not any(
        (shallow / ".harness" / "cells").iterdir()
    )


def base_of(project):
    return subprocess.run(["git", "rev-parse", "origin/main"], cwd=project, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip


def test_a_gitlab_merge_request_pipelines_base_is_the_default(shallow, tmp_path):
    base = base_of(shallow)
    gitlab = {"CI_MERGE_REQUEST_DIFF_BASE_SHA": base}
    done = gate(shallow, tmp_path / "cache", env=gitlab)  # the base the pipeline names
    assert done.returncode == 0 and f"base {base}" in done.stderr, done.stdout + done.stderr
    assert (
        json.loads((shallow / ".harness" / "gate" / "gate.json").read_text())["baseline"]["state"]
        == base
    )


def test_a_base_the_checkout_lacks_is_exit_2_saying_to_fetch_it(shallow, tmp_path):
    missing = gate(shallow, tmp_path / "cache", "--base", "origin/release")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "fetch it" in missing.stderr, missing.stderr


def test_a_base_git_cannot_read_is_exit_3(shallow, tmp_path):
    base = base_of(shallow)
    objects = shallow.parent.parent / ".git" / "objects"
    for pack in list((objects / "pack").glob("*.pack")):  # every object loose, then one gone
        moved = pack.rename(tmp_path / pack.name)
        pack.with_suffix(".idx").unlink()
        with moved.open("rb") as handle:
            subprocess.run(["git", "unpack-objects", "-q"], cwd=shallow, stdin=handle, check=True)
    tree = subprocess.run(["git", "rev-parse", "origin/main^{tree}"], cwd=shallow,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (objects / tree[:2] / tree[2:]).unlink()
    broken = gate(shallow, tmp_path / "cold", "--base", base)
    assert broken.returncode == 3, broken.stdout + broken.stderr  # git failed: not bad input
    assert "git archive" in broken.stderr and "Traceback" not in broken.stderr
