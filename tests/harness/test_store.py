import subprocess
import sys
from dataclasses import replace

import pytest

from harness.model import Cell, CellResult, Counts, Failure
from harness.stages.fingerprint import fingerprint, project_digest, stale_cells
from harness.store import Busy, Store, write_atomic

CELL = Cell("c", {"torch": "==2.1.2"}, ["torch==2.1.2"])


def test_results_round_trip_and_unreadable_files_are_named(tmp_path):
    store = Store(tmp_path)
    result = CellResult(
        CELL, "fail", Counts(passed=1, failed=1), failures=[Failure("t", "other", "x")]
    )
    store.save(result)
    assert store.load(CELL) == result and store.load_all() == ([result], [])
    assert not list(tmp_path.rglob("*.tmp"))
    (store.results / "c.json").write_text("{truncated")
    (store.results / "d.json").write_text('{"cell": 3}')
    assert store.load(CELL) is None
    assert store.load_all() == ([], [store.results / "c.json", store.results / "d.json"])


def test_each_run_has_folders_of_its_own_and_old_runs_are_pruned(tmp_path):
    first, second = Store(tmp_path), Store(tmp_path)
    second.run_id = first.run_id + "-next"
    old = first.run_dir(CELL)
    (old / "tox.log").write_text("old")
    new = second.run_dir(CELL)
    assert new != old and list(new.iterdir()) == []
    kept = CellResult(CELL, "pass", log=str((new / "tox.log").relative_to(tmp_path)))
    second.prune_runs([kept])
    assert not old.exists() and new.exists()


def test_write_atomic_leaves_no_half_written_file(tmp_path):
    target = tmp_path / "a" / "f.txt"
    write_atomic(target, "one")
    with pytest.raises(TypeError):
        write_atomic(target, 3)
    assert target.read_text() == "one" and [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_one_command_at_a_time_per_reports_folder(tmp_path):
    holder = Store(tmp_path)
    holder.acquire("run")
    code = (
        "import sys; from pathlib import Path; from harness.store import Store, Busy\n"
        "try:\n    Store(Path(sys.argv[1])).acquire('run')\nexcept Busy as e:\n    print(e)"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
    )
    assert "is in use by harness run (pid" in other.stdout
    holder.release()
    again = Store(tmp_path)
    again.acquire("run")
    again.release()
    with pytest.raises(Busy, match="in use"):
        holder.acquire("run")
        Store(tmp_path).acquire("lock")
    holder.release()


def test_a_reports_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(Exception, match="is a file, not a folder"):
        Store(tmp_path / "file").acquire("run")


def test_fingerprint_follows_every_input(tmp_path):
    project = tmp_path / "p"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text("[tox]\n")
    (project / "tests" / "test_a.py").write_text("def test(): pass\n")
    lock = project / "lock.txt"
    lock.write_text("# harness lock for c (pins: none; inputs x)\ntorch==2.1.2\n")
    reports = project / ".harness"
    digest = project_digest(project, reports)
    first = fingerprint(CELL, lock, digest)
    write_atomic(reports / "cells" / "c.json", "{}")  # outputs do not count
    lock.write_text(lock.read_text() + "# same\n")  # a lock counts through fingerprint only
    assert project_digest(project, reports) == digest
    assert fingerprint(CELL, lock, digest) != first
    (project / "tests" / "test_a.py").write_text("def test(): assert 0\n")
    assert project_digest(project, reports) != digest
    other = Cell("c", {"torch": "==2.2.2"}, ["torch==2.2.2"])
    assert fingerprint(other, lock, digest) != fingerprint(CELL, lock, digest)
    assert fingerprint(CELL, lock, digest, ["-k", "x"]) != fingerprint(CELL, lock, digest)
    assert fingerprint(CELL, lock, digest, interpreter="cpython 3.12.1") != fingerprint(
        CELL, lock, digest
    )
    past = replace(CELL, past_collection_errors=True)
    assert fingerprint(past, lock, digest) != fingerprint(CELL, lock, digest)


def test_documentation_and_lock_location_do_not_count(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\n")
    digest = project_digest(project, project / ".harness")
    (project / "README.md").write_text("# notes\n")
    assert project_digest(project, project / ".harness") == digest
    lock = project / "lock.txt"
    lock.write_text("torch==2.1.2\n")
    here = Cell("c", {}, ["-c /here/lock.txt", "torch==2.1.2"])
    there = Cell("c", {}, ["-c /elsewhere/lock.txt", "torch==2.1.2"])
    assert fingerprint(here, lock, digest) == fingerprint(there, lock, digest)


def test_stale_cells_are_those_whose_inputs_changed(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\n")
    lock = project / "constraints" / "c.txt"
    write_atomic(lock, "# harness lock for c (pins: none; inputs x)\ntorch==2.1.2\n")
    reports = project / ".harness"
    measured = CellResult(CELL, "pass", lock="constraints/c.txt", interpreter="cpython 3.11.7")
    measured.fingerprint = fingerprint(
        CELL, lock, project_digest(project, reports), [], "cpython 3.11.7"
    )
    assert stale_cells([measured], project, reports) == set()
    (project / "tox.ini").write_text("[tox]\nenv_list = c\n")
    assert stale_cells([measured], project, reports) == {"c"}
