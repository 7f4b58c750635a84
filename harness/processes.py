"""Every process the harness starts, supervised in its own group so that none outlives its cell.

``spawn`` starts a command under ``_reaper.py``, a supervisor that ends the command's whole tree
(its group, and every descendant, even one that left the group) when it is told to stop, when
the command exits, or when the harness dies, even by ``kill -9``. ``run`` replaces
``subprocess.run`` for the harness's short tools (tox config, uv pip compile, interpreter
checks): its process is registered in ``LIVE`` while it runs, and ``LIVE.kill_all`` (called
when the user interrupts) kills every registered group at once, whatever stage the run is in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

KILL_GRACE_S = 5
SWEEP_S = 3  # how long a supervisor told to hurry gets to SIGKILL and reap its tree
REAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_reaper.py")


class ProcessGroups:
    """Live process groups, so an interrupt can end them all."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # kill_all runs in a signal handler, maybe inside add()
        self._groups = set()
        self.stopping = False

    def add(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)
        if self.stopping:  # started while an interrupt was being handled
            kill_group(pgid, grace_s=0)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)

    def kill_all(self) -> None:
        self.stopping = True
        with self._lock:
            groups = list(self._groups)
        threads = [threading.Thread(target=kill_group, args=(g,)) for g in groups]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


LIVE = ProcessGroups()


def kill_group(pgid: int, grace_s: float = KILL_GRACE_S) -> None:
    """End a group ``spawn`` started, with every descendant of its supervisor.

    SIGTERM: the supervisor SIGTERMs its tree; after ``grace_s`` SIGUSR1: it SIGKILLs what is
    left and reaps it; SIGKILL to the group only if the supervisor is still there ``SWEEP_S``
    later (killing it earlier would leave its tree behind).
    """
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGUSR1, SWEEP_S), (signal.SIGKILL, 0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _group_runs(pgid):
                return
            time.sleep(0.1)


def _group_runs(pgid: int) -> bool:
    """Whether the group's supervisor (its leader, alone in it) still runs.

    An exited supervisor stays a zombie in its group until its ``Popen`` waits for it, and
    ``killpg(pgid, 0)`` still finds it then.
    """
    try:
        with open(f"/proc/{pgid}/stat", "rb") as stat:
            if stat.read().rpartition(b")")[2].split()[0] in (b"Z", b"X"):
                return False
    except OSError:  # reaped, or no /proc: whether anything is left in the group
        pass
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def spawn(command: list, **options) -> subprocess.Popen:
    """``subprocess.Popen(command, **options)`` under the supervisor, in a new session.

    The returned process is the supervisor (``_reaper.py``): its pid is the group ``kill_group``
    ends, its exit code is the command's (``128 + N`` for a death by signal N). Like ``Popen``,
    it raises ``OSError`` when the command cannot be started. Elsewhere than on Linux (no
    ``prctl``, no ``/proc``) the command runs unsupervised, in its own group.
    """
    if not sys.platform.startswith("linux"):
        return subprocess.Popen(command, start_new_session=True, **options)
    read_end, write_end = os.pipe()  # the supervisor writes here why the command did not start
    supervised = [sys.executable, "-I", "-S", REAPER, "--parent", str(os.getpid()),
                  "--status-fd", str(write_end), "--grace", str(KILL_GRACE_S), "--", *command]  # fmt: skip
    try:
        process = subprocess.Popen(
            supervised, start_new_session=True, pass_fds=(write_end,), **options
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    try:
        with open(read_end, "rb") as status:
            report = status.read()  # empty: the command started (or the supervisor was killed)
    except BaseException:  # the user's interrupt, before the caller could register the group
        kill_group(process.pid, grace_s=0)
        process.communicate()
        raise
    if report:
        process.communicate()
        number, _, filename = report.decode(errors="surrogateescape").partition("\0")
        raise OSError(int(number), os.strerror(int(number)), filename)
    return process


class Interrupted(Exception):
    """The run is stopping: a process was killed because the user interrupted."""


def run(command: list, timeout: float, **options) -> subprocess.CompletedProcess:
    """``subprocess.run`` with text output captured, in a supervised group ``LIVE`` can kill."""
    if LIVE.stopping:
        raise Interrupted()
    process = spawn(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.PIPE if "input" in options else subprocess.DEVNULL,
        **{k: v for k, v in options.items() if k != "input"},
    )  # fmt: skip
    LIVE.add(process.pid)
    try:
        stdout, stderr = process.communicate(options.get("input"), timeout=timeout)
    except BaseException:  # a timeout, or the user's interrupt arriving in this thread
        kill_group(process.pid, grace_s=0)
        process.communicate()
        raise
    finally:
        LIVE.discard(process.pid)
    if LIVE.stopping:
        raise Interrupted()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
