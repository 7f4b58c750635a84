"""A cell read against a control cell: the tests that fail only outside the control, and the
ones that fail only in it. Pure: no I/O. A survey's row (``survey.judge``) and the compatibility
report's view of a run with a control (``report.compat``) share it.

A test *breaks* when it fails (or errors) in a changed cell and did not fail in the control:
it passed there, was skipped, or did not exist under that id (a collection error of a module
whose tests ran in the control, a parametrized id that printed differently). A module or
folder that already failed to collect in the control covers the tests inside it. A changed cell that
crashes, or whose commands went wrong in a way the control's did not, breaks as a whole
(``(the cell)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import ConfigError
from harness.model import CRASH, FAIL, PASS, CellResult

MEASURED = (PASS, FAIL, CRASH)
FAILING = ("failed", "error")
WHOLE_CELL = "(the cell)"


@dataclass
class BrokenTest:
    """A test that fails in a changed cell and did not fail in the control."""

    test: str
    cell: str
    now: str  # failed, error, or the cell's verdict for WHOLE_CELL
    signature: str = ""
    evidence: str = ""


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


def checked(name: str, known) -> str:
    """``name`` when it names one of the ``known`` cells, else a ConfigError (exit 2) naming
    them, in one line."""
    known = sorted(set(known))
    if name not in known:
        raise ConfigError(
            f"--control {name!r} is not a cell of this run or report; known cells: "
            + (", ".join(known) or "none")
        )
    return name


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def view(control: CellResult, results: list) -> dict:
    """What compat.json records of a run with a control: for each other cell (of the control's
    mode), the tests that fail only there (id, outcome, signature, the evidence's first line;
    ``(the cell)`` first when it broke as a whole) with the tests' signatures counted, and the
    tests that fail only in the control. A cell that
    was not measured, or a control that was not, compares nothing (``measured``: false)."""
    changes = []
    for result in results:
        if result.cell.name == control.cell.name or result.mode != control.mode:
            continue
        measured = control.verdict in MEASURED and result.verdict in MEASURED
        broken = broken_tests(control, result) if measured else []
        signatures: dict = {}
        for entry in broken:
            if entry.signature and entry.test != WHOLE_CELL:
                signatures[entry.signature] = signatures.get(entry.signature, 0) + 1
        changes.append({
            "cell": result.cell.name, "verdict": result.verdict, "measured": measured,
            "broken": [{"test": b.test, "now": b.now, "signature": b.signature,
                        "evidence": _first_line(b.evidence)} for b in broken],
            "signatures": signatures,
            "fixed": [f["test"] for f in fixed_tests(control, result)] if measured else [],
        })  # fmt: skip
    return {"cell": control.cell.name, "verdict": control.verdict,
            "measured": control.verdict in MEASURED, "changes": changes}  # fmt: skip
