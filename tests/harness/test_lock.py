from harness.cells import Cell
from harness.lock import constraint_path, header, is_current, lock_cell, python_request


def test_lock_writes_the_full_closure_with_a_header(tmp_path):
    cell = Cell("c", {"packaging": "==23.2"}, ["-c somewhere.txt", "packaging==23.2", "pytest"])
    path = tmp_path / "c.txt"
    outcome = lock_cell(cell, path)
    assert outcome.ok
    text = path.read_text()
    assert text.startswith(header(cell)) and "packaging==23.2" in text and "pluggy==" in text
    assert is_current(cell, path)
    moved = Cell("c", {"packaging": "==24.1"}, ["packaging==24.1", "pytest"])
    assert not is_current(moved, path) and not is_current(cell, tmp_path / "none.txt")


def test_unsatisfiable_and_unknown_versions_keep_the_resolver_reason(tmp_path):
    for deps, words in ((["packaging==23.2", "packaging>=24"], "unsatisfiable"),
                        (["packaging==99.0"], "no version of packaging")):  # fmt: skip
        outcome = lock_cell(Cell("u", {}, deps), tmp_path / "u.txt")
        assert not outcome.ok and outcome.problem.signature == "unsatisfiable"
        assert words in outcome.problem.evidence and not (tmp_path / "u.txt").exists()


def test_network_failure_is_infrastructure(tmp_path, monkeypatch):
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    outcome = lock_cell(Cell("n", {}, ["packaging==23.2"]), tmp_path / "n.txt")
    assert outcome.problem.signature == "install-network"
    assert "Connection refused" in outcome.problem.evidence


def test_constraint_paths_and_python_requests(tmp_path):
    named = Cell("a", {}, ["-c {toxinidir}/x.txt".replace("{toxinidir}", str(tmp_path)), "pytest"])
    assert constraint_path(named, tmp_path, tmp_path / "cells/a") == tmp_path / "x.txt"
    relative = Cell("b", {}, ["-c constraints/b.txt"])
    assert (
        constraint_path(relative, tmp_path, tmp_path / "cells/b") == tmp_path / "constraints/b.txt"
    )
    plain = Cell("c", {}, ["pytest"])
    assert (
        constraint_path(plain, tmp_path, tmp_path / "cells/c")
        == tmp_path / "cells/c/constraints.txt"
    )
    assert python_request(Cell("d", {}, base_python=["py310"])) == "3.10"
    assert python_request(Cell("e", {}, base_python=["/usr/bin/python3.9"])) == "/usr/bin/python3.9"
