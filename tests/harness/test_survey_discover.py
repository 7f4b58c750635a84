"""How an unpacked sdist tests itself (``survey.discover``), on small constructed sdists."""

import configparser
import textwrap

import pytest

from harness.survey import discover
from harness.survey import row as rows

TEST = "def test_one():\n    assert True\n"


def sdist(tmp_path, files: dict, tests: bool = True):
    folder = tmp_path / "pkg-1.0"
    for name, text in {**({"tests/test_pkg.py": TEST} if tests else {}), **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize(
    "files, source",
    [
        ({"tox.ini": "[tox]\nenv_list = py311\n[testenv]\ncommands = pytest\n"}, "tox.ini"),
        ({"tox.ini": "[testenv:py311]\ncommands = pytest\n"}, "tox.ini"),
        ({"tox.toml": 'env_list = ["3.11"]\n[env_run_base]\ncommands = [["pytest"]]\n'}, "tox.toml"),
        ({"pyproject.toml": '[tool.tox]\nenv_list = ["3.11"]\n'}, "pyproject.toml [tool.tox]"),
        ({"setup.cfg": "[metadata]\nname = pkg\n[tox:tox]\nenvlist = py311\n"}, "setup.cfg [tox:tox]"),
    ],
)  # fmt: skip
def test_its_own_tox_config_in_any_format(tmp_path, files, source):
    found = discover.find(sdist(tmp_path, {**files, "PKG-INFO": "Provides-Extra: test\n"}))
    assert (found.kind, found.source, found.generated) == (discover.TOX, source, False)


def test_a_tox_ini_of_other_tools_only_is_not_a_tox_config_and_is_kept(tmp_path):
    folder = sdist(tmp_path, {
        "tox.ini": "[flake8]\nmax-line-length = 99\n[pytest]\naddopts = -ra\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: test\n",
    })  # fmt: skip
    found = discover.find(folder)
    assert (found.kind, found.name) == (discover.EXTRA, "test")
    written = discover.write_tox(folder, found, "3.11")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(folder / "tox.ini")
    assert parser.get("flake8", "max-line-length") == "99"  # the project's sections stay
    assert parser.get("tox", "env_list") == "py311" == written.env
    assert parser.get("testenv", "extras") == "test"
    assert parser.get("testenv", "package") == "editable"  # one copy of the package: the sdist's
    assert parser.get("testenv", "commands") == "pytest tests {posargs}"
    assert parser.get("testenv", "deps").split() == ["pytest"]
    assert written.generated and "tox.ini written by the harness" in written.describe()


@pytest.mark.parametrize(
    "files, kind, name, where",
    [
        ({"PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: Tests\n"}, "extra", "tests", "PKG-INFO"),
        ({"pyproject.toml": '[project]\nname = "pkg"\n[project.optional-dependencies]\nTesting = ["pytest"]\n'},
         "extra", "testing", "pyproject.toml"),
        ({"setup.cfg": "[options.extras_require]\ntest = pytest\n"}, "extra", "test", "setup.cfg"),
        ({"pkg.egg-info/requires.txt": "numpy\n\n[test:python_version >= '3.8']\npytest\n"},
         "extra", "test", "pkg.egg-info"),
        ({"pyproject.toml": '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n'}, "group", "test", "group"),
        ({"requirements/test.txt": "pytest\nnumpy\n"}, "requirements", "requirements/test.txt", "requirements"),
    ],
)  # fmt: skip
def test_without_tox_the_test_extra_group_or_requirements(tmp_path, files, kind, name, where):
    found = discover.find(sdist(tmp_path, files))
    assert (found.kind, found.name, found.generated) == (kind, name, True)
    assert where in found.source


def test_test_comes_before_dev_and_an_extra_before_a_group_of_its_name(tmp_path):
    folder = sdist(tmp_path, {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: dev\nProvides-Extra: test\n",
        "pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\ntest = ["pytest"]\n',
    })  # fmt: skip
    assert (discover.find(folder).kind, discover.find(folder).name) == (discover.EXTRA, "test")
    only_dev_extra = sdist(tmp_path / "b", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: dev\n",
        "pyproject.toml": '[dependency-groups]\ntests = ["pytest"]\n',
    })  # fmt: skip
    found = discover.find(only_dev_extra)
    assert (found.kind, found.name) == (discover.GROUP, "tests")


def test_nothing_to_install_the_tests_with_is_no_test_setup(tmp_path):
    folder = sdist(
        tmp_path, {"PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: docs\n"}
    )
    with pytest.raises(rows.Unmeasurable) as caught:
        discover.find(folder)
    assert caught.value.kind == rows.NO_TEST_SETUP


def test_an_sdist_without_test_modules_ships_no_tests(tmp_path):
    folder = sdist(tmp_path, {"tox.ini": "[tox]\n", "pkg/__init__.py": "", "pkg/testing.py": ""},
                   tests=False)  # fmt: skip
    with pytest.raises(rows.Unmeasurable) as caught:
        discover.find(folder)
    assert caught.value.kind == rows.NO_TESTS_SHIPPED
    (folder / "pkg" / "core_test.py").write_text(TEST)
    assert discover.find(folder).kind == discover.TOX


def test_the_written_config_for_a_group_and_for_configured_testpaths(tmp_path):
    folder = sdist(tmp_path, {
        "pyproject.toml": '[dependency-groups]\ntest = ["pytest"]\n'
                          '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    })  # fmt: skip
    env, text = discover.tox_ini(folder, discover.find(folder))
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    assert env == "py" == parser.get("tox", "env_list")  # no --python: the harness chooses
    assert parser.get("testenv", "dependency_groups") == "test"
    assert parser.get("testenv", "commands") == "pytest {posargs}"  # pytest's testpaths decide
