"""A git ref's files, checked out by the harness: the working tree is only read."""

import subprocess

import pytest

from harness.errors import ConfigError
from harness.stages import snapshot


def git(folder, *args):
    subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", *args], cwd=folder,
                   check=True, capture_output=True)  # fmt: skip


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


def test_without_a_clone_the_tree_is_extracted_into_a_repository_of_its_own(
    repository, tmp_path, monkeypatch
):
    real = subprocess.run

    def no_clone(command, *args, **kwargs):
        if command[:2] == ["git", "clone"]:
            return subprocess.CompletedProcess(command, 128, "", "fatal: shallow")
        return real(command, *args, **kwargs)

    monkeypatch.setattr(snapshot.subprocess, "run", no_clone)
    folder = snapshot.checkout(repository, "HEAD", tmp_path / "snapshots")
    assert (folder / "requirements.txt").read_text() == "numpy<2\n"
    assert (folder.parent / ".git").is_dir()


def test_an_unknown_ref_is_a_config_error(repository, tmp_path):
    with pytest.raises(ConfigError, match="is not a commit"):
        snapshot.checkout(repository, "no-such-branch", tmp_path / "snapshots")
