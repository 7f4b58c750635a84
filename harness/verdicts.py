"""Turn what a cell left behind into a verdict with classified failures. Pure: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass

from .cells import (
    CRASH,
    FAIL,
    INFRA_ERROR,
    NO_TESTS,
    PASS,
    TIMEOUT,
    UNSATISFIABLE,
    Cell,
    CellResult,
    Failure,
)  # fmt: skip
from .classify import classify, failure, forced, setup_failure
from .collect import Journal, count, device, versions
from .signatures import BUILTIN, by_id
from .signatures import INCOMPATIBILITY as INCOMPATIBILITY_KIND
from .signatures import UNSATISFIABLE as UNSATISFIABLE_KIND


@dataclass
class Evidence:
    """Everything known about one finished cell."""

    lock_problem: Failure = None
    timed_out: bool = False
    duration_s: float = 0.0
    timeout_s: float = 0.0
    cases: list = None  # JUnit test cases; None when no JUnit file was written
    coverage: float = None
    journal: Journal = None
    probe: dict = None
    log: str = ""


def decide(cell: Cell, evidence: Evidence, table: tuple = BUILTIN) -> CellResult:
    result = CellResult(cell=cell, verdict=INFRA_ERROR, duration_s=round(evidence.duration_s, 2))
    result.versions = versions(evidence.journal, evidence.probe)
    result.device = device(evidence.probe)
    result.coverage = evidence.coverage
    if evidence.journal:
        result.install_s, result.test_s = evidence.journal.install_s, evidence.journal.test_s
    signatures = by_id(table)
    if evidence.lock_problem:
        result.problem = evidence.lock_problem
        kind = signatures[evidence.lock_problem.signature].kind
        result.verdict = UNSATISFIABLE if kind == UNSATISFIABLE_KIND else INFRA_ERROR
        return result
    if evidence.timed_out:
        limit = f"harness: cell timed out after {evidence.timeout_s:.0f}s"
        result.problem = forced("cell", signatures["timeout"], limit, _last_lines(evidence.log))
        result.verdict = TIMEOUT
        return result
    journal = evidence.journal
    if journal is None or not journal.setup_ok or not journal.test_retcodes:
        return _setup_failed(result, evidence, table)
    retcode = journal.test_retcodes[-1]
    if evidence.cases is None or (retcode is not None and retcode < 0):
        return _crashed(result, evidence, retcode, table)
    result.tests = count(evidence.cases)
    result.failures = [
        failure(case.id, f"{case.message}\n{case.text}", case.message, table)
        for case in evidence.cases
        if case.outcome in ("failed", "error")
    ]
    if result.tests.ran == 0:
        result.verdict = NO_TESTS
        result.problem = forced(
            "pytest", signatures["no-tests"], f"pytest exit {retcode}: no test ran"
        )
    elif result.failures:
        result.verdict = FAIL
    elif retcode != 0:
        result.verdict = FAIL
        result.problem = failure(
            "pytest", evidence.log, f"pytest exit {retcode} with no failing test", table
        )
    else:
        result.verdict = PASS
    return result


def _setup_failed(result: CellResult, evidence: Evidence, table: tuple) -> CellResult:
    """tox never got to the tests: resolution, network, interpreter or config trouble."""
    result.problem = setup_failure("install", evidence.log, _last_lines(evidence.log), table)
    unsatisfiable = by_id(table)[result.problem.signature].kind == UNSATISFIABLE_KIND
    result.verdict = UNSATISFIABLE if unsatisfiable else INFRA_ERROR
    return result


def _crashed(result: CellResult, evidence: Evidence, retcode, table: tuple) -> CellResult:
    """pytest died by a signal, or left no JUnit file behind."""
    signatures = by_id(table)
    signature, line = classify(evidence.log, table)
    if retcode is not None and retcode < 0:
        if signature.id != "crash-signal":
            signature, line = (
                signatures["crash-signal"],
                f"test command killed by signal {-retcode}",
            )
        result.verdict = CRASH
    elif retcode == 0:
        signature, line = (
            signatures["no-tests"],
            "no JUnit report: the env's commands ran no pytest",
        )
        result.verdict = NO_TESTS
    elif signature.kind == INCOMPATIBILITY_KIND and signature.id != "other":
        result.verdict = CRASH if signature.id == "crash-signal" else FAIL
    else:
        result.verdict = INFRA_ERROR  # unexplained: never reported as an incompatibility
    result.problem = forced("pytest", signature, line, _last_lines(evidence.log))
    if evidence.cases:
        result.tests = count(evidence.cases)
    return result


def _last_lines(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
