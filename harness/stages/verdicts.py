"""Turn what a cell left behind into a verdict with classified failures. Pure: no I/O here.

Only ``pass`` is a pass: every command of the env ran, every pytest session in it finished,
some test ran, and no test failed, in any command, whether or not tox ignored its exit code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from harness.model import (
    CRASH,
    FAIL,
    INFRA_ERROR,
    NO_TESTS,
    PASS,
    TIMEOUT,
    UNSATISFIABLE,
    Cell,
    CellResult,
    Counts,
    Failure,
    Provenance,
)  # fmt: skip
from harness.stages import confirm
from harness.stages.classify import forced, setup_failure
from harness.stages.collect import Journal, device, versions
from harness.stages.invocations import join
from harness.stages.signatures import BUILTIN, by_id
from harness.stages.signatures import INFRASTRUCTURE as INFRASTRUCTURE_KIND
from harness.stages.signatures import UNSATISFIABLE as UNSATISFIABLE_KIND

NOT_MEASURED_KINDS = (INFRASTRUCTURE_KIND, UNSATISFIABLE_KIND)


@dataclass
class Evidence:
    """Everything known about one finished cell."""

    lock_problem: Failure = None  # the cell could not be locked, or has no interpreter
    timed_out: bool = False
    duration_s: float = 0.0
    timeout_s: float = 0.0
    journal: Journal = None
    sessions: list = field(default_factory=list)  # collect.Session, in start order
    log: str = ""
    provenance: Provenance = field(default_factory=Provenance)
    asked: list = field(default_factory=list)  # failing tests run again (confirm.wanted)
    again: dict = field(default_factory=dict)  # their outcomes on that re-run
    unconfirmed: str = ""  # why the failing tests were not run again


def decide(cell: Cell, evidence: Evidence, table: tuple = BUILTIN) -> CellResult:
    """The cell's finished result: its verdict, counts and evidence, with its provenance."""
    made = {k: copy.copy(v) for k, v in vars(evidence.provenance).items()}
    result = CellResult(cell=cell, verdict=INFRA_ERROR, duration_s=round(evidence.duration_s, 2),
                        **made)  # fmt: skip
    if evidence.journal:
        result.install_s, result.test_s = evidence.journal.install_s, evidence.journal.test_s
    signatures = by_id(table)
    if evidence.lock_problem:
        result.problem = evidence.lock_problem
        kind = signatures[evidence.lock_problem.signature].kind
        result.verdict = UNSATISFIABLE if kind == UNSATISFIABLE_KIND else INFRA_ERROR
        return result
    measured = join(cell, evidence.journal, evidence.sessions, table)
    result.invocations, result.failures = measured.invocations, measured.failures
    result.outcomes = measured.outcomes
    result.tests = sum((i.tests for i in measured.invocations), Counts())
    result.versions = versions(evidence.journal, measured.facts, tuple(cell.pins))
    result.device = device(measured.facts)
    covered = [i.coverage for i in measured.invocations if i.coverage is not None]
    result.coverage = covered[-1] if covered else None
    if evidence.timed_out:
        limit = f"harness: cell timed out after {evidence.timeout_s:.0f}s"
        result.problem = forced("cell", signatures["timeout"], limit, _last_lines(evidence.log))
        result.verdict = TIMEOUT
        return result
    journal = evidence.journal
    if journal is None or not journal.setup_ok:
        return _setup_failed(result, evidence, table)
    if not result.invocations and any(cell.commands.values()):
        return _setup_failed(result, evidence, table)  # tox skipped them: say why, from its log
    result.problem = measured.decisive[0] if measured.decisive else None
    confirm.settle(result, evidence.asked, evidence.again)
    result.confirmation = result.confirmation or evidence.unconfirmed
    if measured.crash:
        result.problem, result.verdict = measured.crash, CRASH
        return result
    blamed = result.failures + measured.decisive
    measurable = [f for f in blamed if signatures[f.signature].kind not in NOT_MEASURED_KINDS]
    if measurable:
        result.verdict = FAIL
    elif blamed:
        result.verdict = INFRA_ERROR  # only infrastructure went wrong: nothing was measured
        result.problem = result.problem or result.failures[0]
    elif result.tests.ran == 0:
        result.verdict = NO_TESTS
        why = _why_no_tests(result)
        result.problem = forced("pytest", signatures["no-tests"], why)
    else:
        result.verdict = PASS
    return result


def _why_no_tests(result: CellResult) -> str:
    if not result.invocations:
        return "the env has no commands"
    if not any(i.is_pytest for i in result.invocations):
        return "no pytest session ran in the env's commands"
    return "pytest ran no test: " + (
        "it collected nothing" if result.tests.total == 0 else "every test was skipped"
    )


def _setup_failed(result: CellResult, evidence: Evidence, table: tuple) -> CellResult:
    """tox never got to the tests: resolution, network, interpreter or config trouble."""
    text = (evidence.journal.setup_output if evidence.journal else "") + "\n" + evidence.log
    result.problem = setup_failure("install", text, _last_lines(evidence.log), table)
    unsatisfiable = by_id(table)[result.problem.signature].kind == UNSATISFIABLE_KIND
    result.verdict = UNSATISFIABLE if unsatisfiable else INFRA_ERROR
    return result


def _last_lines(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
