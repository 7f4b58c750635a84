"""``--junit FILE``: the cells as JUnit XML, the format CI test reporters read (GitLab's unit
test reports, Jenkins' junit step, GitHub's test-report actions: dorny/test-reporter,
mikepenz/action-junit-report, EnricoMi/publish-unit-test-result-action); ``schemas/junit.xsd``
says what of it we write.

One ``testsuite`` per cell, named for the cell (``ENV@probe`` for the stack checks; the gate
names its two ``baseline HEAD: ENV`` and ``proposed working tree: ENV``), its time the cell's
duration, its properties the cell's verdict, the Python that ran it (and the interpreter its
venv was made from, where the probe recorded it), its pins and installed versions. In it:

- one ``testcase`` per test id pytest reported in the cell (``junit_cases``): a failing test
  holds a ``failure`` (an ``error`` for an error in setup, teardown or collection), a skipped
  or xfailed one a ``skipped``; the others pass;
- one ``testcase`` for the env itself, named ``tox env``, in every suite, so that every suite
  has the same shape: it passes when the env was built and its commands ran without a problem
  outside the tests; it holds a ``failure`` (unsatisfiable pins, a crash, a session that did
  not finish) or an ``error`` (infrastructure, a timeout, no tests) naming the problem that
  decided the verdict otherwise. A cell that failed only through its tests fails only through
  its tests' cases: a gate with 5 broken tests shows 5 failing cases.

junitparser builds the tree and escapes the markup; what XML cannot hold at all (control
characters, lone surrogates) is written as Python escapes first; long texts are cut at a line.
"""

from __future__ import annotations

import io
from pathlib import Path

from junitparser import Error, JUnitXml, TestSuite
from junitparser import Failure as FailureElement

from harness.files import write_atomic
from harness.model import CRASH, FAIL, PASS, UNSATISFIABLE, CellResult, Failure
from harness.report import junit_cases as cases
from harness.report.compat import tests_text
from harness.report.junit_cases import Case, bounded, python_shown, xml
from harness.stages.classify import clean
from harness.store import result_key

ROOT = "harness"
ENV_CASE = "tox env"
FAILED = (FAIL, CRASH, UNSATISFIABLE)  # <failure>; the other verdicts but pass are <error>


def document(project_name: str, results: list, reports: Path = None) -> str:
    """The JUnit XML text of ``results`` (CellResult). ``reports``, the harness's folder, is
    where the cells' run folders are: what the probe recorded there (durations, lines, pytest's
    text) fills the test cases out; without it they hold what the results hold."""
    root = JUnitXml(ROOT)
    suites = [_suite(project_name, result, reports) for result in results]
    for suite in suites:
        root.add_testsuite(suite)
    root.update_statistics()  # counts and times from the cases; a cell's time is its duration
    for suite, result in zip(suites, results, strict=True):
        suite.time = round(result.duration_s, 3)
    root.time = round(sum(result.duration_s for result in results), 3)
    buffer = io.BytesIO()
    root.write(buffer)  # with its XML declaration, whichever etree junitparser found
    return buffer.getvalue().decode("utf-8")


def write(path: Path, project_name: str, results: list, reports: Path = None) -> None:
    """Write ``document`` to ``path``, whole or not at all."""
    write_atomic(Path(path), document(project_name, results, reports))


def _suite(project_name: str, result: CellResult, reports: Path) -> TestSuite:
    label = result_key(result)  # ENV, or ENV@probe for the stack checks
    found = cases.sessions(result, reports)
    suite = TestSuite(xml(label))
    for key, value in _properties(project_name, result, cases.python_executable(found)):
        suite.add_property(xml(key), xml(value))
    suite.add_testcase(_env_case(result, label))
    suite.add_testcases(cases.cases_of(result, label, found))
    if result.measured_at:
        suite.timestamp = xml(result.measured_at)
    return suite


def _properties(project_name: str, result: CellResult, executable: str) -> list:
    found = [("project", project_name), ("verdict", result.verdict),
             ("tests", tests_text(result)), ("python", python_shown(result))]  # fmt: skip
    found += [("python executable", executable)] if executable else []
    found += [(f"pin {name}", spec) for name, spec in result.cell.pins.items()]
    found += [(f"version {name}", version) for name, version in result.versions.items()
              if version and name != "python"]  # fmt: skip
    found += [("signatures", ", ".join(result.signature_counts()))] if result.failures else []
    return found + ([("log", result.log)] if result.log else [])


def _env_case(result: CellResult, label: str) -> Case:
    """The env's own case: the problem that decided the cell outside its tests, if any."""
    case = Case(ENV_CASE, xml(label), round(result.install_s or 0.0, 3))
    tests_explain = result.failures or any(
        o in ("failed", "error") for o in result.outcomes.values()
    )
    if result.problem is not None or (result.verdict != PASS and not tests_explain):
        problem = result.problem or Failure("cell", result.verdict, result.verdict)
        kind = FailureElement if result.verdict in FAILED else Error
        outcome = kind(xml(bounded(f"{problem.signature}: {clean(problem.evidence)}", 500)),
                       result.verdict)  # fmt: skip
        outcome.text = xml(bounded(_block(problem)))
        case.result = [outcome]
    case.system_out = xml(_about(result))
    return case


def _block(failure: Failure) -> str:
    where = f" in {failure.where}" if failure.where and failure.where != failure.test else ""
    lines = [f"{failure.test} [{failure.signature}]{where}", clean(failure.evidence)]
    if failure.message and failure.message not in failure.evidence:
        lines.append(clean(failure.message))
    return "\n".join(line for line in lines if line)


def _about(result: CellResult) -> str:
    """The cell's verdict, pins, versions, Python and log, for the env case's standard output."""
    pins = ", ".join(f"{name}{spec}" for name, spec in result.cell.pins.items())
    versions = ", ".join(
        f"{name} {version}" for name, version in result.versions.items()
        if version and name != "python"
    )  # fmt: skip
    lines = [
        f"verdict: {result.verdict} ({tests_text(result)})",
        f"pins: {pins}" if pins else "",
        f"python: {python_shown(result)}",
        f"versions: {versions}" if versions else "",
        f"log: {result.log}" if result.log else "",
    ]
    return "\n".join(line for line in lines if line)
