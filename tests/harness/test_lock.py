import sys

import pytest

from harness.model import Cell
from harness.stages.lock import (
    closure,
    header,
    is_current,
    is_harness_lock,
    lock_cell,
    lock_path,
    locked_for,
    requirements,
    unpinned_in,
)  # fmt: skip
from harness.stages.verdicts import Evidence, decide

PYTHON = sys.executable


@pytest.mark.integration
def test_lock_writes_the_full_closure_with_a_header(tmp_path):
    cell = Cell("c", {"packaging": "==23.2"}, ["packaging==23.2", "pytest"])
    path = tmp_path / "c.txt"
    outcome = lock_cell(cell, path, tmp_path, PYTHON)
    assert outcome.ok and not outcome.unpinned
    text = path.read_text()
    assert (
        text.startswith(header(cell, tmp_path)) and "packaging==23.2" in text and "pluggy==" in text
    )
    assert is_current(cell, path, tmp_path) and is_harness_lock(path)
    assert locked_for(path) == "{}.{}".format(*sys.version_info[:2])  # the Python it is for
    moved = Cell("c", {"packaging": "==24.1"}, ["packaging==24.1", "pytest"])
    assert not is_current(moved, path, tmp_path) and not is_current(
        cell, tmp_path / "none", tmp_path
    )


@pytest.mark.integration
def test_unsatisfiable_and_unknown_versions_keep_the_resolver_reason(tmp_path):
    for deps, words in ((["packaging==23.2", "packaging>=24"], "unsatisfiable"),
                        (["packaging==99.0"], "no version of packaging")):  # fmt: skip
        outcome = lock_cell(Cell("u", {}, deps), tmp_path / "u.txt", tmp_path, PYTHON)
        assert not outcome.ok and outcome.problem.signature == "unsatisfiable"
        assert words in outcome.problem.evidence and not (tmp_path / "u.txt").exists()


def test_a_lock_says_the_python_it_was_made_for_only_when_it_is_the_harness_s(tmp_path):
    cell = Cell("c", {"packaging": "==24.1"}, ["packaging==24.1"])
    made = tmp_path / "made.txt"
    made.write_text(header(cell, tmp_path) + "# python: 3.11\npackaging==24.1\n")
    assert locked_for(made) == "3.11" and is_current(cell, made, tmp_path)
    legacy = tmp_path / "legacy.txt"  # made before locks said it
    legacy.write_text(header(cell, tmp_path) + "packaging==24.1\n")
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("# python: 3.12\npackaging==24.1\n")
    assert locked_for(legacy) == locked_for(theirs) == locked_for(tmp_path / "none.txt") == ""


def test_network_failure_is_infrastructure(tmp_path, monkeypatch):
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    cell = Cell("n", {}, ["packaging==23.2"])
    outcome = lock_cell(cell, tmp_path / "n.txt", tmp_path, PYTHON)
    assert not outcome.ok and outcome.problem.signature == "install-network"
    assert "Connection refused" in outcome.problem.evidence
    assert decide(cell, Evidence(lock_problem=outcome.problem)).verdict == "infra-error"


def test_the_lock_file_is_the_cell_s_own_or_the_harness_s(tmp_path):
    locks = tmp_path / "reports" / "locks"
    own = Cell("a", {}, [f"-c {tmp_path}/constraints/a.txt", "pytest"])
    assert lock_path(own, tmp_path, locks) == tmp_path / "constraints" / "a.txt"
    relative = Cell("b", {}, ["-c constraints/b.txt"])
    assert lock_path(relative, tmp_path, locks) == tmp_path / "constraints" / "b.txt"
    (tmp_path / "shared.txt").write_text("numpy<2\n")  # the user's: no header, no env name
    shared = Cell("c", {}, ["-c shared.txt", "pytest"])
    assert lock_path(shared, tmp_path, locks) == locks / "c.txt"
    (tmp_path / "constraints").mkdir()
    (tmp_path / "constraints" / "d.txt").write_text("numpy<2\n")  # named for the env, but theirs
    theirs = Cell("d", {}, ["-c constraints/d.txt"])
    assert lock_path(theirs, tmp_path, locks) == locks / "d.txt"
    adhoc = Cell("a-with_x1", {}, [f"-c {tmp_path}/constraints/a-with_x1.txt"], adhoc=True)
    assert lock_path(adhoc, tmp_path, locks) == locks / "a-with_x1.txt"


def test_inputs_cover_user_constraints_the_project_and_its_extras(tmp_path):
    own = Cell("a", {}, ["-c constraints/a.txt", "-c shared.txt", "pytest"],
               package="wheel", extras=["test", "gpu"], constraints=[str(tmp_path / "more.txt")])  # fmt: skip
    text = requirements(own, tmp_path)
    assert text.splitlines() == [
        "-c shared.txt",
        "pytest",
        f"-c {tmp_path / 'more.txt'}",
        ".[test,gpu]",
    ]
    before = header(own, tmp_path)
    (tmp_path / "shared.txt").write_text("numpy<2\n")
    assert header(own, tmp_path) != before  # a referenced file changed: the lock is stale
    plain = Cell("p", {}, ["-c constraints/p.txt", "pytest"])
    assert requirements(plain, tmp_path) == "pytest\n"


def test_the_closure_drops_the_project_and_names_what_it_cannot_pin(tmp_path):
    output = "\n".join([
        "-e ./sub", "attrs==26.1.0", "    # via subpkg", ".", "    # via x",
        f"-e file://{tmp_path}", "iniconfig @ https://example.org/iniconfig-2.0.0-py3-none-any.whl",
        "    # via pytest", "torch==2.1.2+cpu ; sys_platform == 'linux'",
    ])  # fmt: skip
    pinned, unpinned = closure(output, tmp_path)
    assert pinned.splitlines() == [
        "attrs==26.1.0",
        "    # via subpkg",
        "torch==2.1.2+cpu ; sys_platform == 'linux'",
    ]
    assert unpinned == [
        "-e ./sub",
        "iniconfig @ https://example.org/iniconfig-2.0.0-py3-none-any.whl",
    ]


@pytest.mark.integration
def test_unpinned_entries_are_recorded_in_the_lock(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='subpkg', version='1.0')\n"
    )
    path = tmp_path / "l.txt"
    outcome = lock_cell(Cell("l", {}, ["-e ./sub", "packaging"]), path, tmp_path, PYTHON)
    assert outcome.ok and outcome.unpinned == ["-e ./sub"] and unpinned_in(path) == ["-e ./sub"]
    assert unpinned_in(tmp_path / "none.txt") == []
