"""``--junit FILE``: the cells as JUnit XML, the format CI test reporters read (GitLab's unit
test reports, Jenkins' junit step, GitHub's test-report actions); ``schemas/junit.xsd`` says
what of it we write.

One ``testsuite`` named ``harness``, one ``testcase`` per cell: classname the project (its
folder's name), name the cell, time the cell's duration. A cell that failed, crashed or is
unsatisfiable holds a ``failure`` whose message is its signatures and whose text is a block
per failing test (its id, signature, command, evidence); a cell that was not measured
(infra-error, timeout, no tests) holds an ``error`` naming its problem; a passing cell holds
neither. junitparser builds the tree and escapes the markup; what XML cannot hold at all
(control characters, lone surrogates) is written as Python escapes first.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from junitparser import Error, JUnitXml, TestCase, TestSuite
from junitparser import Failure as FailureElement

from harness.files import write_atomic
from harness.model import CRASH, FAIL, UNSATISFIABLE, CellResult, Failure
from harness.report.compat import tests_text
from harness.stages.classify import clean

SUITE = "harness"
FAILED = (FAIL, CRASH, UNSATISFIABLE)  # <failure>; the other verdicts but pass are <error>
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def document(project_name: str, results: list) -> str:
    """The JUnit XML text of ``results`` (CellResult), one test case per cell."""
    suite = TestSuite(SUITE)
    suite.add_testcases([_case(project_name, result) for result in results])
    root = JUnitXml(SUITE)
    root.add_testsuite(suite)
    root.update_statistics()
    buffer = io.BytesIO()
    root.write(buffer)  # with its XML declaration, whichever etree junitparser found
    return buffer.getvalue().decode("utf-8")


def write(path: Path, project_name: str, results: list) -> None:
    """Write ``document`` to ``path``, whole or not at all."""
    write_atomic(Path(path), document(project_name, results))


def _case(project_name: str, result: CellResult) -> TestCase:
    case = TestCase(_xml(result.cell.name), _xml(project_name), round(result.duration_s, 3))
    signatures = ", ".join(result.signature_counts()) or result.verdict
    if result.verdict in FAILED:
        outcome = FailureElement(_xml(signatures), result.verdict)
    elif result.verdict != "pass":
        outcome = Error(_xml(signatures), result.verdict)
    else:
        outcome = None
    if outcome is not None:
        outcome.text = _xml(_body(result))
        case.result = [outcome]
    case.system_out = _xml(_about(result))
    return case


def _body(result: CellResult) -> str:
    """A block per failing test, the problem that stopped the cell first when it is not one."""
    shown = list(result.failures)
    if result.problem and result.problem not in shown:
        shown.insert(0, result.problem)
    return "\n\n".join(map(_block, shown)) or f"{result.cell.name}: {result.verdict}"


def _block(failure: Failure) -> str:
    where = f" in {failure.where}" if failure.where and failure.where != failure.test else ""
    lines = [f"{failure.test} [{failure.signature}]{where}", clean(failure.evidence)]
    if failure.message and failure.message not in failure.evidence:
        lines.append(clean(failure.message))
    return "\n".join(line for line in lines if line)


def _about(result: CellResult) -> str:
    """The cell's pins, versions, tests and log, for the case's standard output."""
    pins = ", ".join(f"{name}{spec}" for name, spec in result.cell.pins.items())
    versions = ", ".join(
        f"{name} {version}" for name, version in result.versions.items() if version
    )
    lines = [
        f"verdict: {result.verdict} ({tests_text(result)})",
        f"pins: {pins}" if pins else "",
        f"versions: {versions}" if versions else "",
        f"python: {result.interpreter}" if result.interpreter else "",
        f"log: {result.log}" if result.log else "",
    ]
    return "\n".join(line for line in lines if line)


def _xml(text: str) -> str:
    """``text`` as XML 1.0 can hold it: a character it cannot (a control character, a lone
    surrogate) written as its Python escape, ``\\x1b``."""
    return NOT_XML.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))
