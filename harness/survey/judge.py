"""A project's outcome from its cells' results: the control and each changed cell. Pure: no I/O.

A test *breaks* when it fails (or errors) in a changed cell and did not fail in the control:
it passed there, was skipped, or did not exist under that id (a collection error of a module
whose tests ran in the control, a parametrized id that printed differently). A module or
folder that already failed to collect in the control covers the tests inside it. A changed cell that
crashes, or whose commands went wrong in a way the control's did not, breaks as a whole
(``(the cell)``).

- ``breaks``: some test breaks in some changed cell, whatever the control did;
- ``broken-regardless``: nothing breaks, but the control fails too (the tests that differ
  are listed: the ones only the control fails);
- ``works``: nothing breaks and the control passes;
- ``not-measurable``: the control or a changed cell was not measured (it could not be
  installed or built, it timed out, it ran no test), or no test passed in the control (its
  test setup is broken today: nothing to compare a change with); the reason names the cell
  and its evidence. Never counted as an incompatibility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.model import (
    CRASH,
    FAIL,
    INFRA_ERROR,
    NO_TESTS,
    PASS,
    TIMEOUT,
    UNSATISFIABLE,
    CellResult,
)  # fmt: skip
from harness.survey import row as rows

MEASURED = (PASS, FAIL, CRASH)
FAILING = ("failed", "error")
WHOLE_CELL = "(the cell)"
BUILD_WORDS = ("build", "backend", "setup.py", "metadata-generation", "egg_info", ".pkg")


@dataclass
class BrokenTest:
    """A test that fails in a changed cell and did not fail in the control."""

    test: str
    cell: str
    now: str  # failed, error, or the cell's verdict for WHOLE_CELL
    signature: str = ""
    evidence: str = ""


@dataclass
class Outcome:
    outcome: str
    reason: str = ""
    reason_kind: str = ""
    broken: list = field(default_factory=list)  # BrokenTest
    fixed: list = field(default_factory=list)  # {test, cell}: failing in the control only


def _collected_in_failing(control: CellResult, test: str) -> bool:
    """Whether a folder or module holding ``test`` failed to collect in the control."""
    parts = test.split("::")[0].split("/")
    return any(
        control.outcomes.get("/".join(parts[:n])) in FAILING for n in range(1, len(parts) + 1)
    )


def broken_tests(control: CellResult, change: CellResult) -> list:
    """What breaks in ``change``, read against ``control`` (both measured)."""
    failures = {f.test: f for f in change.failures}
    found = []
    for test, now in sorted(change.outcomes.items()):
        if now not in FAILING:
            continue
        before = control.outcomes.get(test)
        if before in FAILING or (before is None and _collected_in_failing(control, test)):
            continue  # it failed already, or its whole module did
        why = failures.get(test)
        found.append(
            BrokenTest(
                test, change.cell.name, now, *((why.signature, why.evidence) if why else ("", ""))
            )
        )
    problem = change.problem
    same = (
        control.problem is not None
        and problem is not None
        and control.problem.signature == problem.signature
    )
    if (change.verdict == CRASH and control.verdict != CRASH) or (problem is not None and not same):
        found.insert(0, BrokenTest(WHOLE_CELL, change.cell.name, change.verdict,
                                   problem.signature if problem else "",
                                   problem.evidence if problem else ""))  # fmt: skip
    if not found and control.verdict == PASS and change.verdict != PASS:
        found.append(BrokenTest(WHOLE_CELL, change.cell.name, change.verdict))  # nothing named why
    return found


def fixed_tests(control: CellResult, change: CellResult) -> list:
    """Tests that fail in the control and pass in ``change``: they differ too."""
    return [
        {"test": test, "cell": change.cell.name}
        for test, before in sorted(control.outcomes.items())
        if before in FAILING and change.outcomes.get(test) == "passed"
    ]


def unmeasured(result: CellResult, role: str) -> tuple:
    """``(reason_kind, reason)`` for a cell that was not measured."""
    problem = result.problem
    evidence = problem.evidence if problem else ""
    text = f"{role} cell {result.cell.name}: {result.verdict}" + (
        f" ({problem.signature}): {evidence}" if problem else ""
    )
    if result.verdict == UNSATISFIABLE:
        return rows.UNSATISFIABLE_PINS, text
    if result.verdict == TIMEOUT:
        return rows.TIMED_OUT, text
    if result.verdict == NO_TESTS:
        return rows.NO_TESTS_RAN, text
    if "No space left on device" in f"{evidence} {problem.message if problem else ''}":
        return rows.DISK, text
    if problem is not None and problem.signature == "python-missing":
        return rows.PYTHON_MISSING, text
    if result.verdict == INFRA_ERROR and not result.tests.ran:
        words = f"{problem.test if problem else ''} {evidence}".lower()
        built = any(word in words for word in BUILD_WORDS)
        return (rows.BUILD_FAILURE if built else rows.INSTALL_FAILURE), text
    return (
        rows.NETWORK if problem and problem.signature == "install-network" else rows.INTERNAL,
        text,
    )


def _nothing_passed(control: CellResult) -> str:
    first = control.problem or next(iter(control.failures), None)
    why = f" ({first.signature}): {first.evidence}" if first else ""
    return f"no test passed in the control cell {control.cell.name}: {control.verdict}{why}"


def judge(control: CellResult, changes: list) -> Outcome:
    """The project's outcome: ``control`` (the first ``--with``) against each changed cell."""
    if control.verdict not in MEASURED:
        return Outcome(rows.NOT_MEASURABLE, *reversed(unmeasured(control, "control")))
    if not control.tests.passed:  # nothing to compare a change with
        return Outcome(rows.NOT_MEASURABLE, _nothing_passed(control), rows.NO_TESTS_RAN)
    for change in changes:
        if change.verdict not in MEASURED:
            return Outcome(rows.NOT_MEASURABLE, *reversed(unmeasured(change, "changed")))
    broken = [b for change in changes for b in broken_tests(control, change)]
    fixed = [f for change in changes for f in fixed_tests(control, change)]
    if broken:
        tests = sum(b.test != WHOLE_CELL for b in broken)
        cells = sorted({b.cell for b in broken})
        what = (
            f"{tests} test(s) that did not fail in the control fail" if tests else "the cell fails"
        )
        fewer = [f"{c.cell.name} ran {c.tests.ran} test(s) of the control's {control.tests.ran}"
                 for c in changes if c.tests.ran < control.tests.ran]  # fmt: skip
        reason = "; ".join([f"{what} in {', '.join(cells)}", *fewer])
        return Outcome(rows.BREAKS, reason, "", broken, fixed)
    if control.verdict != PASS:
        failing = sum(1 for o in control.outcomes.values() if o in FAILING)
        return Outcome(rows.BROKEN_REGARDLESS,
                       f"the control {control.verdict}s too ({failing} failing); nothing more fails "
                       "with the change", "", [], fixed)  # fmt: skip
    return Outcome(rows.WORKS, "every changed cell passes, as the control does")


def step_verdict(control: CellResult, changes: list) -> str:
    """A release's verdict for ``--first-compatible``: FAIL when something breaks with a change;
    PASS when nothing does (its control may fail too, or be uninstallable where the release
    needs the change); else the verdict of a cell that was not measured (the search drops it)."""
    verdicts = []
    for change in changes:
        if change.verdict not in MEASURED:
            verdicts.append(change.verdict)
        elif change.verdict == PASS:
            verdicts.append(PASS)
        elif control.verdict not in MEASURED:
            verdicts.append(control.verdict)  # the change fails; nothing says it did not before
        elif not control.tests.passed:
            verdicts.append(NO_TESTS)  # nor when nothing passed before it
        else:
            verdicts.append(FAIL if broken_tests(control, change) else PASS)
    if FAIL in verdicts:
        return FAIL
    return next((v for v in verdicts if v != PASS), PASS)
