import io
import time

import pytest

from harness.model import Cell, CellResult, Counts
from harness.report.progress import PlainProgress, choose, summary_line


def test_plain_progress_lines():
    out = io.StringIO()
    progress = PlainProgress(out)
    cells = [Cell("a", {}), Cell("b", {})]
    progress.planned(cells, reused=["a"])
    progress.finished(CellResult(cells[0], "pass", Counts(passed=3), coverage=91.04), reused=True)
    progress.stage(cells[1], "running")
    progress.finished(CellResult(cells[1], "no-tests", duration_s=2.4), reused=False)
    progress.close()
    assert out.getvalue().splitlines() == [
        "harness: 2 cell(s), 1 kept from the last run",
        "[1/2] a: pass (3 passed, 91.0% coverage, 0s) (kept)",
        "[1/2] b: running",
        "[2/2] b: no-tests (no tests ran, 2s)",
    ]


def test_summary_line_names_signatures():
    from harness.model import Failure

    result = CellResult(
        Cell("x", {}), "fail", Counts(passed=1, failed=2), failures=[Failure("t", "other", "e")] * 2
    )
    assert summary_line(result).endswith("[other x2]")


def test_piped_output_is_plain():
    assert isinstance(choose(io.StringIO()), PlainProgress)


def test_live_table_on_a_terminal():
    from rich.console import Console

    from harness.report.progress import LiveProgress

    screen = io.StringIO()
    live = LiveProgress(Console(file=screen, force_terminal=True, color_system=None, width=120))
    cells = [Cell("torch21-numpy126", {}), Cell("torch21-numpy22", {})]
    live.planned(cells, reused=[], disk="needs about 1.0 GB, 9.0 GB free")
    live.stage(cells[0], "installing")
    live.stage(cells[1], "testing")
    live.finished(CellResult(cells[0], "pass", Counts(passed=78, skipped=1)), reused=False)
    live.close()
    text = screen.getvalue()
    assert "harness: disk: needs about 1.0 GB" in text and "harness: 1/2 cells done" in text
    assert "78 passed, 1 skipped" in text and "testing" in text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("variables", "plain"),
    [({}, False), ({"NO_COLOR": "1"}, True), ({"NO_COLOR": ""}, False), ({"CI": "true"}, True),
     ({"TERM": "dumb"}, True)],
)  # fmt: skip
def test_a_terminal_gets_the_live_table_unless_told_otherwise(variables, plain, monkeypatch):
    for name in ("NO_COLOR", "CI", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert isinstance(choose(Terminal()), PlainProgress) is plain


def test_progress_goes_to_stderr_by_default(monkeypatch, capsys):
    monkeypatch.setenv("CI", "true")
    progress = choose()
    progress.note("hello")
    captured = capsys.readouterr()
    assert captured.out == "" and "hello" in captured.err


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_live_table_s_clock_ticks_between_events():
    from rich.console import Console

    from harness.report.progress import LiveProgress

    screen, clock = io.StringIO(), Clock()
    console = Console(file=screen, force_terminal=True, color_system=None, width=120)
    live = LiveProgress(console, clock=clock)
    cells = [Cell("torch21-numpy126", {}), Cell("torch21-numpy22", {})]
    live.planned(cells, reused=[])
    live.stage(cells[0], "installing")
    clock.now += 45
    start = len(screen.getvalue())
    live.live.refresh()  # what rich's refresh thread does 4 times a second: no event came
    frame = screen.getvalue()[start:]
    row = next(line for line in frame.splitlines() if "torch21-numpy126" in line)
    assert "installing" in row and "45s" in row
    live.stage(cells[0], "testing")  # a new state starts its own clock
    clock.now += 3
    start = len(screen.getvalue())
    live.live.refresh()
    row = next(line for line in screen.getvalue()[start:].splitlines() if "numpy126" in line)
    assert "testing" in row and "3s" in row and "48s" not in row
    live.close()


def test_plain_lines_repeat_a_phase_that_lasts_every_30_seconds():
    out, clock = io.StringIO(), Clock()
    progress = PlainProgress(out, clock=clock)
    cells = [Cell("a", {}), Cell("b", {})]
    progress.planned(cells, reused=[])
    progress.stage(cells[0], "installing")
    for seconds in (10, 29, 45, 60, 75, 80):
        clock.now = 1000 + seconds
        progress.beat()
    progress.stage(cells[0], "testing")
    clock.now += 31
    progress.beat()
    progress.finished(CellResult(cells[0], "pass", Counts(passed=1), duration_s=111), reused=False)
    clock.now += 300
    progress.beat()  # a finished cell is quiet
    progress.close()
    assert out.getvalue().splitlines() == [
        "harness: 2 cell(s)",
        "[0/2] a: installing",
        "[0/2] a: installing 45s",
        "[0/2] a: installing 75s",
        "[0/2] a: testing",
        "[0/2] a: testing 31s",
        "[1/2] a: pass (1 passed, 111s)",
    ]


def test_the_heartbeat_runs_by_itself_and_stops_at_close():
    out, clock = io.StringIO(), Clock()
    progress = PlainProgress(out, clock=clock, every_s=0.01)
    progress.stage(Cell("a", {}), "installing")
    clock.now += 90
    deadline = time.monotonic() + 10
    while "installing 90s" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    progress.close()
    assert "[0/?] a: installing 90s" in out.getvalue()
    assert not progress._beating.is_alive()


def test_locking_shows_its_cells_and_their_count():
    from rich.console import Console

    from harness.report.progress import LiveProgress

    screen, clock = io.StringIO(), Clock()
    console = Console(file=screen, force_terminal=True, color_system=None, width=120)
    live = LiveProgress(console, clock=clock)
    cells = [Cell("a", {}), Cell("b", {}), Cell("c", {})]
    live.locking(cells[:2], cells)
    clock.now += 12
    table = live._table()
    assert table.title == "harness: locking 2 of 3 cells"
    assert list(table.columns[1].cells) == ["locking", "locking", "waiting"]
    assert list(table.columns[3].cells) == ["12s", "12s", ""]
    live.planned(cells, reused=[])  # the locks are made
    assert live._table().title == "harness: 0/3 cells done"
    assert list(live._table().columns[1].cells) == ["waiting"] * 3
    live.close()

    out = io.StringIO()
    plain = PlainProgress(out, clock=clock)
    plain.locking(cells[:2], cells)
    clock.now += 30
    plain.beat()
    plain.planned(cells, reused=[])
    clock.now += 300
    plain.beat()  # locking is over
    plain.close()
    assert out.getvalue().splitlines() == [
        "harness: locking 2 of 3 cell(s)",
        "[0/3] a: locking",
        "[0/3] b: locking",
        "harness: locking 2 cell(s) 30s",
        "harness: 3 cell(s)",
    ]


def test_the_plan_reports_the_cells_it_locks_before_locking_them(tmp_path, monkeypatch):
    from harness.stages import lock, pipeline, prepare
    from harness.store import Store

    cells = [Cell("a", {}), Cell("b", {})]
    events = []

    class Recorder(pipeline.Silent):
        def locking(self, stale, selected):
            events.append(("locking", [c.name for c in stale], [c.name for c in selected]))

        def stage(self, cell, stage):
            events.append(("stage", cell.name, stage))

    monkeypatch.setattr(prepare, "find_pythons", lambda found: {c.name: "/py" for c in found})
    monkeypatch.setattr(prepare, "identity", lambda python: "cpython 3.11.7")
    monkeypatch.setattr(lock, "needs_lock", lambda cell, path, project: cell.name == "b")
    monkeypatch.setattr(lock, "lock_all", lambda stale, *args, **kwargs: events.append(
        ("lock_all", [c.name for c in stale])) or {})  # fmt: skip
    options = pipeline.RunOptions(project=tmp_path, reports=tmp_path / ".harness", cells=cells)
    prepare.plan(options, Store(tmp_path / ".harness"), Recorder())
    assert events == [("locking", ["b"], ["a", "b"]), ("lock_all", ["b"])]


def test_the_heartbeat_stops_when_its_stream_is_closed():
    stream = io.StringIO()
    shown = PlainProgress(stream, every_s=0.0)
    shown._begin("a", "a: installing")
    stream.close()
    shown.beat()  # no ValueError from a thread, and no more beats
    assert shown._stop.is_set()
    shown.close()


def test_a_display_that_serves_a_second_run_counts_that_run_from_zero():
    out = io.StringIO()
    plain = PlainProgress(out, clock=Clock())
    change = Cell("py311-with_numpy2.2.6", {})
    for _ in range(2):  # a survey runs a break's changed cells again
        plain.locking([change], [change])
        plain.finished(CellResult(change, "fail", Counts(failed=1)), reused=False)
    plain.close()
    assert [line[:5] for line in out.getvalue().splitlines() if "fail" in line] == ["[1/1]"] * 2
