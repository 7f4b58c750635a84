"""A failing test counts only once it fails again: the cell's failing tests run once more.

The rule (``run``, ``gate``, ``bisect``, ``survey``: every cell the pipeline runs in suite
mode). When a cell fails through its tests alone (no crash, timeout, failing command or
collection error) and at most ``MOST`` tests failed, those tests, and only those, run once
more in the same env: ``tox run -e ENV --skip-pkg-install -- IDS``, the project's own
commands with the test ids as posargs (after the run's own posargs). A command that takes no
posargs runs whole again; its outcomes for those ids count the same. A test that passes on
the re-run is flaky: listed as such, counted as passed, neither a break nor a regression
(the survey's rule: broke in one run of two). One that fails again, or that the re-run did
not report, stays a failure. With more than ``MOST`` failing tests the cell is not
flaky-looking: nothing is re-run, and the result says so. A failure also seen in a control
or baseline is re-run as well: the rule does not depend on other cells, so every cell, the
control included, is read the same way.
"""

from __future__ import annotations

from harness.model import FAIL, CellResult
from harness.stages.collect import Session
from harness.stages.invocations import SEVERITY

MOST = 20  # failing tests a cell may have and still be re-run
FLAKY = "flaky"  # a test's outcome: failed, then passed on its re-run


def wanted(result: CellResult) -> tuple:
    """``(test ids, note)``: the failing tests to run again; none (with why in ``note``)
    when the cell does not fail through tests alone or fails in too many."""
    if result.verdict != FAIL or result.problem is not None:
        return [], ""
    ids = sorted({f.test for f in result.failures})
    if any("::" not in test for test in ids):  # a module that failed to collect
        return [], "failing tests not re-run: a test module failed to collect"
    if len(ids) > MOST:
        return [], f"failing tests not re-run: {len(ids)} failed, more than the {MOST} re-run"
    return ids, ""


def outcomes(sessions: list) -> dict:
    """``{test id: its worst outcome}`` in the re-run's sessions."""
    found = {}
    for session in sessions:
        for event in session.events if isinstance(session, Session) else []:
            if event.category in SEVERITY:
                known = found.get(event.nodeid, SEVERITY[0])
                found[event.nodeid] = max(known, event.category, key=SEVERITY.index)
    return found


def settle(result: CellResult, asked: list, again: dict) -> None:
    """Move the tests that passed on their re-run (``again``: id -> outcome) out of the
    failures, into ``flaky``; say what the re-run showed in ``confirmation``."""
    if not asked:
        return
    flaky = [test for test in asked if again.get(test) == "passed"]
    unseen = [test for test in asked if test not in again]
    result.flaky = flaky
    for test in flaky:
        was, result.outcomes[test] = result.outcomes.get(test), FLAKY
        name = {"failed": "failed", "error": "errors"}.get(was)
        if name and getattr(result.tests, name):
            setattr(result.tests, name, getattr(result.tests, name) - 1)
            result.tests.passed += 1
    result.failures = [f for f in result.failures if f.test not in flaky]
    others = len(set(again) - set(asked))  # no {posargs}, or a test path beside them
    parts = [f"re-ran {len(asked)} failing test(s)" + (f" ({others} other test(s) ran too: the "
             "env's commands run more than the ids they are given)" if others else ""),
             f"{len(flaky)} passed (flaky)", f"{len(asked) - len(flaky) - len(unseen)} failed again"]  # fmt: skip
    if unseen:
        parts.append(f"{len(unseen)} not reported by the re-run (unconfirmed, still counted)")
    result.confirmation = "; ".join(parts)
