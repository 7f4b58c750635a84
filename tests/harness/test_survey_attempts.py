"""The tries a survey makes at one project (``survey.attempts``), the setup found beside a
project's own tox config (``discover.write_beside``), test requirements read from a setup.py
(``stages.setuppy``) and an sdist whose tests are incomplete (``survey.incomplete``), on small
made folders."""

import textwrap

import pytest

from harness.model import Failure
from harness.stages import generated, provision, setuppy, suite
from harness.survey import attempts, discover, incomplete
from harness.survey import row as rows
from harness.survey.attempts import FOUND, OWN, RELEASE, TODAY, Try


def made(tmp_path, files: dict):
    folder = tmp_path / "pkg-1.0"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def tries(own_config, asked="", uploaded=True, kind=rows.NO_TESTS_RAN, passed=0):
    """Every try made while each one's control passes no test."""
    done, made_ = Try(), [Try()]
    while then := attempts.following(done, kind, True, passed, own_config, asked, uploaded):
        made_.append(then)
        done = then
    return made_


def test_own_config_today_then_as_of_its_release_then_the_found_setup_both_ways():
    assert tries(True) == [
        Try(OWN, TODAY),
        Try(OWN, RELEASE),
        Try(FOUND, TODAY),
        Try(FOUND, RELEASE),
    ]
    assert tries(False) == [Try(OWN, TODAY), Try(OWN, RELEASE)]  # the found setup was the first
    assert tries(True, asked="2023-01-01") == [Try(OWN, TODAY), Try(FOUND, TODAY)]
    assert tries(True, uploaded=False) == [Try(OWN, TODAY), Try(FOUND, TODAY)]
    assert [t.aside for t in tries(True)] == ["reports-today", "reports-release",
                                              "reports-found-today", "reports-found-release"]  # fmt: skip


@pytest.mark.parametrize("kind, ran, passed", [
    (rows.NO_TESTS_RAN, True, 3),  # a passing control: the answer stands
    (rows.TIMED_OUT, True, 0),  # not the setup's nor the tools'
    (rows.INCOMPLETE_TESTS, True, 0),  # no setup fixes that
    (rows.NO_TEST_SETUP, False, 0),  # nothing ran
])  # fmt: skip
def test_a_try_whose_answer_stands_is_the_last(kind, ran, passed):
    assert attempts.following(Try(), kind, ran, passed, True) is None
    assert attempts.following(Try(), rows.NO_TESTS_RAN, True, 0, True, changes_only=True) is None


def test_the_found_setup_s_row_says_why_its_own_config_was_left():
    note, instead = attempts.notes(
        Try(OWN, RELEASE), Try(FOUND, TODAY), "no-tests", "nose", "tox.ini"
    )
    assert (note, instead) == (
        "",
        "its own tox.ini ran no test (today, nor as of its release): no-tests: nose",
    )
    note, instead = attempts.notes(Try(FOUND), Try(FOUND, RELEASE), "no-tests", "x", "tox.ini")
    assert (note, instead) == (
        "measured again as of its release; with today's tools no-tests: x",
        "",
    )


NOSE_TOX = "[tox]\nenvlist = python25\n[testenv]\ndeps = nose\ncommands = nosetests\n"


def test_the_found_setup_is_written_beside_its_own_tox_ini_which_stays_as_it_is(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = made(tmp_path, {"tox.ini": NOSE_TOX, "PKG-INFO": "Name: pkg\nProvides-Extra: test\n",
                             "pkg/__init__.py": "", "pkg/tests/test_a.py": "def test_a(): pass\n"})  # fmt: skip
    assert discover.find(folder).kind == discover.TOX
    try:
        setup = discover.write_beside(folder, "tox.ini", "3.11")
        assert (folder / "tox.ini").read_text() == NOSE_TOX
        assert (setup.kind, setup.name, setup.env, setup.targets) == (
            "extra",
            "test",
            "py311",
            ("pkg/tests",),
        )
        arguments = provision.tox_command(folder)[-4:]
        config = generated.config_path(folder)
        assert arguments == ("-c", str(config), "--root", str(folder.resolve()))
        text = config.read_text()
        assert "its own tox.ini ran no test" in text and "extras = test" in text
    finally:
        discover.forget(folder)
    assert generated.tox_arguments(folder) == ()  # its own config again


def test_setup_py_test_requirements_that_never_reach_pkg_info(tmp_path):
    folder = made(tmp_path, {"setup.py": """
        from setuptools import setup
        TESTS = ["pytest>=6", "not a requirement !!", 3]
        setup(name="pkg", tests_require=TESTS,
              extras_requires={"dev": ["black", "torchtestcase"], "docs": ["sphinx"]},
              extras_require=make_extras())
    """})  # fmt: skip
    found = setuppy.declared(folder, suite.TEST_NAMES)
    assert found.requirements == ("pytest>=6", "black", "torchtestcase")
    assert found.source == ("setup.py tests_require and setup.py extras_requires['dev'] "
                            "(misspelled; setuptools ignores it)")  # fmt: skip
    setup = suite.find(folder)
    assert (setup.kind, setup.source, setup.deps) == (
        suite.REQUIREMENTS,
        found.source,
        found.requirements,
    )
    assert "    torchtestcase" in suite.tox_ini(folder, setup)[1]


def test_setup_py_is_read_only_where_the_metadata_gives_no_test_extra(tmp_path):
    computed = made(
        tmp_path / "a", {"setup.py": "import os\nsetup(tests_require=os.environ['X'].split())\n"}
    )
    assert (
        setuppy.declared(computed, suite.TEST_NAMES) == setuppy.FromSetupPy()
    )  # not literal: ignored
    folder = made(tmp_path / "b", {"PKG-INFO": "Name: pkg\nProvides-Extra: test\n",
                                   "setup.py": "setup(tests_require=['nose'])\n"})  # fmt: skip
    assert suite.find(folder).source == "extra 'test' (PKG-INFO)"
    broken = made(tmp_path / "c", {"setup.py": "setup(tests_require=[\n"})
    assert setuppy.declared(broken, suite.TEST_NAMES) == setuppy.FromSetupPy()


def collection_error(test):
    return Failure(
        test,
        "import-error",
        "E   ImportError: attempted relative import with no known parent package",
    )


def test_test_modules_that_import_helpers_the_sdist_does_not_ship_are_incomplete_tests(tmp_path):
    folder = made(tmp_path, {
        "tests/test_cli.py": "from .utils import TorchioTestCase\n",
        "tests/test_utils.py": "from .utils import TorchioTestCase\nfrom tests.data import x\n",
        "tests/test_ok.py": "from . import conftest\nimport numpy\n",
        "tests/conftest.py": "",
    })  # fmt: skip
    said = incomplete.incomplete(folder, [collection_error("tests/test_cli.py")])
    assert said == ("the sdist's tests are incomplete: tests/test_cli.py imports .utils, "
                    "which the sdist does not ship")  # fmt: skip
    both = incomplete.incomplete(folder, [collection_error("tests/test_cli.py"),
                                          collection_error("tests/test_utils.py")])  # fmt: skip
    assert "tests/test_cli.py and tests/test_utils.py import .utils; " in both
    assert "tests/test_utils.py imports tests.data, which" in both
    assert (
        incomplete.incomplete(folder, [collection_error("tests/test_ok.py")]) == ""
    )  # all shipped
    failed = Failure("tests/test_cli.py::test_a", "other", "AssertionError")
    assert incomplete.incomplete(folder, [collection_error("tests/test_cli.py"), failed]) == ""
