"""How an unpacked sdist tests itself (``survey.discover``), on small constructed sdists."""

import configparser
import textwrap

import pytest

from harness.survey import discover, output, page
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


def written(folder, python="3.11"):
    """The setup found and written for ``folder``, and the tox.ini's testenv."""
    setup = discover.write_tox(folder, discover.find(folder), python)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(folder / "tox.ini")
    return setup, parser["testenv"]


def test_tests_without_a_way_to_install_them_fall_back_to_plain_pytest(tmp_path):
    folder = sdist(
        tmp_path, {"PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: docs\n"}
    )
    setup, testenv = written(folder)
    assert (setup.kind, setup.generated, setup.env, setup.deps) == (
        discover.PYTEST,
        True,
        "py311",
        (),
    )
    assert setup.source == "tests/ (no test extra: pytest and the plugins its files name)"
    assert testenv["deps"].split() == ["pytest"] and "extras" not in testenv
    assert testenv["commands"] == "pytest tests {posargs}"
    assert testenv["package"] == "editable"
    assert setup.describe().startswith("guessed: pytest for tests/")
    assert "no test extra" in (folder / "tox.ini").read_text().splitlines()[0]
    row = rows.Row("pkg", "1.0", setup=setup.to_dict())  # the survey's schema takes the kind
    doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 1.0, False)
    assert output.check(doc)["rows"][0]["setup"]["kind"] == "pytest"
    assert "guessed: pytest" in output.markdown(doc) and "guessed: pytest" in page.render(doc)


@pytest.mark.parametrize(
    "files",
    [
        {"setup.cfg": "[tool:pytest]\naddopts = --cov=x -n auto --doctest-modules -p no:cacheprovider\n"},
        {"pytest.ini": "[pytest]\naddopts =\n    --cov=x\n    -n auto\n",
         "setup.cfg": "[tool:pytest]\naddopts = --timeout=5\n"},  # pytest reads pytest.ini alone
        {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["--cov-report=xml", "--cov", "-nauto"]\n'},
        {"tox.ini": "[pytest]\naddopts = -ra --cov x --dist loadgroup -p pytester\n"},
    ],
)  # fmt: skip
def test_options_of_the_pytest_config_bring_their_plugins(tmp_path, files):
    setup, testenv = written(sdist(tmp_path, files))
    assert setup.kind == discover.PYTEST
    assert setup.deps == ("pytest-cov", "pytest-xdist")
    assert testenv["deps"].split() == ["pytest", "pytest-cov", "pytest-xdist"]
    assert setup.why[0].startswith("pytest-cov: ") and "addopts" in setup.why[0]
    assert all(f"#   {why}" in (tmp_path / "pkg-1.0" / "tox.ini").read_text() for why in setup.why)


def test_plugins_the_config_names_and_its_plugin_keys(tmp_path):
    folder = sdist(tmp_path, {"pyproject.toml": """
        [tool.pytest.ini_options]
        addopts = "-p pytest_randomly -p tests.plugin -p unknown_plugin --timeout 60 --flakes"
        required_plugins = ["pytest-benchmark>=4", "pytest-env"]
        asyncio_mode = "auto"
    """, "tests/plugin.py": ""})  # fmt: skip
    found = discover.find(folder)
    assert found.deps == ("pytest-asyncio", "pytest-benchmark>=4", "pytest-env",
                          "pytest-flakes", "pytest-randomly", "pytest-timeout")  # fmt: skip


def test_an_option_or_key_the_projects_conftest_adds_brings_no_plugin(tmp_path):
    folder = sdist(tmp_path, {
        "setup.cfg": "[tool:pytest]\naddopts = --remote-data=none --cov\ntimeout = 5\n",
        "conftest.py": """
            def pytest_addoption(parser):
                parser.addoption("--remote-data", default="none")
                parser.addini("timeout", "the project's own")
        """,
    })  # fmt: skip
    assert discover.find(folder).deps == ("pytest-cov",)


def test_imports_of_test_libraries_bring_them(tmp_path):
    folder = sdist(tmp_path, {
        "tests/test_pkg.py": "import hypothesis.strategies as st\nfrom pytest_mock import MockerFixture\n" + TEST,
        "tests/test_more.py": """
            import os, unittest.mock, numpy, pkg, helpers
            from . import sibling
            try:
                import freezegun
            except ImportError:
                freezegun = None
            def test_late():
                import responses
        """,
        "tests/helpers.py": "import nose.tools\n",  # a helper under tests/ is read too
        "tests/conftest.py": "pytest_plugins = ['pytester', 'pytest_asyncio']\n",
        "pkg/__init__.py": "import parameterized\n",  # the package's own code is not a test's
    })  # fmt: skip
    setup, testenv = written(folder, "3.12")
    assert setup.deps == (
        "hypothesis",
        'nose; python_version < "3.12"',
        "pytest-asyncio",
        "pytest-mock",
    )
    assert "hypothesis: import hypothesis in tests/test_pkg.py" in setup.why
    assert testenv["deps"].splitlines()[1:] == ["pytest", *setup.deps]
    assert setup.describe().startswith(
        "guessed: pytest, hypothesis, nose, pytest-asyncio, pytest-mock for"
    )


def test_fixtures_and_markers_of_plugins_unless_the_project_defines_them(tmp_path):
    folder = sdist(tmp_path, {"tests/test_pkg.py": """
        import pytest
        @pytest.mark.asyncio
        async def test_a(mocker, benchmark):
            pass
        @pytest.fixture
        def benchmark():
            pass
    """, "tests/test_more.py": """
        import pytest
        @pytest.mark.parametrize("inp, httpserver", [(1, 2)])
        def test_b(inp, httpserver, session_mocker=None):
            pass
        def check(benchmark):  # a helper, not a test: its arguments are no fixtures
            pass
    """})  # fmt: skip
    assert discover.find(folder).deps == ("pytest-asyncio", "pytest-mock")


@pytest.mark.filterwarnings(
    "ignore:invalid escape"
)  # pytest's own filters come before the harness's
def test_a_file_that_does_not_parse_or_is_a_link_is_left_out(tmp_path):
    folder = sdist(tmp_path, {
        "tests/test_py2.py": 'import hypothesis\nprint "python 2"\n',
        "tests/test_escape.py": 'import mock\nPATTERN = "\\d+"\n' + TEST,  # parses, with a warning
        "elsewhere/test_x.py": "import freezegun\n",
    })  # fmt: skip
    (folder / "tests" / "test_link.py").symlink_to(folder / "elsewhere" / "test_x.py")
    found = discover.find(folder)
    assert found.deps == ("freezegun", "mock")
    assert found.why == ("freezegun: import freezegun in elsewhere/test_x.py",
                         "mock: import mock in tests/test_escape.py")  # fmt: skip


def test_the_projects_own_modules_are_never_installed_from_the_index(tmp_path):
    folder = sdist(tmp_path, {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pytest-cov\n",
        "setup.cfg": "[tool:pytest]\naddopts = --cov=pytest_cov\n",
        "src/mock/__init__.py": "",
        "tests/test_pkg.py": "import mock\nimport pytest_cov\n" + TEST,
        "tests/hypothesis/test_props.py": "import hypothesis\n",  # a folder of tests, not a module
    })  # fmt: skip
    assert discover.find(folder).deps == ("hypothesis",)


def test_a_test_extra_is_still_taken_before_the_fallback(tmp_path):
    folder = sdist(tmp_path, {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nProvides-Extra: test\n",
        "setup.cfg": "[tool:pytest]\naddopts = --cov=x\n",
        "tests/test_pkg.py": "import hypothesis\n" + TEST,
    })  # fmt: skip
    setup, testenv = written(folder)
    assert (setup.kind, setup.deps) == (discover.EXTRA, ())
    assert testenv["deps"].split() == ["pytest"] and testenv["extras"] == "test"


def test_no_tests_shipped_is_not_measurable_whatever_the_config_names(tmp_path):
    folder = sdist(tmp_path, {"setup.cfg": "[tool:pytest]\naddopts = --cov=x\n",
                              "pkg/__init__.py": "import hypothesis\n"}, tests=False)  # fmt: skip
    with pytest.raises(rows.Unmeasurable) as caught:
        discover.find(folder)
    assert caught.value.kind == rows.NO_TESTS_SHIPPED


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
