"""A cell's failing tests run once more before they count (harness/stages/confirm.py)."""

import json
import os
from dataclasses import replace
from pathlib import Path

import jsonschema
from junitparser import JUnitXml
from lxml import etree

from harness.model import FAIL, PASS, Cell, CellResult, Counts, Failure
from harness.report import compat as reports
from harness.report import junit
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.stages import confirm
from harness.stages.classify import explain
from harness.stages.pipeline import default_jobs
from harness.stages.verdicts import decide

from .conftest import recorded_cell, recorded_evidence

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "harness/schemas/compat.schema.json").read_text()
)


def test_tests_that_pass_on_their_re_run_are_flaky_not_failures(recorded):
    directory = recorded("torch21-numpy22")  # 15 tests fail with the numpy bridge
    cell, evidence = recorded_cell(directory), recorded_evidence(directory)
    first = decide(cell, evidence)
    asked, note = confirm.wanted(first)
    assert len(asked) == 15 and note == "" and asked == sorted({f.test for f in first.failures})
    evidence.asked, evidence.again = asked, {test: "failed" for test in asked[3:]}
    evidence.again.update({test: "passed" for test in asked[:2]})  # asked[2]: not reported
    result = decide(cell, evidence)
    assert result.verdict == FAIL and result.flaky == asked[:2]
    assert {result.outcomes[t] for t in asked[:2]} == {"flaky"}
    assert (result.tests.passed, result.tests.failed) == (first.tests.passed + 2, 13)
    assert asked[2] in {f.test for f in result.failures}  # unconfirmed: still counted
    assert result.confirmation == ("re-ran 15 failing test(s); 2 passed (flaky); 12 failed "
                                   "again; 1 not reported by the re-run (unconfirmed, still "
                                   "counted)")  # fmt: skip
    evidence.again = {test: "passed" for test in asked}  # every one passed: the cell passes
    assert decide(cell, evidence).verdict == PASS


def test_what_is_not_re_run(recorded):
    crashed = decide(*_cell_and_evidence(recorded, "pkg24-crash"))
    assert confirm.wanted(crashed) == ([], "")  # a crash is not a failing test
    broken = decide(*_cell_and_evidence(recorded, "broken-conftest"))
    assert confirm.wanted(broken)[0] == []
    many = decide(*_cell_and_evidence(recorded, "torch21-numpy22"))
    many.failures = [replace(f, test=f"tests/t.py::test_{n}")
                     for n, f in enumerate(many.failures * 2)]  # fmt: skip
    assert confirm.wanted(many) == ([], "failing tests not re-run: 30 failed, more than the 20 "
                                        "re-run")  # fmt: skip


def _cell_and_evidence(recorded, name):
    directory = recorded(name)
    return recorded_cell(directory), recorded_evidence(directory)


ALLCLOSE = """    def test_close():
>       np.testing.assert_allclose(a, b, rtol=1e-12)

tests/test_t.py:3:
_ _ _ _ _ _ _ _ _ _

    def inner(*args, **kwds):
>           return func(*args, **kwds)
E           AssertionError:
E           Not equal to tolerance rtol=1e-12, atol=0
E
E           Mismatched elements: 1 / 3 (33.3%)
E           Max absolute difference: 7.82001131e-11
E            x: array([1., 2., 3.])

contextlib.py:81: AssertionError"""


def test_evidence_quotes_what_pytest_printed_under_the_failure():
    detail = explain(ALLCLOSE)
    assert detail.splitlines() == [
        ">       np.testing.assert_allclose(a, b, rtol=1e-12)",
        ">           return func(*args, **kwds)",
        "E           AssertionError:",
        "E           Not equal to tolerance rtol=1e-12, atol=0",
        "E           Mismatched elements: 1 / 3 (33.3%)",
        "E           Max absolute difference: 7.82001131e-11",
        "E            x: array([1., 2., 3.])",
    ]
    cut = explain(ALLCLOSE, limit=200)  # cut between lines, and says so
    assert cut.splitlines()[-1] == "[... 3 more line(s); the cell's log has them]"
    assert all(line in ALLCLOSE for line in cut.splitlines()[:-1])


def test_without_a_thread_cap_one_cell_runs_at_a_time():
    cores = os.cpu_count() or 1
    assert default_jobs() == 1  # each cell's numeric libraries may take every core
    assert default_jobs(threads=1) == min(cores, default_jobs(threads=1))
    assert default_jobs(threads=cores) == 1 and default_jobs(threads=1) >= 1


def test_the_reports_show_flaky_tests_the_re_run_the_cap_and_the_detail(recorded):
    directory = recorded("torch21-numpy22")
    cell, evidence = recorded_cell(directory), recorded_evidence(directory)
    evidence.asked, _ = confirm.wanted(decide(cell, evidence))
    evidence.again = {test: "passed" for test in evidence.asked[:1]}
    evidence.provenance.threads, evidence.provenance.notices = 2, ["[tox] requires x left out"]
    result = decide(cell, evidence)
    report = json.loads(json.dumps(reports.build([result], "/x/lib", [], False, {})))
    jsonschema.validate(report, SCHEMA)
    (stored,) = report["cells"]
    assert stored["flaky"] == evidence.asked[:1] and stored["threads"] == 2
    assert (
        stored["failures"][0]["detail"].startswith(">") and "E " in stored["failures"][0]["detail"]
    )
    markdown = render_markdown(report)
    assert (
        f"flaky (failed, then passed on a re-run; not counted as failing): {evidence.asked[0]}"
        in markdown
    )
    assert (
        "- threads capped at 2 per cell" in markdown and "- [tox] requires x left out" in markdown
    )
    assert "re-ran 15 failing test(s); 1 passed (flaky); 0 failed again" in markdown
    assert "```\n>" in markdown  # pytest's failing line and E lines, fenced
    page = render_html(report)
    assert "c.flaky" in page and "f.detail" in page and "c.notices" in page


def test_junit_shows_a_flaky_test_as_a_pass_that_says_so(recorded, tmp_path):
    directory = recorded("torch21-numpy22")
    cell, evidence = recorded_cell(directory), recorded_evidence(directory)
    evidence.asked, _ = confirm.wanted(decide(cell, evidence))
    evidence.again = {test: "passed" for test in evidence.asked[:1]}
    result = decide(cell, evidence)
    junit.write(tmp_path / "junit.xml", "p", [result])
    flaky = evidence.asked[0].rpartition("::")[2]
    (case,) = [c for s in JUnitXml.fromfile(str(tmp_path / "junit.xml")) for c in s
               if c.name == flaky]  # fmt: skip
    assert case.is_passed and case.system_out.startswith("flaky: failed, then passed")
    xsd = etree.XMLSchema(etree.parse(str(Path(junit.__file__).parents[1] / "schemas/junit.xsd")))
    assert xsd.validate(etree.parse(str(tmp_path / "junit.xml")))


def test_a_re_run_that_ran_more_than_it_was_given_says_so_without_guessing_why():
    result = CellResult(Cell("py", {}), FAIL, Counts(passed=1, failed=1),
                        failures=[Failure("tests/t.py::test_a", "assertion", "AssertionError")])  # fmt: skip
    confirm.settle(
        result,
        ["tests/t.py::test_a"],
        {"tests/t.py::test_a": "failed", "tests/t.py::test_b": "passed"},
    )
    assert result.confirmation.startswith(
        "re-ran 1 failing test(s) (1 other test(s) ran too: the env's commands run more than the "
        "ids they are given); 0 passed (flaky); 1 failed again"
    )
