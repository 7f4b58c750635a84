"""Progress displays: a live table on a terminal, plain lines in CI or when piped."""

from __future__ import annotations

import os
import sys
import threading
import time

from harness.model import Cell, CellResult
from harness.report.compat import MARKS, tests_text


def summary_line(result: CellResult) -> str:
    why = ", ".join(f"{sig} x{n}" for sig, n in result.signature_counts().items())
    return (
        f"{result.cell.name}: {result.verdict} ({tests_text(result)}"
        + (f", {result.coverage:.1f}% coverage" if result.coverage is not None else "")
        + f", {result.duration_s:.0f}s)"
        + (f" [{why}]" if why else "")
    )


class PlainProgress:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout
        self.total = self.done = 0
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)

    def planned(self, cells: list, reused: list, disk: str = "") -> None:
        self.total = len(cells)
        kept = f", {len(reused)} kept from the last run" if reused else ""
        self._say(f"harness: {len(cells)} cell(s){kept}" + (f"; disk: {disk}" if disk else ""))

    def stage(self, cell: Cell, stage: str) -> None:
        self._say(f"[{self.done}/{self.total or '?'}] {cell.name}: {stage}")

    def finished(self, result: CellResult, reused: bool) -> None:
        self.done += 1
        self._say(
            f"[{self.done}/{self.total}] {summary_line(result)}" + (" (kept)" if reused else "")
        )

    def note(self, text: str) -> None:
        self._say(f"harness: {text}")

    def close(self) -> None:
        pass


class LiveProgress:
    """A rich live table: each cell's state, refreshed as events arrive from worker threads."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = console or Console()
        self.states, self.started = {}, {}
        self.total = 0
        self._lock = threading.Lock()
        self.live = Live(self._table(), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def _table(self):
        from rich.table import Table

        done = sum(1 for s in self.states.values() if s[0] == "done")
        table = Table(title=f"harness: {done}/{self.total} cells done", expand=False)
        for column in ("cell", "state", "result", "time"):
            table.add_column(column)
        now = time.monotonic()
        for name, (state, text) in self.states.items():
            elapsed = (
                f"{now - self.started[name]:.0f}s"
                if name in self.started and state != "done"
                else ""
            )
            table.add_row(name, state, text, elapsed)
        return table

    def _update(self) -> None:
        self.live.update(self._table())

    def planned(self, cells: list, reused: list, disk: str = "") -> None:
        with self._lock:
            if disk:
                self.console.print(f"harness: disk: {disk}", highlight=False)
            self.total = len(cells)
            for cell in cells:
                self.states.setdefault(cell.name, ("waiting", ""))
            self._update()

    def stage(self, cell: Cell, stage: str) -> None:
        with self._lock:
            self.states[cell.name] = (stage, "")
            self.started.setdefault(cell.name, time.monotonic())
            self._update()

    def finished(self, result: CellResult, reused: bool) -> None:
        with self._lock:
            text = f"{MARKS[result.verdict]} {summary_line(result).split(': ', 1)[1]}"
            self.states[result.cell.name] = ("done", text + (" (kept)" if reused else ""))
            self._update()

    def note(self, text: str) -> None:
        with self._lock:
            self.console.print(f"harness: {text}", highlight=False)

    def close(self) -> None:
        self.live.stop()


def choose(stream=None):
    """Progress on stderr (stdout is for results): live on an interactive terminal, plain lines
    in CI, when piped, with ``NO_COLOR`` set (no-color.org) or ``TERM=dumb``."""
    stream = stream or sys.stderr
    interactive = (
        stream.isatty() and not os.environ.get("CI") and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )  # fmt: skip
    if not interactive:
        return PlainProgress(stream)
    from rich.console import Console

    return LiveProgress(Console(file=stream))
