"""Where a suggested requirement belongs: the file the project really keeps it in."""

import pytest

from harness.report.suggest import place
from harness.report.where import dependency_files, where_to_write

PYPROJECT = """
[project]
name = "lib"
dependencies = ["torch>=2.1", "packaging"]
[project.optional-dependencies]
test = ["pytest", "pandas>=2"]
[dependency-groups]
dev = ["ruff", "scipy"]
"""
TOX_INI = """
[tox]
env_list = np1, np2
[testenv]
deps =
    pytest
    np1: numpy==1.26.4
    np2: numpy==2.2.6
[testenv:lint]
deps = flake8
"""


@pytest.mark.parametrize(
    ("files", "package", "place"),
    [
        ({"requirements.txt": "torch>=2.1\n", "pyproject.toml": PYPROJECT}, "torch", "requirements.txt"),
        ({"pyproject.toml": PYPROJECT}, "torch", "pyproject.toml [project.dependencies]"),
        ({"pyproject.toml": PYPROJECT}, "Pandas", "pyproject.toml [project.optional-dependencies] test"),
        ({"pyproject.toml": PYPROJECT}, "scipy", "pyproject.toml [dependency-groups] dev"),
        # named nowhere (numpy comes with torch): the project's own list, not an extra
        ({"pyproject.toml": PYPROJECT}, "numpy", "pyproject.toml [project.dependencies]"),
        # tox's deps are the matrix: the project's own list takes the bound
        ({"pyproject.toml": PYPROJECT, "tox.ini": TOX_INI}, "numpy", "pyproject.toml [project.dependencies]"),
        ({"tox.ini": TOX_INI}, "numpy", "tox.ini [testenv] deps"),
        ({"tox.ini": TOX_INI}, "flake8", "tox.ini [testenv:lint] deps"),
        ({"tox.ini": TOX_INI}, "torch", "tox.ini [testenv] deps"),
        ({"tox.toml": '[env_run_base]\ndeps = ["numpy<2"]\n'}, "numpy", "tox.toml [env_run_base] deps"),
        ({"tox.toml": '[env.a]\ndeps = ["numpy<2"]\n'}, "numpy", "tox.toml [env.a] deps"),
        ({"pyproject.toml": '[tool.tox.env_run_base]\ndeps = ["numpy"]\n'}, "numpy",
         "pyproject.toml [tool.tox.env_run_base] deps"),
        ({"requirements/test.txt": "numpy  # the bridge\n", "requirements.txt": "torch\n"}, "numpy",
         "requirements/test.txt"),
        ({"requirements-dev.txt": "pytest\n"}, "numpy", "requirements-dev.txt"),
        ({"setup.cfg": "[options]\ninstall_requires =\n    numpy>=1\n"}, "torch",
         "setup.cfg [options] install_requires"),
        ({}, "numpy", "requirements.txt"),
        ({"pyproject.toml": "not = [toml", "tox.ini": "[[["}, "numpy", "requirements.txt"),
    ],
)  # fmt: skip
def test_a_requirement_goes_where_the_project_keeps_it(files, package, place):
    assert where_to_write(files, package) == place


def test_the_files_are_read_from_the_project(tmp_path):
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("numpy\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "README.md").write_text("numpy")
    files = dependency_files(tmp_path)
    assert sorted(files) == ["pyproject.toml", "requirements/base.txt"]
    assert where_to_write(files, "numpy") == "requirements/base.txt"
    assert where_to_write(files, "torch") == "pyproject.toml [project.dependencies]"


def test_each_requirement_of_a_suggestion_gets_its_place():
    found = place([{"requirements": ["torch>=2.3", "pandas<2"]}], {"pyproject.toml": PYPROJECT})
    assert found[0]["write_to"] == [
        "pyproject.toml [project.dependencies]",
        "pyproject.toml [project.optional-dependencies] test",
    ]


def test_pip_tools_writes_into_the_file_requirements_txt_is_compiled_from():
    files = {"requirements.txt": "numpy==1.26.4\n    # via -r requirements.in\n",
             "requirements.in": "numpy<2\n"}  # fmt: skip
    assert where_to_write(files, "numpy") == "requirements.in"
    assert where_to_write(files, "pandas") == "requirements.in"
    assert where_to_write({"requirements.txt": "numpy\n"}, "numpy") == "requirements.txt"
