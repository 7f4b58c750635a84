"""Bisection over a package's releases, pure: halve an ordered list of versions with a
``measure(version) -> Step`` to find the first (or last) one that passes. ``harness bisect``
searches a dependency's releases with it, ``harness survey --first-compatible`` a project's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.model import PASS

MEASURED = (PASS, "fail", "crash")


@dataclass
class Step:
    version: str
    verdict: str
    signature: str
    seconds: float


@dataclass
class Search:
    versions: list  # the releases in range, oldest first
    steps: list = field(default_factory=list)
    dropped: list = field(default_factory=list)  # releases that could not be installed


def search(versions: list, measure, last: bool = False) -> Search:
    """Halve ``versions`` with ``measure(version) -> Step``: first passing, or last with ``last``.

    The upper end (the lower one with ``last``) is checked first; then the answer lies between
    the last failure seen and the first pass, and each step halves that. A release that cannot
    be installed is dropped and the search goes on without it.
    """
    state = Search(list(versions))
    candidates = list(reversed(versions)) if last else list(versions)

    def check(position: int):
        step = measure(candidates[position])
        state.steps.append(step)
        if step.verdict in MEASURED:
            return step.verdict == PASS
        state.dropped.append(step.version)
        del candidates[position]
        return None

    while candidates:
        passed = check(len(candidates) - 1)
        if passed is False:
            return state  # even the end passes nothing
        if passed:
            break
    low, high = 0, len(candidates) - 1  # candidates[high] passed
    while low < high:
        middle = (low + high) // 2
        passed = check(middle)
        if passed is None:
            high -= 1  # the releases after it moved down one place
        elif passed:
            high = middle
        else:
            low = middle + 1
    return state


def answer(state: Search, last: bool) -> tuple:
    """``(found, before, monotone)``: the release found, the measured one on the failing side."""
    measured = {s.version: s.verdict for s in state.steps if s.verdict in MEASURED}
    ordered = [str(v) for v in (reversed(state.versions) if last else state.versions)]
    passing = [v for v in ordered if measured.get(v) == PASS]
    if not passing:
        return None, None, True
    found = passing[0]
    earlier = ordered[: ordered.index(found)]
    before = next((v for v in reversed(earlier) if v in measured), None)
    monotone = all(measured[v] != PASS for v in earlier if v in measured) and all(
        measured[v] == PASS for v in ordered[ordered.index(found) :] if v in measured
    )
    return found, before, monotone
