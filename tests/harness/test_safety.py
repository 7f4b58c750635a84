"""The harness never loses a user's file or a result, and every exit is clean and typed.

Each case drives the real CLI in a subprocess, as a user or a CI job would, on the small
real tox project of conftest.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .proctree import WAIT_S, argv, command_line, descendants, running, wait_until

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

HARNESS = [sys.executable, "-m", "harness"]


def harness(*args, env=None, timeout=600):
    return subprocess.run(
        [*HARNESS, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def cells_of(project):
    report = json.loads((project / ".harness" / "compat.json").read_text())
    return {cell["cell"]["name"]: cell for cell in report["cells"]}


OFFLINE = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_HTTP_RETRIES": "0"}


@pytest.fixture
def shared_constraints(tiny_project):
    tox_ini = tiny_project / "tox.ini"
    tox_ini.write_text(
        tox_ini.read_text().replace("deps =\n", "deps =\n    -c {toxinidir}/constraints.txt\n")
    )
    users = tiny_project / "constraints.txt"
    users.write_text("# ours: keep pytest below 9\npytest<9\n")
    return tiny_project, users.read_bytes()


def test_a_shared_constraints_file_is_read_and_never_written(shared_constraints, tmp_path):
    project, before = shared_constraints
    done = harness("run", "--project", str(project), "-e", "pkg23-ok,pkg24-ok")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "constraints.txt").read_bytes() == before
    cells = cells_of(project)
    assert {c["lock"] for c in cells.values()} == {
        ".harness/locks/pkg23-ok.txt",
        ".harness/locks/pkg24-ok.txt",
    }
    lock = (project / ".harness" / "locks" / "pkg23-ok.txt").read_text()
    assert "\npytest==8." in lock  # the user's constraint shaped the closure
    locked = harness("lock", "--project", str(project))
    assert locked.returncode == 0 and (project / "constraints.txt").read_bytes() == before
    offline = harness(
        "lock", "--project", str(project), env={**OFFLINE, "UV_CACHE_DIR": str(tmp_path / "cold")}
    )
    assert offline.returncode == 3, offline.stdout + offline.stderr
    assert "install-network" in offline.stdout and "left as it was" in offline.stdout
    assert (project / ".harness" / "locks" / "pkg23-ok.txt").read_text() == lock
    assert (project / "constraints.txt").read_bytes() == before


def test_an_editable_env_leaves_no_venv_file_in_the_project(tmp_path):
    """tox 4.67+ points a PEP 832 `.venv` file in the project at an editable env; under the
    harness it writes none, and the project holds exactly the files it held."""
    project = tmp_path / "editable"
    (project / "src" / "editable").mkdir(parents=True)
    (project / "src" / "editable" / "__init__.py").write_text("ANSWER = 42\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_answer.py").write_text(
        "import editable\n\n\ndef test_answer():\n    assert editable.ANSWER == 42\n"
    )
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "editable"\nversion = "0.1"\n'
    )
    (project / "tox.ini").write_text(
        "[tox]\nenv_list = py\n\n[testenv]\npackage = editable\ndeps = pytest\n"
        "commands = pytest tests -q\n"
    )
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    done = harness("run", "--project", str(project), "--reports", str(tmp_path / "reports"))
    assert done.returncode == 0, done.stdout + done.stderr
    after = sorted(p.relative_to(project) for p in project.rglob("*")
                   if "__pycache__" not in p.parts and ".pytest_cache" not in p.parts)  # fmt: skip
    assert after == before


def test_an_unsatisfiable_lock_keeps_the_previous_one_and_exits_1(tiny_project):
    assert harness("lock", "--project", str(tiny_project), "-e", "pkg23-ok").returncode == 0
    lock = tiny_project / ".harness" / "locks" / "pkg23-ok.txt"
    before = lock.read_bytes()
    tox_ini = tiny_project / "tox.ini"
    tox_ini.write_text(
        tox_ini.read_text().replace(
            "pkg23: packaging==23.2", "pkg23: packaging==23.2\n    pkg23: packaging>=24"
        )
    )
    done = harness("lock", "--project", str(tiny_project), "-e", "pkg23-ok")
    assert done.returncode == 1 and "unsatisfiable" in done.stdout and lock.read_bytes() == before


def test_a_second_run_on_a_busy_reports_folder_stops_at_once(tiny_project):
    first = subprocess.Popen(  # its cell hangs until SIGTERM (or its 600 s timeout)
        [*HARNESS, "run", "--project", str(tiny_project), "-e", "pkg23-hang", "--timeout", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def testing():
            return ": commands[0]>" in _log(tiny_project)

        wait_until(lambda: testing() or first.poll() is not None)
        assert testing() and first.poll() is None, "the first run never reached its hung test"
        second = harness("run", "--project", str(tiny_project), "-e", "pkg23-ok")
        # at once: it answered while the first still held the folder, not after waiting for it
        assert second.returncode == 2 and first.poll() is None
        assert f"in use by harness run (pid {first.pid}" in second.stderr
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 130


def _log(project):
    return "".join(
        p.read_text(errors="ignore") for p in (project / ".harness" / "runs").glob("*/*/tox.log")
    )


def test_reports_accumulate_and_fresh_starts_from_empty(tiny_project):
    assert harness("run", "--project", str(tiny_project)).returncode == 0  # its env_list
    added = harness("run", "--project", str(tiny_project), "--with", "packaging==23.1")
    assert added.returncode == 0, added.stdout + added.stderr
    cells = cells_of(tiny_project)
    assert set(cells) == {"pkg23-ok", "pkg24-ok", "pkg23-ok-with_packaging23.1"}
    assert all(c["measured_at"] and c["stale"] is False for c in cells.values())
    (tiny_project / "tests" / "test_tiny.py").write_text(
        (tiny_project / "tests" / "test_tiny.py").read_text() + "\n\ndef test_three():\n    pass\n"
    )
    again = harness("run", "--project", str(tiny_project), "-e", "pkg24-ok")
    assert again.returncode == 0
    cells = cells_of(tiny_project)
    assert {n: c["stale"] for n, c in cells.items()} == {
        "pkg23-ok": True, "pkg24-ok": False, "pkg23-ok-with_packaging23.1": True,
    }  # fmt: skip
    assert (
        "2 stale (inputs changed since they ran)"
        in (tiny_project / ".harness" / "compat.md").read_text()
    )
    fresh = harness("run", "--project", str(tiny_project), "-e", "pkg24-ok", "--fresh")
    assert fresh.returncode == 0 and set(cells_of(tiny_project)) == {"pkg24-ok"}
    runs = list((tiny_project / ".harness" / "runs").iterdir())
    assert len(runs) == 1  # the runs no result points to are gone


@pytest.mark.parametrize(
    "args, words",
    [
        (["--timeout", "nan"], "--timeout must be a positive number of seconds, not nan"),
        (["--timeout", "-3"], "--timeout must be a positive number"),
        (["--jobs", "-1"], "--jobs must be 0 (automatic) or more"),
        (["-m", "nosuchlabel"], "label(s) nosuchlabel select no env"),
        (["-e", "nosuch"], "provided environments not found"),
        (["--with", "torch"], "must be a name with a version"),
        (["--with", "not a pin!"], "is not a requirement"),
        (["--with", "packaging===../../.."], "must be a name with a version"),
        (["--reports", "REPORTS_FILE"], "is a file, not a folder"),
        (["--reports", "REPORTS_FILE/sub"], "cannot write to --reports"),
        (["--signatures", "BAD_SIGNATURES"], "bad pattern"),
        (["-e", "pkg23-baddep"], "deps line 'packaging==23.2==x' is not a requirement"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tiny_project, tmp_path, args, words):
    (tmp_path / "REPORTS_FILE").write_text("")
    (tmp_path / "BAD_SIGNATURES").write_text(
        json.dumps([{"id": "x", "title": "x", "pattern": "(", "kind": "infrastructure"}])
    )
    tox_ini = tiny_project / "tox.ini"
    tox_ini.write_text(
        tox_ini.read_text().replace(
            "    unsat: packaging>=99", "    unsat: packaging>=99\n    baddep: packaging==23.2==x"
        )
    )
    args = [
        a.replace("REPORTS_FILE", str(tmp_path / "REPORTS_FILE")).replace(
            "BAD_SIGNATURES", str(tmp_path / "BAD_SIGNATURES")
        )
        for a in args
    ]
    done = harness("run", "--project", str(tiny_project), *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tiny_project / ".tox").exists()  # nothing was installed


@pytest.fixture
def silent_index():
    """A server that accepts connections and never answers: a hung package index."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    server.close()
    for connection in accepted:
        connection.close()


def test_sigterm_while_locking_ends_every_process_with_a_partial_report(
    tiny_project, tmp_path, silent_index
):
    env = {**os.environ, "UV_INDEX_URL": silent_index, "UV_CACHE_DIR": str(tmp_path / "cold")}
    process = subprocess.Popen(
        [*HARNESS, "run", "--project", str(tiny_project)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines = []  # progress is on stderr
    while not any("locking" in line for line in lines):
        lines.append(process.stderr.readline())
        assert process.poll() is None, lines

    def locking():
        return any(Path((argv(pid) or [""])[0]).name == "uv" for pid, _ in descendants(process.pid))

    wait_until(lambda: locking() or process.poll() is not None)  # uv waits on the silent index
    assert locking() and process.poll() is None, lines
    tree = descendants(process.pid)  # the supervisors, uv, and whatever uv started
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 130, err
    wait_until(lambda: not running(tree))
    assert running(tree) == [], [command_line(pid) for pid, _ in running(tree)]
    assert "Traceback" not in "".join(lines) + err
    report = json.loads((tiny_project / ".harness" / "compat.json").read_text())
    assert report["interrupted"] is True and report["cells"] == []
    locks = tiny_project / ".harness" / "locks"
    assert not locks.exists() or not list(locks.iterdir())  # no lock, not even a half-written one
