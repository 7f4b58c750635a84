"""A project's outcome from its cells' results: the control and each changed cell. Pure: no I/O.

What breaks is read as ``harness.control`` reads a cell against its control (a test that
fails in a changed cell and did not fail in the control; a cell that crashes, or whose
commands went wrong as the control's did not, as a whole: ``(the cell)``).

- ``breaks``: some test breaks in some changed cell, whatever the control did; when the
  changed cells ran twice (``again``), only a test that broke in both runs counts: one that
  broke in one run of two is ``flaky`` (a timing test on a loaded machine), listed, not counted;
- ``broken-regardless``: nothing breaks, but the control fails too and so does some changed
  cell (the tests that differ are listed: the ones only the control fails);
- ``works``: nothing breaks, and every changed cell passes (a control that fails some tests
  which pass with the change is named in the reason: the change broke nothing);
- ``not-measurable``: the control or a changed cell was not measured (it could not be
  installed or built, it timed out, it ran no test), or no test passed in the control (its
  test setup is broken today: nothing to compare a change with); the reason names the cell
  and its evidence. Never counted as an incompatibility.

A break's reason also names the packages whose locked versions moved with the change besides
its own pins (``moved``): a numpy 2 cell's lock may carry a newer pandas that needs numpy 2,
and the reader must see that the comparison mixes the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from harness.control import (
    FAILING,
    MEASURED,
    WHOLE_CELL,
    BrokenTest,
    broken_tests,
    fixed_tests,
)  # fmt: skip
from harness.model import (
    FAIL,
    INFRA_ERROR,
    NO_TESTS,
    PASS,
    TIMEOUT,
    UNSATISFIABLE,
    CellResult,
)  # fmt: skip
from harness.survey import row as rows

BUILD_WORDS = ("build", "backend", "setup.py", "metadata-generation", "egg_info", ".pkg")


@dataclass
class Outcome:
    outcome: str
    reason: str = ""
    reason_kind: str = ""
    broken: list = field(default_factory=list)  # BrokenTest
    fixed: list = field(default_factory=list)  # {test, cell}: failing in the control only
    flaky: list = field(default_factory=list)  # BrokenTest that broke in one run of two


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


def moved(control_lock: set, change_lock: set, pinned) -> dict:
    """``{name: [control's version, change's version]}`` (None: not in that lock) for each
    package of the two locks (``{(name, version)}``) that differs, the change's pins aside."""
    before, after = dict(control_lock), dict(change_lock)
    own = {canonicalize_name(name) for name in pinned}
    return {name: [before.get(name), after.get(name)] for name in sorted({*before, *after})
            if name not in own and before.get(name) != after.get(name)}  # fmt: skip


def _moved_note(cells: list, moved_with: dict) -> list:
    return [f"{cell}'s lock also moves " + ", ".join(
                f"{name} {old or '(none)'} -> {new or '(none)'}" for name, (old, new) in found.items())
            for cell in cells if (found := moved_with.get(cell))]  # fmt: skip


def judge(control: CellResult, changes: list, again: list = None, moved_with: dict = None
          ) -> Outcome:  # fmt: skip
    """The project's outcome: ``control`` (the first ``--with``) against each changed cell;
    ``again``: the changed cells run a second time, to tell a break from a flaky test;
    ``moved_with``: ``{changed cell: moved(...)}``, named beside a break."""
    if control.verdict not in MEASURED:
        return Outcome(rows.NOT_MEASURABLE, *reversed(unmeasured(control, "control")))
    if not control.tests.passed:  # nothing to compare a change with
        return Outcome(rows.NOT_MEASURABLE, _nothing_passed(control), rows.NO_TESTS_RAN)
    for change in changes:
        if change.verdict not in MEASURED:
            return Outcome(rows.NOT_MEASURABLE, *reversed(unmeasured(change, "changed")))
    broken = [b for change in changes for b in broken_tests(control, change)]
    fixed = [f for change in changes for f in fixed_tests(control, change)]
    broken, flaky = _repeated(control, broken, again)
    flaky += _confirmed_flaky(control, changes, flaky)
    if broken:
        tests = sum(b.test != WHOLE_CELL for b in broken)
        cells = sorted({b.cell for b in broken})
        what = (
            f"{tests} test(s) that did not fail in the control fail" if tests else "the cell fails"
        )
        fewer = [f"{c.cell.name} ran {c.tests.ran} test(s) of the control's {control.tests.ran}"
                 for c in changes if c.tests.ran < control.tests.ran]  # fmt: skip
        reason = "; ".join([f"{what} in {', '.join(cells)}", *fewer,
                            *_moved_note(cells, moved_with or {}), *_flaky_note(flaky)])  # fmt: skip
        return Outcome(rows.BREAKS, reason, "", broken, fixed, flaky)
    if control.verdict != PASS and all(c.verdict == PASS for c in changes):
        return Outcome(rows.WORKS, "; ".join([_fixed_note(control, changes, fixed),
                                              *_flaky_note(flaky)]), "", [], fixed, flaky)  # fmt: skip
    if control.verdict != PASS:
        failing = sum(1 for o in control.outcomes.values() if o in FAILING)
        reason = "; ".join([f"the control {control.verdict}s too ({failing} failing); nothing more "
                            "fails with the change", *_flaky_note(flaky)])  # fmt: skip
        return Outcome(rows.BROKEN_REGARDLESS, reason, "", [], fixed, flaky)
    if flaky:
        return Outcome(rows.WORKS, "; ".join(["nothing breaks twice with the change",
                                              *_flaky_note(flaky)]), "", [], fixed, flaky)  # fmt: skip
    return Outcome(rows.WORKS, "every changed cell passes, as the control does")


def _fixed_note(control: CellResult, changes: list, fixed: list) -> str:
    """A failing control beside changed cells that all pass: the change broke nothing."""
    with_ = " and ".join(" ".join(f"{n}{s}" for n, s in c.cell.pins.items()) or c.cell.name
                         for c in changes)  # fmt: skip
    failing = sorted(t for t, o in control.outcomes.items() if o in FAILING)
    if not failing:  # its commands went wrong, not a test
        return f"the control {control.verdict}s; every cell passes with {with_}"
    passing = sorted({f["test"] for f in fixed})
    named = ", ".join(passing[:3]) + (f" and {len(passing) - 3} more" if len(passing) > 3 else "")
    if len(passing) == len(failing):
        return f"the control fails {len(failing)} test(s) that pass with {with_}: {named}"
    return (f"the control fails {len(failing)} test(s), {len(passing)} of which pass with "
            f"{with_}" + (f": {named}" if named else ""))  # fmt: skip


def _repeated(control: CellResult, broken: list, again) -> tuple:
    """``(broken, flaky)``: with a second run of the changed cells, the tests that broke in both,
    and those that broke in the first only; without one (or with one not measured), all."""
    if not again or not broken or any(c.verdict not in MEASURED for c in again):
        return broken, []
    twice = {(b.cell, b.test) for change in again for b in broken_tests(control, change)}
    return ([b for b in broken if (b.cell, b.test) in twice],
            [b for b in broken if (b.cell, b.test) not in twice])  # fmt: skip


def _confirmed_flaky(control: CellResult, changes: list, known: list) -> list:
    """The tests a changed cell's own re-run found flaky (failed, then passed), where the control
    did not fail them and the survey's second run did not name them already."""
    seen = {(b.cell, b.test) for b in known}
    return [BrokenTest(test, change.cell.name, "flaky") for change in changes
            for test in change.flaky if (change.cell.name, test) not in seen
            and control.outcomes.get(test) not in FAILING]  # fmt: skip


def _flaky_note(flaky: list) -> list:
    if not flaky:
        return []
    return [f"{len(flaky)} test(s) broke in one run of two and passed in the other (flaky): "
            f"not counted, e.g. {flaky[0].test}"]  # fmt: skip


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
