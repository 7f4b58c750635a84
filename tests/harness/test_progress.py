import io

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
