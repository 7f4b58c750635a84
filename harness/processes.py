"""Every process the harness starts, in its own process group, so an interrupt can end them all.

``run`` replaces ``subprocess.run`` for the harness's short tools (tox config, uv pip compile,
interpreter checks): its process is registered in ``LIVE`` while it runs, and ``stop_all``
(called when the user interrupts) kills every registered group at once, whatever stage the
run is in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

KILL_GRACE_S = 5


class ProcessGroups:
    """Live process groups, so an interrupt can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
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
    """SIGTERM the whole group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)


class Interrupted(Exception):
    """The run is stopping: a process was killed because the user interrupted."""


def run(command: list, timeout: float, **options) -> subprocess.CompletedProcess:
    """``subprocess.run`` with text output captured, in a group ``LIVE`` can kill."""
    if LIVE.stopping:
        raise Interrupted()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, stdin=subprocess.PIPE if "input" in options else subprocess.DEVNULL,
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
