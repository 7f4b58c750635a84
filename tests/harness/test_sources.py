import subprocess

import pytest

from harness.errors import ConfigError
from harness.stages.sources import changed_lines, check_ref, read


def git(folder, *args):
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# runtime\ntorch>=2.1,<2.2\n-r extra.txt\nnumpy<2.0  # the bridge\n"
    )
    (tmp_path / "extra.txt").write_text("pandas\n-c pins.txt\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.email=a@b", "-c", "user.name=a", "add", ".")
    git(tmp_path, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "base")
    return tmp_path


def test_a_state_is_read_from_git_without_touching_the_working_tree(repository):
    (repository / "requirements.txt").write_text("torch>=2.1,<2.2\n-r extra.txt\nnumpy>=2\n")
    before = (repository / "requirements.txt").read_text()
    base = read(repository, [], "HEAD")
    now = read(repository, [])
    assert base.requirements() == [
        "torch>=2.1,<2.2",
        "pandas",
        f"-c {repository / 'pins.txt'}",
        "numpy<2.0",
    ]
    assert (
        now.requirements()[-1] == "numpy>=2"
        and (repository / "requirements.txt").read_text() == before
    )
    (moved,) = changed_lines(base, now)
    assert (moved.path, moved.number, moved.text) == ("requirements.txt", 3, "numpy>=2")
    assert [line.number for line in base.names()["numpy"]] == [4]


def test_pyproject_dependencies_when_there_is_no_requirements_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n  "numpy>=2",\n]\n'
    )
    (line,) = read(tmp_path, []).lines
    assert (line.path, line.number, line.text) == ("pyproject.toml", 4, "numpy>=2")


def test_missing_files_and_refs_are_config_errors(repository, tmp_path):
    with pytest.raises(ConfigError, match="does not exist in HEAD"):
        read(repository, ["nope.txt"], "HEAD")
    with pytest.raises(ConfigError, match="is not a commit"):
        check_ref(repository, "no-such-branch")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no requirements.txt and no pyproject.toml"):
        read(empty, [])
