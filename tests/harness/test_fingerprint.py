"""What a cell's result depends on: the project's files as git lists them, else a walk."""

import subprocess

from harness.stages.fingerprint import project_files


def test_a_project_in_a_folder_its_repository_ignores_is_walked(tmp_path):
    """An sdist unpacked in a reports folder inside a checkout: git lists none of its files."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("reports/\n")
    project = tmp_path / "reports" / "pkg-1.0"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_x.py").write_text("def test_x(): pass\n")
    (project / "__pycache__").mkdir()
    (project / "__pycache__" / "x.pyc").write_bytes(b"")
    assert project_files(project) == [project / "tests" / "test_x.py"]


def test_git_s_view_when_it_lists_the_project(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("ignored.txt\n")
    (tmp_path / "ignored.txt").write_text("")
    (tmp_path / "kept.py").write_text("")
    assert project_files(tmp_path) == [tmp_path / ".gitignore", tmp_path / "kept.py"]
