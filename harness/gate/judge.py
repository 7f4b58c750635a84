"""The gate's judgement: compare a proposed dependency state with a baseline. Pure: no I/O.

Both cells run the proposed code: the baseline with the base's dependencies, the proposed
cell with its own. A test that passed in the baseline and now fails, errors, is skipped or no
longer runs is a regression (signed by its own failure, else its module's collection error);
so is a test the baseline did not run that fails (a module that no longer imports), a crash,
or a new problem of the proposed cell. A test that already failed in the baseline (the code
change broke it, not the dependencies) is listed apart and does not fail the gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness.model import CRASH, INFRA_ERROR, NO_TESTS, PASS, TIMEOUT, UNSATISFIABLE, CellResult

EXIT_PASS, EXIT_REGRESSION, EXIT_UNMEASURED = 0, 1, 3
UNMEASURED = (INFRA_ERROR, TIMEOUT)
BROKEN = ("failed", "error", "skipped")  # what a test that passed may become: each a regression
FAILING = ("failed", "error")


@dataclass
class Change:
    name: str
    before: str | None  # None: not installed in the baseline
    after: str | None  # None: no longer installed


@dataclass
class Broken:
    test: str
    now: str  # failed, error, skipped, missing, or "cell" for the cell as a whole
    signature: str = ""
    evidence: str = ""


@dataclass
class Fix:
    kind: str  # revert, bound, raise, lift
    requirement: str  # a requirement line, ready to paste where the project keeps it
    why: str
    cell: str = ""  # the cell that passed with it; "" when none did (unverified)
    report: str = ""  # where that cell's result is
    replaces: str = ""  # lift: the project's own bound it takes the place of ("torch<2.2")
    place: str = ""  # lift: where that bound is written ("requirements.txt line 3")

    @property
    def verified(self) -> bool:
        return bool(self.cell)


@dataclass
class Judgement:
    exit_code: int
    headline: str
    changes: list = field(default_factory=list)
    regressions: list = field(default_factory=list)
    already_failing: list = field(default_factory=list)
    fixes: list = field(default_factory=list)
    tried: list = field(default_factory=list)  # --try-fixes: each candidate cell, as measured
    inputs: list = None  # the dependency inputs that changed; None: not compared (a report)


def unchanged(base: str) -> Judgement:
    """No file the envs read for their dependencies differs from ``base``'s: nothing to run."""
    return Judgement(EXIT_PASS, f"the dependencies did not change: no dependency input differs "
                     f"from {base}'s; no cell ran", inputs=[])  # fmt: skip


def changes(before: dict, after: dict) -> list:
    """What differs between two closures (``{name: version}``), sorted by name."""
    names = sorted(set(before) | set(after))
    return [Change(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]


def asked(lines: list) -> dict:
    """``{name: version}`` for the lines that pin one exact version: what a state that cannot
    be installed asked for, in place of the closure it has none of."""
    found = {}
    for text in lines:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        exact = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        if len(exact) == 1 and "*" not in exact[0]:
            found[canonicalize_name(requirement.name)] = exact[0]
    return found


def moved(before: dict, after: dict, proposed: CellResult, lines: list) -> list:
    """``changes``; a proposed state that cannot be installed has no closure: its side is
    the versions its lines ask for, set against the same packages of the baseline."""
    if proposed.verdict == UNSATISFIABLE:
        after = asked(lines)
        before = {n: v for n, v in before.items() if n in after}
    return changes(before, after)


def judge(baseline: CellResult, proposed: CellResult, moved: list) -> Judgement:
    if proposed.verdict == UNSATISFIABLE:
        reason = proposed.problem.evidence if proposed.problem else "the resolver found no solution"
        return Judgement(EXIT_REGRESSION, f"the proposed requirements cannot be installed: {reason}",
                         moved)  # fmt: skip
    for side, cell in (("baseline", baseline), ("proposed", proposed)):
        if cell.verdict in UNMEASURED or (side == "baseline" and cell.verdict == UNSATISFIABLE):
            why = cell.problem.evidence if cell.problem else cell.verdict
            return Judgement(EXIT_UNMEASURED, f"the {side} state could not be measured ({cell.verdict}): {why}",
                             moved)  # fmt: skip
    failures = {f.test: f for f in proposed.failures}
    regressions, already = [], []
    for test, before in sorted(baseline.outcomes.items()):
        now = proposed.outcomes.get(test, "missing")
        if before in FAILING:
            already.append(test)
        elif before in ("passed", "xfailed") and (now in BROKEN or now == "missing"):
            found = failures.get(test) or failures.get(test.split("::")[0])  # its module's error
            problem = proposed.problem if now in ("missing", "skipped") else None
            regressions.append(Broken(test, now, *_why(found or problem)))
    modules = {test.split("::")[0] for test in baseline.outcomes}  # their tests speak for them
    new = [test for test, now in sorted(proposed.outcomes.items())
           if now in FAILING and test not in baseline.outcomes and test not in modules]  # fmt: skip
    regressions += [Broken(test, proposed.outcomes[test], *_why(failures.get(test)))
                    for test in new]  # fmt: skip
    new_problem = proposed.problem and (
        baseline.problem is None or baseline.problem.signature != proposed.problem.signature
    )
    if proposed.verdict == CRASH or (new_problem and proposed.verdict != NO_TESTS):
        regressions.insert(0, Broken("(the cell)", proposed.verdict, *_why(proposed.problem)))
    if proposed.verdict == NO_TESTS and baseline.tests.ran:
        regressions.insert(0, Broken("(the cell)", "no tests ran", *_why(proposed.problem)))
    if regressions:
        tests = sum(r.test != "(the cell)" for r in regressions) - len(new)
        parts = [f"{tests} test(s) that passed with the base's dependencies broke"] if tests else []
        parts += [f"{len(new)} test(s) the baseline did not run fail"] if new else []
        headline = (
            "; ".join(parts) or f"the proposed cell {proposed.verdict}s where the baseline did not"
        )
        return Judgement(EXIT_REGRESSION, headline, moved, regressions, already)
    verdict = "passes" if proposed.verdict == PASS else f"is {proposed.verdict} as before"
    return Judgement(EXIT_PASS, f"no regression: the proposed state {verdict}", moved, [], already)


def _why(failure) -> tuple:
    return (failure.signature, failure.evidence) if failure else ("", "")
