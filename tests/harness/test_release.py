"""A release a user can pin: the version, the changelog, release.yml (its shell steps run as
the runner runs them, on real git repositories and a real build) and reusable workflows that
check out the harness from their own repository and commit, never from a placeholder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import harness

from .layouts import git

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = YAML(typ="safe").load((WORKFLOWS / "release.yml").read_text())
BIN = Path(sys.executable).parent


def step(job: str, name: str) -> dict:
    (found,) = [s for s in RELEASE["jobs"][job]["steps"] if s.get("name", "").startswith(name)]
    return found


def run_step(found: dict, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """A `run:` step as GitHub's runner runs a bash step (`bash --noprofile --norc -eo
    pipefail FILE`), with the step's env: values given here in place of its expressions."""
    script = cwd.parent / f"{cwd.name}-step.sh"
    script.write_text(found["run"])
    assert set(found.get("env", {})) <= set(env)
    environment = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ["PATH"]]), **env}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=cwd, env=environment, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_changelog_opens_with_this_version():
    heads = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert heads and heads[0] == harness.__version__


def test_the_release_is_the_major_version_the_examples_pin():
    major = "v" + harness.__version__.split(".")[0]
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    text = "\n".join(page.read_text() for page in pages)
    pins = set(
        re.findall(r"(?:uses: |install git\+https://github.com/)OWNER/REPO\S*?@(v[\w.]+)", text)
    )
    assert pins == {major}, pins


def test_release_yml_builds_on_a_version_tag_publishes_by_trusted_publishing_and_moves_vx():
    assert RELEASE["on"] == {"push": {"tags": ["v*.*.*"]}}
    assert RELEASE["permissions"] == {"contents": "read"}
    jobs = RELEASE["jobs"]
    assert list(jobs) == ["build", "publish", "major-tag"]
    assert jobs["publish"]["needs"] == "build" and jobs["major-tag"]["needs"] == "build"
    publish = jobs["publish"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}  # and nothing else: no contents
    assert [s["uses"] for s in publish["steps"]][-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert "with" not in publish["steps"][-1]  # no password: trusted publishing
    assert jobs["major-tag"]["permissions"] == {"contents": "write"}
    for name, job in jobs.items():  # the only job that may write is the one that pushes a tag
        assert name == "major-tag" or "contents" not in job.get("permissions", {}), name
    built = step("build", "Build")["run"]
    assert "uv build" in built and "twine check --strict dist/*" in built


@pytest.fixture
def released(tmp_path):
    """A bare origin with v1.0.0 and v1.1.0 (annotated) and v1 on v1.0.0; a clone of it with
    every tag, as the major-tag job's checkout (fetch-depth: 0) has it."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(tmp_path, "init", "--quiet", "-b", "main", str(work))
    commits = {}
    for version in ("1.0.0", "1.1.0", "1.1.1rc1"):
        (work / "VERSION").write_text(version)
        git(work, "add", "VERSION")
        git(work, "commit", "--quiet", "-m", version)
        git(work, "tag", "-a", f"v{version}", "-m", f"compat-harness {version}")
        commits[f"v{version}"] = git(work, "rev-parse", "HEAD").strip()
    git(work, "tag", "v1", "v1.0.0^{commit}")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "--quiet", "origin", "main", "--tags")
    return origin, work, commits


def remote_v1(origin: Path) -> str:
    return git(origin, "rev-parse", "refs/tags/v1").strip()


def test_the_major_tag_moves_to_the_newest_release_only(released):
    origin, work, commits = released
    moving = step("major-tag", "Move the major tag")
    older = run_step(moving, work, TAG="v1.0.0")
    assert older.returncode == 0, older.stderr
    assert "::notice title=release::v1.1.0 is newer than v1.0.0: v1 stays" in older.stdout
    assert remote_v1(origin) == commits["v1.0.0"]
    pre = run_step(moving, work, TAG="v1.1.1rc1")
    assert pre.returncode == 0 and "is not vX.Y.Z" in pre.stdout, pre.stdout + pre.stderr
    assert remote_v1(origin) == commits["v1.0.0"]
    newest = run_step(moving, work, TAG="v1.1.0")
    assert newest.returncode == 0, newest.stderr
    assert remote_v1(origin) == commits["v1.1.0"]  # the commit, not the annotated tag object
    assert newest.stdout.strip().endswith(f"v1 -> {commits['v1.1.0']}")


def test_the_reusable_workflows_check_out_their_own_repository_and_commit_by_default():
    """`github.*` is the caller's in a called workflow; `job.workflow_repository` and
    `job.workflow_sha` name the file that defines the job. No input defaults to a
    placeholder repository or a tag."""
    for path in WORKFLOWS.glob("*.yml"):
        workflow = YAML(typ="safe").load(path.read_text())
        called = (workflow.get("on") or {}).get("workflow_call")
        if not called:
            continue
        inputs = called["inputs"]
        assert inputs["harness-repository"]["default"] == "" == inputs["harness-ref"]["default"]
        assert "your-org" not in path.read_text()
        checkouts = [s for job in workflow["jobs"].values() for s in job["steps"]
                     if s.get("with", {}).get("path") == "harness-tool"]  # fmt: skip
        assert checkouts, path.name
        for checkout in checkouts:
            assert checkout["with"]["repository"] == (
                "${{ inputs.harness-repository || job.workflow_repository }}"
            )
            assert checkout["with"]["ref"] == (
                "${{ inputs.harness-ref || "
                "(inputs.harness-repository == '' && job.workflow_sha || '') }}"
            )


@pytest.mark.integration
def test_the_release_build_passes_for_its_own_tag_and_fails_for_another(tmp_path):
    """release.yml's build job on a copy of this checkout's files: uv build, twine check, the
    wheel installed alone by pip in a fresh venv; `harness --version` against the tag."""
    tree = tmp_path / "tree"
    files = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file() and name.split("/")[0] in (
            "harness", "pyproject.toml", "README.md", "CHANGELOG.md"
        ):  # fmt: skip
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    runner = tmp_path / "runner"
    runner.mkdir()
    built = run_step(step("build", "Build"), tree)
    assert built.returncode == 0, built.stdout + built.stderr
    version = harness.__version__
    assert sorted(p.name for p in (tree / "dist").glob("*.*[lz]")) == [
        f"compat_harness-{version}-py3-none-any.whl", f"compat_harness-{version}.tar.gz",
    ]  # fmt: skip
    assert built.stdout.count("PASSED") == 2
    check = step("build", "Install the wheel")
    right = run_step(check, tree, TAG=f"v{version}", RUNNER_TEMP=str(runner))
    assert right.returncode == 0, right.stdout + right.stderr
    assert right.stdout.strip() == f"harness {version}"
    wrong = run_step(check, tree, TAG="v9.9.9", RUNNER_TEMP=str(runner))
    assert wrong.returncode == 1
    assert wrong.stdout.strip() == (
        f"::error title=release::the tag v9.9.9 but the wheel's harness {version} "
        "(harness/__init__.py)"
    )
