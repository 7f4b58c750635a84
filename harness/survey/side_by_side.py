"""A survey's projects side by side: ``each`` runs them ``at_once`` at a time; ``Folders`` keeps
one release's folder to one measurement at a time.

Only an interrupt ends a survey: ``each`` stops starting queued projects once the interrupt
came, waits for the running ones to unwind (a second Ctrl-C, or CI's SIGTERM after its
SIGINT, does not cut that short), and says whether it was interrupted.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import processes


def each(work, items: list, at_once: int) -> bool:
    """``work(*item)`` for every item, ``at_once`` at a time, in the list's order; whether an
    interrupt stopped it (every process of every project is gone by then). ``work`` raises
    nothing but ``processes.Interrupted``: anything else is raised here once all have ended."""
    pool = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="project")

    def unless_stopping(*item) -> None:  # a project queued when the interrupt came never starts
        if processes.LIVE.stopping:
            raise processes.Interrupted()
        work(*item)

    futures = [pool.submit(unless_stopping, *item) for item in items]
    interrupted, failure = False, None
    try:
        for future in futures:
            try:
                future.result()
            except processes.Interrupted:
                interrupted = True
            except Exception as exc:  # a bug: the others still finish
                failure = failure or exc
    except KeyboardInterrupt:  # the main thread's: cli's handler has killed every process
        interrupted = True
    finally:
        for future in futures:
            future.cancel()
        if interrupted:
            processes.LIVE.kill_all()
        while True:
            try:
                pool.shutdown(wait=True)
                break
            except KeyboardInterrupt:  # another signal while the projects unwind
                interrupted = True
                processes.LIVE.kill_all()
    if interrupted:
        processes.LIVE.stopping = False
    if failure is not None and not interrupted:
        raise failure
    return interrupted


class Folders:
    """A lock per release folder: a bisection step and a listed project (or two bisections)
    that land on one release measure it one after the other, the second reusing the first's
    cells (``resume``), never both in one folder at once."""

    def __init__(self) -> None:
        self._guard, self._locks = threading.Lock(), {}

    def lock(self, folder: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(folder, threading.Lock())
