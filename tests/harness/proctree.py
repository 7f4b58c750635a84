"""Processes as Linux's /proc shows them, for tests that check what a command left running.

Tests wait on events and states with these, never on how long anything took: every wait is
bounded (``WAIT_S``, generous for a loaded machine) and returns, and the test then asserts the
state it waited for.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

WAIT_S = 120


def _stat(pid: int) -> list:
    """The fields of ``/proc/PID/stat`` after the command name: state, ppid, ... ([] if gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()
    except OSError:
        return []


def identity(pid: int):
    """``(pid, start time)``, which no later process of the same pid shares; None when gone."""
    fields = _stat(pid)
    return (pid, int(fields[19])) if fields else None


def argv(pid: int) -> list:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def command_line(pid: int) -> str:
    return " ".join(argv(pid))


def descendants(pid: int) -> list:
    """The identities of every process below ``pid`` (children, theirs, ...), now."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        known = identity(child)
        if known:
            found.append(known)
            todo += children.get(child, [])
    return found


def running(processes: list) -> list:
    """Those of ``processes`` (identities) still running: not exited, not a zombie."""
    alive = []
    for pid, start in processes:
        fields = _stat(pid)
        if fields and int(fields[19]) == start and fields[0] not in (b"Z", b"X"):
            alive.append((pid, start))
    return alive


def wait_until(condition, within: float = WAIT_S) -> bool:
    """Poll ``condition`` until it holds or ``within`` seconds passed; its last value."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return bool(condition())
        time.sleep(0.1)
    return True
