"""``--first-compatible``: for a project that breaks, the first of its own newer releases that
no longer breaks with the change, and the last one that still does.

The releases searched are the project's final releases newer than the surveyed one that ship
an sdist (the index's JSON API). Each step measures one release as the survey measures a
project (its sdist, its own test setup), the changed cells first: when they pass whole the
step passes, else the control is measured too and ``judge.step_verdict`` reads the pair: it
passes when nothing breaks with the change. The search is
``harness bisect``'s (``harness.bisection``): the newest release first, then halving, so at
most ceil(log2 n) + 1 steps; a release that cannot be measured is dropped and named.
"""

from __future__ import annotations

import time

from packaging.version import Version

from harness.bisection import MEASURED, Step, answer, search
from harness.model import CRASH, FAIL, PASS
from harness.survey import fetch, judge
from harness.survey import row as rows


def newer(data: dict, version: str, python: str = "") -> list:
    """The releases to search: final, with an sdist that allows ``python`` (when given), newer
    than ``version``, oldest first."""
    return [v for v in fetch.versions_with_sdist(data, python) if v > Version(version)]


def step(project: str, version, measure) -> Step:
    """Measure one release with ``measure(sdist) -> Surveyed`` and read it as a bisect step."""
    start = time.monotonic()
    try:
        sdist = fetch.choose(fetch.release(project, str(version)))
    except rows.Unmeasurable as exc:
        return Step(str(version), rows.NOT_MEASURABLE, exc.kind, round(time.monotonic() - start, 1))
    found = measure(sdist)
    unread = [r.verdict for r in found.changes if r.verdict in (FAIL, CRASH)]
    if found.control is None and found.changes and not unread:  # change_first's changes alone
        verdict = next((r.verdict for r in found.changes if r.verdict != PASS), PASS)
        signature = ""  # a change that passes whole broke nothing; else what kept it unmeasured
    elif found.control is None:
        verdict, signature = rows.NOT_MEASURABLE, found.row.reason_kind
    else:
        verdict = judge.step_verdict(found.control, found.changes)
        if verdict == FAIL and found.row.outcome != rows.BREAKS:
            verdict = PASS  # what broke did not break again (flaky): nothing breaks
        counts = {}
        for broken in found.row.broken_tests:
            counts[broken["signature"]] = counts.get(broken["signature"], 0) + 1
        signature = max(counts.items(), key=lambda kv: kv[1], default=("", 0))[0]
    return Step(str(version), verdict, signature, round(time.monotonic() - start, 1))


def first_compatible(row: rows.Row, data: dict, measure, say=print, python: str = "") -> None:
    """Search ``row``'s project's newer releases (``data``: its JSON API answer) that allow
    ``python`` and record the answer in the row: ``first_compatible`` and
    ``first_compatible_search``."""
    versions = newer(data, row.version, python)
    left_out = [str(v) for v in newer(data, row.version) if v not in versions]
    if not versions:
        row.first_compatible = None
        note = "no newer release with an sdist" + (f" for Python {python}" if python else "")
        row.first_compatible_search = {"note": note, "steps": [], "last_failing": None,
                                       "dropped": [], "monotone": True, "other_python": left_out}  # fmt: skip
        return

    def measured(version) -> Step:
        found = step(row.project, version, measure)
        say(f"  {row.project} {found.version:<12} {found.verdict:<16} {found.signature:<26} "
            f"{found.seconds:.0f}s")  # fmt: skip
        return found

    state = search(versions, measured)
    found, before, monotone = answer(state, last=False)
    if found is None:
        tried = [s for s in state.steps if s.verdict in MEASURED]
        note = (f"no release up to {versions[-1]} passes with the change" if tried
                else "no newer release could be measured")  # fmt: skip
    else:
        note = f"compatible since {found}" + (f"; {before} still breaks" if before else "")
        if not monotone:
            note += "; the steps contradict each other (not monotone)"
    if state.dropped:
        shown = sorted(state.dropped, key=Version)
        note += f"; not measurable, left out: {', '.join(shown)}"
    row.first_compatible = found
    row.first_compatible_search = {
        "note": note, "last_failing": (before or row.version) if found else _last_failing(state),
        "steps": [vars(s) for s in state.steps], "dropped": list(state.dropped),
        "monotone": monotone, "searched": [str(versions[0]), str(versions[-1])],
        "other_python": left_out,
    }  # fmt: skip


def _last_failing(state) -> str | None:
    failing = [s.version for s in state.steps if s.verdict in MEASURED and s.verdict != "pass"]
    return max(failing, key=Version, default=None)
