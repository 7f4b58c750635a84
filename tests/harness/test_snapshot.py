"""A git ref's files, checked out by the harness: the working tree is only read."""

import subprocess

import pytest

from harness.errors import ConfigError, ToolError
from harness.stages import snapshot

from .layouts import git


@pytest.fixture
def repository(tmp_path):
    project = tmp_path / "repo" / "service"
    project.mkdir(parents=True)
    (project / "requirements.txt").write_text("numpy<2\n")
    git(project.parent, "init", "-q")  # the project is a folder of its repository
    git(project.parent, "add", ".")
    git(project.parent, "commit", "-qm", "base")
    (project / "requirements.txt").write_text("numpy>=2\n")
    (project / "untracked.py").write_text("")
    return project


def status(folder):
    return subprocess.run(["git", "status", "--porcelain"], cwd=folder, capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def test_the_ref_is_checked_out_apart_and_the_working_tree_is_left_alone(repository, tmp_path):
    before = status(repository)
    folder = snapshot.checkout(repository, "HEAD", tmp_path / "snapshots")
    assert folder.name == "service" and (folder / "requirements.txt").read_text() == "numpy<2\n"
    assert not (folder / "untracked.py").exists()
    assert (repository / "requirements.txt").read_text() == "numpy>=2\n"
    assert status(repository) == before
    marker = next((tmp_path / "snapshots").glob("*.complete"))
    assert marker.read_text().strip() == snapshot.commit_of(repository, "HEAD")
    (folder / "requirements.txt").write_text("kept\n")  # a complete checkout is reused
    assert snapshot.checkout(repository, "HEAD", tmp_path / "snapshots") == folder
    assert (folder / "requirements.txt").read_text() == "kept\n"


def test_a_half_made_checkout_is_made_again(repository, tmp_path):
    folder = snapshot.checkout(repository, "HEAD", tmp_path / "snapshots")
    next((tmp_path / "snapshots").glob("*.complete")).unlink()
    (folder / "requirements.txt").write_text("half\n")
    again = snapshot.checkout(repository, "HEAD", tmp_path / "snapshots")
    assert (again / "requirements.txt").read_text() == "numpy<2\n"


def shallow_pull_request(tmp_path):
    """CI's checkout: a depth-1 clone (file:// so that depth applies) of a repository whose
    project lies in ``services/svc``, on a pull request's commit, with the base branch, which
    moved on since, fetched at depth 1 as ``origin/main``. Returns (the project, origin)."""
    origin = tmp_path / "origin"
    (origin / "services" / "svc").mkdir(parents=True)
    (origin / "services" / "svc" / "requirements.txt").write_text("numpy==1.26.4\n")
    (origin / "services" / "svc" / "code.py").write_text("one = 1\n")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "one")
    git(origin, "checkout", "-q", "-b", "bump")
    (origin / "services" / "svc" / "requirements.txt").write_text("numpy==2.2.6\n")
    git(origin, "commit", "-qam", "bump")
    git(origin, "checkout", "-q", "main")
    (origin / "services" / "svc" / "code.py").write_text("one = 1\ntwo = 2\n")
    git(origin, "commit", "-qam", "main moves on")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "bump", f"file://{origin}", "clone")
    git(clone, "fetch", "-q", "--depth", "1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    return clone / "services" / "svc", origin


def test_a_shallow_clone_with_the_base_fetched_at_depth_1_gives_the_bases_tree(tmp_path):
    project, _ = shallow_pull_request(tmp_path)
    assert status(project.parent.parent) == ""
    assert (project.parent.parent / ".git" / "shallow").is_file()
    folder = snapshot.checkout(project, "origin/main", tmp_path / "snapshots")
    assert folder.relative_to(tmp_path / "snapshots").parts[1:] == ("services", "svc")
    assert (folder / "requirements.txt").read_text() == "numpy==1.26.4\n"
    assert (folder / "code.py").read_text() == "one = 1\ntwo = 2\n"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    assert head == snapshot.commit_of(project, "origin/main")  # setuptools-scm sees that commit
    assert status(folder) == ""


def test_a_detached_merge_commit_and_a_commit_id_as_base(tmp_path):
    """GitHub's refs/pull/N/merge, checked out detached at depth 1; GitLab's
    CI_MERGE_REQUEST_DIFF_BASE_SHA, a commit id."""
    project, origin = shallow_pull_request(tmp_path)
    git(origin, "checkout", "-q", "-b", "merged", "main")
    git(origin, "merge", "-q", "--no-edit", "bump")
    git(origin, "update-ref", "refs/pull/1/merge", "merged")
    clone = project.parent.parent
    git(
        clone,
        "fetch",
        "-q",
        "--depth",
        "1",
        "origin",
        "+refs/pull/1/merge:refs/remotes/pull/1/merge",
    )
    git(clone, "checkout", "-q", "--detach", "refs/remotes/pull/1/merge")
    base = snapshot.commit_of(project, "origin/main")
    for ref in ("origin/main", base):
        folder = snapshot.checkout(project, ref, tmp_path / "snapshots")
        assert (folder / "requirements.txt").read_text() == "numpy==1.26.4\n"
    assert (project / "requirements.txt").read_text() == "numpy==2.2.6\n"


def test_the_overlay_is_the_working_tree_with_the_bases_files_in_a_folder_of_its_own(tmp_path):
    project, _ = shallow_pull_request(tmp_path)
    (project / "code.py").write_text("changed = True\n")  # uncommitted: the overlay has it
    (project / ".harness").mkdir()
    (project / ".harness" / "gate.json").write_text("{}")  # the reports folder: left out
    (project / "new-requirements.txt").write_text("x\n")  # the base lacks it: removed
    base = snapshot.checkout(project, "origin/main", tmp_path / "snapshots")
    into = tmp_path / "snapshots" / "baseline"
    root = snapshot.overlay(project, base, ["requirements.txt", "new-requirements.txt"], [],
                            into, project / ".harness")  # fmt: skip
    assert root == into / "services" / "svc"
    assert sorted(p.name for p in root.iterdir()) == ["code.py", "requirements.txt"]
    assert (root / "requirements.txt").read_text() == "numpy==1.26.4\n"
    assert (root / "code.py").read_text() == "changed = True\n"
    assert status(into) == " M services/svc/code.py\n M services/svc/requirements.txt\n"
    assert (project / "requirements.txt").read_text() == "numpy==2.2.6\n"
    with pytest.raises(ConfigError, match="outside the repository"):
        snapshot.overlay(project, base, ["../../../x.txt"], [], into, project / ".harness")


def test_a_commit_whose_tree_git_cannot_read_is_a_tool_error(repository, tmp_path):
    tree = subprocess.run(["git", "rev-parse", "HEAD^{tree}"], cwd=repository,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    (repository.parent / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    with pytest.raises(ToolError, match="git archive"):
        snapshot.checkout(repository, "HEAD", tmp_path / "snapshots")


def test_an_unknown_ref_is_a_config_error_that_says_to_fetch_it(repository, tmp_path):
    with pytest.raises(ConfigError, match="is not a commit .* fetch it"):
        snapshot.checkout(repository, "no-such-branch", tmp_path / "snapshots")
