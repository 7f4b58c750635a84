from harness.cells import Cell, CellResult, Counts, Failure
from harness.store import Store, fingerprint, project_digest, write_atomic

CELL = Cell("c", {"torch": "==2.1.2"}, ["torch==2.1.2"])


def test_results_round_trip_atomically(tmp_path):
    store = Store(tmp_path)
    result = CellResult(
        CELL, "fail", Counts(passed=1, failed=1), failures=[Failure("t", "other", "x")]
    )
    store.save(result)
    assert store.load(CELL) == result and store.load_all() == [result]
    assert not list(tmp_path.rglob("*.tmp"))
    (store.cell_dir(CELL) / "result.json").write_text("{truncated")
    assert store.load(CELL) is None and store.load_all() == []


def test_fresh_cell_dir_drops_what_an_earlier_attempt_left(tmp_path):
    store = Store(tmp_path)
    directory = store.cell_dir(CELL)
    write_atomic(directory / "sessions" / "1-2" / "session.json", "{}")
    write_atomic(directory / "tox.log", "old")
    assert store.fresh_cell_dir(CELL) == directory and list(directory.iterdir()) == []
    assert store.locks == tmp_path / "locks"


def test_fingerprint_follows_every_input(tmp_path):
    project = tmp_path / "p"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text("[tox]\n")
    (project / "tests" / "test_a.py").write_text("def test(): pass\n")
    lock = project / "lock.txt"
    lock.write_text("torch==2.1.2\n")
    reports = project / "reports"
    digest = project_digest(project, {lock.resolve()}, reports)
    first = fingerprint(CELL, lock, digest)
    write_atomic(reports / "cells" / "c" / "result.json", "{}")  # outputs do not count
    lock.write_text("torch==2.1.2\n# same\n")  # the lock counts through fingerprint, not digest
    assert project_digest(project, {lock.resolve()}, reports) == digest
    assert fingerprint(CELL, lock, digest) != first
    (project / "tests" / "test_a.py").write_text("def test(): assert 0\n")
    assert project_digest(project, {lock.resolve()}, reports) != digest
    other = Cell("c", {"torch": "==2.2.2"}, ["torch==2.2.2"])
    assert fingerprint(other, lock, digest) != fingerprint(CELL, lock, digest)


def test_documentation_and_lock_location_do_not_count(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\n")
    digest = project_digest(project, set(), project / "reports")
    (project / "README.md").write_text("# notes\n")
    assert project_digest(project, set(), project / "reports") == digest
    lock = project / "lock.txt"
    lock.write_text("torch==2.1.2\n")
    here = Cell("c", {}, ["-c /here/lock.txt", "torch==2.1.2"])
    there = Cell("c", {}, ["-c /elsewhere/lock.txt", "torch==2.1.2"])
    assert fingerprint(here, lock, digest) == fingerprint(there, lock, digest)
