"""Declared caps (``survey.caps``, a row's ``declares-incompatible``) and suites found however
they are written (``stages.targets``, ``stages.cifiles``), on small made sdists: read, never run."""

import configparser
import textwrap

from harness.commands.survey import exit_code
from harness.model import Cell
from harness.stages import suite
from harness.survey import caps, measure, output, page
from harness.survey import row as rows

CHANGE = {"numpy": "==2.2.6"}
UNITTEST = (
    "import unittest\n\nclass TestAll(unittest.TestCase):\n    def test_one(self):\n        pass\n"
)
SIDE_EFFECT = "open('RAN', 'w').write('imported')\n"  # a file the harness must never run


def made(tmp_path, files: dict):
    folder = tmp_path / "pkg-1.0"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def cell(**kwargs) -> Cell:
    return Cell("py311-with_numpy2.2.6", {"numpy": "==2.2.6"}, **kwargs)


NPTYPING = """\
    [:python_version < "3.8"]
    numpy==1.21.5

    [:python_version >= "3.8"]
    numpy<2.0.0,>=1.20.0

    [dev]
    pandas
    """


def test_a_cap_in_setup_py_s_metadata_is_found_with_where_and_its_marker(tmp_path):
    folder = made(tmp_path, {"pkg.egg-info/requires.txt": NPTYPING})
    found = caps.excluding(folder, cell(extras=["dev"]), CHANGE, "3.11")
    assert found == [{"package": "numpy", "requirement": 'numpy<2.0.0,>=1.20.0; python_version >= "3.8"',
                      "where": 'pkg.egg-info/requires.txt [:python_version >= "3.8"]'}]  # fmt: skip
    assert caps.excluding(folder, cell(), {"numpy": "==1.26.4"}, "3.11") == []  # the control fits
    assert len(caps.excluding(folder, cell(), CHANGE, "3.7")) == 1  # 3.7's own pin, 1.21.5
    assert caps.excluding(folder, cell(), {"numpy": ">=2"}, "3.11") == []  # not an exact pin


def test_an_extra_a_group_or_a_file_counts_only_when_the_env_installs_it(tmp_path):
    folder = made(tmp_path, {
        "PKG-INFO": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
                    "Requires-Dist: numpy==1.23.5; extra == \"test\"\n",
        "pyproject.toml": '[dependency-groups]\ndev = ["numpy<2"]\n'
                          '[project]\nname = "pkg"\ndependencies = ["numpy>=1.20"]\n',
        "setup.cfg": "[options.extras_require]\ndocs =\n    numpy<1.25\n",
        "requirements/ci.txt": "# pinned\nnumpy<2  # cap\n",
    })  # fmt: skip
    assert caps.excluding(folder, cell(), CHANGE, "3.11") == []  # none installed: no cap
    found = caps.excluding(folder, cell(extras=["test"], groups=["dev"],
                                        deps=["pytest", "-r requirements/ci.txt"]), CHANGE, "3.11")  # fmt: skip
    assert [(d["requirement"], d["where"]) for d in found] == [
        ('numpy==1.23.5; extra == "test"', "PKG-INFO Requires-Dist"),
        ("numpy<2", "pyproject.toml [dependency-groups] dev"),
    ]  # requirements/ci.txt's numpy<2 too: the same bound said twice is named where met first
    found = caps.excluding(folder, cell(deps=["-r requirements/ci.txt"]), CHANGE, "3.11")
    assert [d["where"] for d in found] == ["requirements/ci.txt line 2"]


def capped_row(outcome: str, reason: str = "", kind: str = "") -> rows.Row:
    row = rows.Row("nptyping", "2.5.0", outcome, reason, kind)
    row.declared_caps = [{"package": "numpy", "requirement": "numpy<2", "excludes": "numpy==2.2.6",
                          "where": "nptyping.egg-info/requires.txt [:python_version >= \"3.8\"]"}]  # fmt: skip
    row.declared_caps.append(
        dict(row.declared_caps[0], excludes="numpy==1.26.4")
    )  # the control's too
    measure.capped(row)
    return row


def test_a_declared_cap_is_its_own_outcome_and_says_whether_it_is_needed():
    needed, not_needed = capped_row(rows.BREAKS, "2 test(s) fail"), capped_row(rows.WORKS)
    unmeasured = capped_row(rows.NOT_MEASURABLE, "changed cell x: timeout", rows.TIMED_OUT)
    assert {r.outcome for r in (needed, not_needed, unmeasured)} == {rows.DECLARES_INCOMPATIBLE}
    assert (needed.cap, not_needed.cap, unmeasured.cap) == (
        rows.CAP_NEEDED, rows.CAP_NOT_NEEDED, rows.CAP_UNMEASURED)  # fmt: skip
    assert needed.reason.startswith("declares numpy<2 (nptyping.egg-info/requires.txt")
    assert needed.reason.count("numpy<2") == 1  # a bound that excludes both cells, named once
    assert "cap needed: breaks (2 test(s) fail)" in needed.reason
    assert unmeasured.retried and not needed.retried  # a timeout is measured again on --resume
    assert exit_code([needed, not_needed]) == 0  # a declared cap is an answer, not a failure
    assert exit_code([not_needed, unmeasured]) == 3
    doc = output.document([needed, not_needed, unmeasured], ["numpy==1.26.4", "numpy==2.2.6"],
                          "3.11", 1.0, False)  # fmt: skip
    assert output.check(doc) is doc
    assert doc["summary"]["declares-incompatible"] == 3
    assert doc["summary"]["caps"] == {"cap needed": 1, "cap not needed": 1, "cap unmeasured": 1}
    assert "declares-incompatible (cap not needed): `declares numpy<2" in output.markdown(doc)
    assert "<strong>cap needed</strong>" in page.render(doc)


def written(folder) -> tuple:
    setup = suite.find(folder)
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(suite.tox_ini(folder, setup, "3.11")[1])
    return setup, parser.get("testenv", "commands"), parser.get("testenv", "deps").split()


def test_a_unittest_suite_under_a_name_pytest_misses_is_given_by_name(tmp_path):
    folder = made(tmp_path, {"tests/tests.py": UNITTEST + SIDE_EFFECT, "tests/helpers.py": SIDE_EFFECT,
                             "tests/test_plain.py": "def test_x():\n    pass\n", "pwlf/__init__.py": ""})  # fmt: skip
    setup, command, _ = written(folder)
    assert command == "pytest tests -o 'python_files=test_*.py *_test.py tests.py' {posargs}"
    assert "unittest modules pytest's python_files miss: tests/tests.py" in setup.describe()
    assert setup.to_dict()["targets"] == [
        "tests",
        "-o",
        "python_files=test_*.py *_test.py tests.py",
    ]
    assert not (folder / "RAN").exists() and not (tmp_path / "RAN").exists()  # read, never run


def test_its_own_python_files_decides_what_is_missed(tmp_path):
    folder = made(
        tmp_path, {"tests/tests.py": UNITTEST, "pytest.ini": "[pytest]\npython_files = tests.py\n"}
    )
    assert written(folder)[1] == "pytest tests {posargs}"
    folder = made(
        tmp_path / "b",
        {"tests/tests.py": UNITTEST, "setup.cfg": "[tool:pytest]\ntestpaths = tests\n"},
    )
    assert written(folder)[1] == "pytest -o 'python_files=test_*.py *_test.py tests.py' {posargs}"
    (folder / "tests" / "tests.py").write_text("def helper():\n    pass\n")
    assert written(folder)[1] == "pytest {posargs}"  # testpaths: pytest reads them itself


def test_tests_inside_the_package_and_its_doctests(tmp_path):
    folder = made(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/tests/__init__.py": "",
                             "src/pkg/tests/test_a.py": "def test_a():\n    pass\n",
                             "src/pkg/sub/tests/check_b.py": UNITTEST})  # fmt: skip
    setup, command, _ = written(folder)
    assert (
        command == "pytest src/pkg/tests src/pkg/sub/tests "
        "-o 'python_files=test_*.py *_test.py check_b.py' {posargs}"
    )
    assert "tests inside the package" in setup.found_by
    (folder / "setup.cfg").write_text("[tool:pytest]\naddopts = --doctest-modules -ra\n")
    setup, command, _ = written(folder)
    assert command == "pytest src/pkg -o 'python_files=test_*.py *_test.py check_b.py' {posargs}"
    assert (
        "doctests of its modules (--doctest-modules in setup.cfg [tool:pytest])" in setup.found_by
    )


def test_a_tests_py_at_the_root_and_a_module_that_does_not_parse(tmp_path):
    folder = made(tmp_path, {"tests.py": UNITTEST, "broken/tests.py": "class (:\n"})
    assert written(folder)[1] == "pytest tests.py {posargs}"


def test_test_requirements_only_the_ci_files_name(tmp_path):
    folder = made(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n",
                             "ci/docs.txt": "sphinx\n", "ci/requirements-py311.txt": "hypothesis\n"})  # fmt: skip
    setup, _, deps = written(folder)
    assert (setup.kind, setup.source) == (
        suite.REQUIREMENTS,
        "CI requirements file ci/requirements-py311.txt",
    )
    assert deps == ["pytest", "-r", "ci/requirements-py311.txt"]
    (folder / "requirements").mkdir()
    (folder / "requirements" / "test-core.txt").write_text("pytest-mock\n")
    assert suite.find(folder).name == "requirements/test-core.txt"


def test_the_pip_list_of_an_environment_file(tmp_path):
    folder = made(tmp_path, {"tests/test_a.py": "", "environment-dev.yml": """\
        name: dev
        dependencies:
          - python=3.11
          - numpy>=1.20
          - pip
          - pip:
            - hypothesis>=6  # property tests
            - -e .
            - "pytest-mock"
          - scipy
        """})  # fmt: skip
    setup, _, deps = written(folder)
    assert (setup.kind, setup.source) == (suite.REQUIREMENTS, "the pip list of environment-dev.yml")
    assert deps == [
        "pytest",
        "hypothesis>=6",
        "pytest-mock",
    ]  # conda's numpy and scipy are not pip's
