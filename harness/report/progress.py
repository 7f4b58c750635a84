"""Progress displays: a live table on a terminal, plain lines in CI or when piped.

Both keep time while nothing happens: the live table redraws its clocks several times a
second, and the plain lines repeat a phase that lasts (``[0/2] a: installing 45s``) at
most every ``HEARTBEAT_S`` seconds, so a long torch install never looks hung.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from harness.model import Cell, CellResult
from harness.report.compat import MARKS, tests_text

HEARTBEAT_S = 30.0
LOCKING = "locking"


def summary_line(result: CellResult) -> str:
    why = ", ".join(f"{sig} x{n}" for sig, n in result.signature_counts().items())
    return (
        f"{result.cell.name}: {result.verdict} ({tests_text(result)}"
        + (f", {result.coverage:.1f}% coverage" if result.coverage is not None else "")
        + f", {result.duration_s:.0f}s)"
        + (f" [{why}]" if why else "")
    )


class PlainProgress:
    """One line per event; a phase that lasts is said again every ``every_s`` seconds."""

    def __init__(self, stream=None, clock=time.monotonic, every_s: float = HEARTBEAT_S,
                 prefix: str = "") -> None:  # fmt: skip
        self.stream, self.prefix = stream or sys.stdout, prefix
        self.total = self.done = 0
        self.clock, self.every_s = clock, every_s
        self.active = {}  # key -> [what is going on, since, last said]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beating = None

    def _say(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(f"{self.prefix}{text}\n")  # one write: whole lines, side by side
                self.stream.flush()
            except (ValueError, OSError):  # the stream is gone: so is whoever read it
                self._stop.set()

    def _begin(self, key: str, text: str) -> None:
        now = self.clock()
        with self._lock:
            self.active[key] = [text, now, now]
            if self._beating is None and not self._stop.is_set():
                self._beating = threading.Thread(target=self._beat_forever, daemon=True)
                self._beating.start()

    def _beat_forever(self) -> None:
        while not self._stop.wait(min(self.every_s, 5.0)):
            self.beat()

    def beat(self) -> None:
        """Say again each phase that has gone on unsaid for ``every_s`` seconds."""
        now, due = self.clock(), []
        with self._lock:
            for entry in self.active.values():
                if now - entry[2] >= self.every_s:
                    entry[2] = now
                    due.append(f"{entry[0]} {now - entry[1]:.0f}s")
        for text in due:
            self._say(text)

    def locking(self, cells: list, selected: list) -> None:
        self.total, self.done = len(selected), 0  # a display can serve a second run (surveys)
        if not cells:
            return
        self._say(f"harness: locking {len(cells)} of {len(selected)} cell(s)")
        for cell in cells:
            self._say(f"[0/{self.total}] {cell.name}: {LOCKING}")
        self._begin(LOCKING, f"harness: locking {len(cells)} cell(s)")

    def planned(self, cells: list, reused: list, disk: str = "") -> None:
        with self._lock:
            self.active.clear()  # the locks are made
        self.total = len(cells)
        kept = f", {len(reused)} kept from the last run" if reused else ""
        self._say(f"harness: {len(cells)} cell(s){kept}" + (f"; disk: {disk}" if disk else ""))

    def stage(self, cell: Cell, stage: str) -> None:
        self._say(f"[{self.done}/{self.total or '?'}] {cell.name}: {stage}")
        self._begin(cell.name, f"[{self.done}/{self.total or '?'}] {cell.name}: {stage}")

    def finished(self, result: CellResult, reused: bool) -> None:
        with self._lock:
            self.active.pop(result.cell.name, None)
        self.done += 1
        self._say(
            f"[{self.done}/{self.total}] {summary_line(result)}" + (" (kept)" if reused else "")
        )

    def note(self, text: str) -> None:
        self._say(f"harness: {text}")

    def close(self) -> None:
        self._stop.set()
        if self._beating is not None:
            self._beating.join(timeout=10)


class LiveProgress:
    """A rich live table: each cell's state and how long it has been in it. Events arrive from
    worker threads; the table is rebuilt at every redraw, so its clocks tick between them."""

    def __init__(self, console=None, clock=time.monotonic) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = console or Console()
        self.clock = clock
        self.states = {}  # cell name -> (state, result text, since)
        self.total = 0
        self.phase = ""  # "locking N": the title while the locks are made
        self._lock = threading.Lock()  # never held while calling into rich (it has its own)
        self.live = Live(console=self.console, get_renderable=self._table, refresh_per_second=4,
                         transient=False)  # fmt: skip
        self.live.start()

    def _table(self):
        from rich.table import Table

        with self._lock:
            states, total, phase = dict(self.states), self.total, self.phase
        done = sum(1 for s in states.values() if s[0] == "done")
        title = (
            f"harness: {phase} of {total} cells" if phase else f"harness: {done}/{total} cells done"
        )
        table = Table(title=title, expand=False)
        for column in ("cell", "state", "result", "time"):
            table.add_column(column)
        now = self.clock()
        for name, (state, text, since) in states.items():
            elapsed = f"{now - since:.0f}s" if since is not None and state != "done" else ""
            table.add_row(name, state, text, elapsed)
        return table

    def _set(self, name: str, state: str, text: str = "", timed: bool = True) -> None:
        with self._lock:
            self.states[name] = (state, text, self.clock() if timed else None)

    def locking(self, cells: list, selected: list) -> None:
        stale = {c.name for c in cells}
        with self._lock:
            self.total = len(selected)
            self.phase = f"locking {len(cells)}" if cells else ""
        for cell in selected:
            if cell.name in stale:
                self._set(cell.name, LOCKING)
            else:
                self._set(cell.name, "waiting", timed=False)
        self.live.refresh()

    def planned(self, cells: list, reused: list, disk: str = "") -> None:
        if disk:
            self.console.print(f"harness: disk: {disk}", highlight=False)
        with self._lock:
            self.total, self.phase = len(cells), ""
        for cell in cells:  # the locks are made: nothing runs yet
            self._set(cell.name, "waiting", timed=False)
        self.live.refresh()

    def stage(self, cell: Cell, stage: str) -> None:
        self._set(cell.name, stage)
        self.live.refresh()

    def finished(self, result: CellResult, reused: bool) -> None:
        text = f"{MARKS[result.verdict]} {summary_line(result).split(': ', 1)[1]}"
        self._set(result.cell.name, "done", text + (" (kept)" if reused else ""), timed=False)
        self.live.refresh()

    def note(self, text: str) -> None:
        self.console.print(f"harness: {text}", highlight=False)

    def close(self) -> None:
        self.live.stop()


def choose(stream=None, prefix: str = ""):
    """Progress on stderr (stdout is for results): live on an interactive terminal, plain lines
    in CI, when piped, with ``NO_COLOR`` set (no-color.org) or ``TERM=dumb``, or with a
    ``prefix`` (one of several runs side by side, each line saying whose it is)."""
    stream = stream or sys.stderr
    interactive = (
        stream.isatty() and not os.environ.get("CI") and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )  # fmt: skip
    if prefix or not interactive:
        return PlainProgress(stream, prefix=prefix)
    from rich.console import Console

    return LiveProgress(Console(file=stream))
