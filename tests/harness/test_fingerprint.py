"""What a cell's result depends on: the project's files as git lists them, else a walk."""

import subprocess

import pytest

from harness.model import Cell, CellResult, Counts
from harness.stages.fingerprint import fingerprint, project_digest, project_files, stale_cells
from harness.store import result_key

from .layouts import git


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


@pytest.fixture
def measured(tmp_path):
    """A committed project and a cell's result fingerprinted on it, as a run leaves it."""
    project = tmp_path / "svc"
    (project / "tests").mkdir(parents=True)
    (project / "src" / "svc").mkdir(parents=True)
    files = {"tox.ini": "[testenv]\ndeps = pytest\n", "requirements.txt": "packaging==24.1\n",
             "pyproject.toml": '[project]\nname = "svc"\n', "src/svc/__init__.py": "",
             "tests/test_it.py": "def test_it():\n    pass\n", "README.md": "# svc\n"}  # fmt: skip
    for name, text in files.items():
        (project / name).write_text(text)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "base")
    reports = project / ".harness"
    cell = Cell("py", {})
    digest = project_digest(project, reports)
    result = CellResult(cell, "pass", Counts(passed=1),
                        fingerprint=fingerprint(cell, project / "no-lock", digest))  # fmt: skip
    return project, reports, result


@pytest.mark.parametrize(
    "path",
    [".gitignore", "tests/.gitignore", ".github/workflows/ci.yml", ".pre-commit-config.yaml",
     "LICENSE", "CHANGELOG.md", "docs/usage.rst", ".harness/compat.json"],
)  # fmt: skip
def test_a_file_no_cell_reads_leaves_the_cells_fresh(measured, path):
    project, reports, result = measured
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text("*.log\n")
    assert stale_cells([result], project, reports) == set()


@pytest.mark.parametrize(
    "path, text",
    [("tests/test_it.py", "def test_it():\n    assert False\n"),  # tracked, edited
     ("tests/conftest.py", "import pytest\n"),  # new, untracked
     ("src/svc/core.py", "X = 1\n"), ("tox.ini", "[testenv]\ndeps = pytest\n  numpy\n"),
     ("pyproject.toml", '[project]\nname = "svc"\nversion = "1"\n'),
     ("tests/data/expected.txt", "42\n")],
)  # fmt: skip
def test_a_file_a_cell_reads_makes_it_stale(measured, path, text):
    project, reports, result = measured
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text(text)
    assert stale_cells([result], project, reports) == {result_key(result)}
