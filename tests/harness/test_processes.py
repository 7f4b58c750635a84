"""No process outlives its cell: the supervisor ends the whole tree, even under kill -9."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import processes

from .proctree import wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux: /proc, prctl")

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30  # a bound on every wait; the tests never assert on how long anything took

# Forks a grandchild that leaves the process group (setsid), writes "CHILD GRANDCHILD" to
# argv[1] and sleeps; the child sleeps too, or exits at once when argv[2] says "exit".
FORKING = textwrap.dedent("""
    import os, sys, time
    if os.fork() == 0:
        os.setsid()
        with open(sys.argv[1] + ".tmp", "w") as out:
            out.write(f"{os.getppid()} {os.getpid()}")
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(600)
        os._exit(0)
    if sys.argv[2:] == ["exit"]:
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.01)
        os._exit(0)
    time.sleep(600)
""")

# The harness in small: starts FORKING through processes.spawn, prints the supervisor's pid.
HARNESS_LIKE = textwrap.dedent("""
    import sys, time
    from harness import processes
    supervisor = processes.spawn([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    print(supervisor.pid, flush=True)
    time.sleep(600)
""")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: it is in /proc and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def still_alive(pids: list, within: float = WAIT_S) -> list:
    """The pids still running once all are gone or ``within`` seconds passed."""
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def pids_from(path: Path) -> list:
    wait_until(path.exists, WAIT_S)
    assert path.exists(), "the grandchild never wrote its pid"
    return [int(word) for word in path.read_text().split()]


def kill_all(pids: list) -> None:
    """Cleanup: whatever a failing test left behind."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_kill_9_of_the_harness_ends_child_and_grandchild(tmp_path):
    pid_file, started = tmp_path / "pids", []
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS_LIKE, FORKING, str(pid_file)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    started.append(harness.pid)
    try:
        ready, _, _ = select.select([harness.stdout], [], [], WAIT_S)
        assert ready, "the harness-like process never started its command"
        started.append(int(harness.stdout.readline()))  # the supervisor
        started += pids_from(pid_file)  # the child and its setsid()'d grandchild
        assert all(alive(pid) for pid in started)
        os.kill(harness.pid, signal.SIGKILL)
        harness.wait(timeout=WAIT_S)
        assert still_alive(started) == []
    finally:
        kill_all(started + (pids_from(pid_file) if pid_file.exists() else []))
        harness.kill()
        harness.wait()
        harness.stdout.close()


def test_a_timeout_ends_a_descendant_that_left_the_group(tmp_path):
    pid_file = tmp_path / "pids"
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            processes.run([sys.executable, "-c", FORKING, str(pid_file)], timeout=2)
        child, grandchild = pids_from(pid_file)
        assert still_alive([child, grandchild]) == []
    finally:
        kill_all(pids_from(pid_file) if pid_file.exists() else [])


def test_what_a_command_leaves_running_ends_with_it(tmp_path):
    pid_file = tmp_path / "pids"
    try:
        done = processes.run([sys.executable, "-c", FORKING, str(pid_file), "exit"], timeout=60)
        assert done.returncode == 0  # and it returned: the grandchild no longer holds stdout
        assert still_alive(pids_from(pid_file)) == []
    finally:
        kill_all(pids_from(pid_file) if pid_file.exists() else [])


def test_kill_group_lets_the_supervisor_sweep_before_any_sigkill(tmp_path):
    pid_file = tmp_path / "pids"
    stubborn = FORKING.replace(
        "os.setsid()", "os.setsid(); signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    )
    stubborn = stubborn.replace("import os, sys, time", "import os, signal, sys, time")
    process = processes.spawn([sys.executable, "-c", stubborn, str(pid_file)])
    try:
        pids = pids_from(pid_file)
        processes.kill_group(process.pid, grace_s=1)
        assert process.wait(timeout=WAIT_S) == 128 + signal.SIGTERM  # its own exit, not SIGKILL
        assert still_alive(pids) == []
    finally:
        kill_all([process.pid, *(pids_from(pid_file) if pid_file.exists() else [])])
        process.wait()


def test_exit_codes_output_and_input_pass_through():
    ok = processes.run([sys.executable, "-c", "print(input())"], timeout=60, input="hello")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "hello\n", "")
    three = processes.run([sys.executable, "-c", "import sys; sys.exit(3)"], timeout=60)
    assert three.returncode == 3
    killed = processes.run([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"], timeout=60)
    assert killed.returncode == 128 + signal.SIGKILL


def test_a_command_that_cannot_start_raises_as_popen_does(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        processes.run([str(tmp_path / "no-such-tool"), "--version"], timeout=60)
    assert raised.value.filename == str(tmp_path / "no-such-tool")
    assert processes.LIVE._groups == set()
