"""The reports say each thing once and in words: a failure's evidence is not printed again in
its detail, counts agree with their nouns, and the page's script is valid JavaScript."""

import shutil
import subprocess

import pytest

from harness.model import Cell, CellResult, Counts, Failure
from harness.report import compat as reports
from harness.report.html import SCRIPT, render_html
from harness.report.markdown import render_markdown
from harness.report.suggest import reason
from harness.report.terminal import result_lines
from harness.report.words import counted
from harness.survey.output import headline

EVIDENCE = "AttributeError: `np.float_` was removed in the NumPy 2.0 release."
STOPPED_AT = ">       assert np.float_(1.5) == 1.5"


def one_failing_cell() -> CellResult:
    failure = Failure("tests/t.py::test_alias", "numpy2-removed-name", EVIDENCE,
                      detail=f"{STOPPED_AT}\nE       {EVIDENCE}")  # fmt: skip
    return CellResult(Cell("py-with_numpy2.2.6", {"numpy": "==2.2.6"}), "fail",
                      Counts(passed=1, failed=1), versions={"python": "3.11.7", "numpy": "2.2.6"},
                      failures=[failure])  # fmt: skip


def test_counted_agrees_with_its_number():
    assert [counted(n, "cell") for n in (0, 1, 2)] == ["0 cells", "1 cell", "2 cells"]
    assert counted(1, "flaky test", "flaky tests") == "1 flaky test"


def test_compat_md_shows_the_evidence_once_and_the_line_pytest_stopped_at():
    passing = CellResult(Cell("py", {"numpy": "==1.26.4"}), "pass", Counts(passed=2),
                         versions={"python": "3.11.7", "numpy": "1.26.4"})  # fmt: skip
    page = render_markdown(reports.build([passing, one_failing_cell()], "/x/demo", [], False, {}))
    assert page.count("was removed in the NumPy 2.0 release") == 1, page
    assert STOPPED_AT in page
    assert "\n2 cells: 1 pass, 1 fail." in page


def test_a_suggestion_that_keeps_one_failing_cell_out_says_cell():
    said = reason({"excludes": ["py-with_numpy2.2.6"], "keeps": ["py"], "lost": [], "note": ""})
    assert said == "keeps out all 1 failing cell and keeps 1 of 1 passing"


def test_a_single_cell_report_says_1_cell():
    report = reports.build([one_failing_cell()], "/x/demo", [], False, {})
    assert "\n1 cell: 1 fail." in render_markdown(report)
    assert "<p>1 cell: 1 fail." in render_html(report) and "1 cell did not pass" in render_html(
        report
    )


def test_the_terminal_shows_the_evidence_once():
    shown = "\n".join(result_lines([one_failing_cell()]))
    assert shown.count("was removed in the NumPy 2.0 release") == 1 and STOPPED_AT in shown


def test_a_survey_of_one_project_says_1_project():
    doc = {"summary": {"projects": 1, "breaks": 1, "works": 0, "broken-regardless": 0,
                       "not-measurable": 0, "first_compatible_found": 0},
           "comparison": {"control": "numpy==1.26.4", "changes": ["numpy==2.2.6"]},
           "python": "3.11"}  # fmt: skip
    assert headline(doc).startswith("1 project, numpy==1.26.4 (control) against numpy==2.2.6")


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to parse the page's script")
def test_the_page_s_script_parses(tmp_path):
    """A Python string holding JavaScript turns ``'\\n'`` into a line break inside a JS string
    literal, a syntax error that stops the whole page: node parses the script as Chromium would."""
    (tmp_path / "page.js").write_text(SCRIPT)
    done = subprocess.run(["node", "--check", str(tmp_path / "page.js")], capture_output=True,
                          text=True, timeout=30)  # fmt: skip
    assert done.returncode == 0, done.stderr
