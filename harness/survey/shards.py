"""A survey over CI runners: ``harness plan --survey FILE`` cuts its project list into shards,
each runner surveys its projects (``harness survey PROJECTS...``), and ``harness merge`` joins
their folders (``survey.merge``). Pure: no I/O.

As with a tox matrix (``stages.shard``), no more shards than the work warrants: at least
``min_work`` seconds of estimated work each, at most one per project and ``limit`` in all. A
project's work is what a stored survey recorded for it (its row's duration and its
first-compatible steps), else ``DEFAULT_PROJECT_S``. The longest project goes first onto the
shard with the least work, so shards end together; ties keep the list's order.
"""

from __future__ import annotations

import math

DEFAULT_PROJECT_S = 300.0  # fetch, build and install twice, run its suite twice


def recorded(doc: dict) -> dict:
    """``{"name==version": seconds}`` from a stored survey: each row with its bisection steps."""
    found = {}
    for row in doc["rows"]:
        steps = (row.get("first_compatible_search") or {}).get("steps") or []
        seconds = row["duration_s"] + sum(s.get("seconds", 0) for s in steps)
        if not math.isfinite(seconds) or seconds <= 0 or not row["version"]:
            continue  # a hand-edited or a not-found row estimates nothing
        found[f"{row['project']}=={row['version']}"] = seconds
        found.setdefault(row["project"], seconds)  # a project listed without its version
    return found


def estimate(project: str, durations: dict) -> float:
    return durations.get(project) or DEFAULT_PROJECT_S


def units(wanted: list) -> list:
    """The listed projects (``name`` or ``name==version``) as units a shard takes whole: the
    entries of one name together, so that ``fine`` and ``fine==1.0`` (one release when 1.0 is
    the latest; the survey measures a release once) are neither counted twice nor split."""
    named = {}
    for entry in wanted:
        named.setdefault(entry.split("==")[0], []).append(entry)
    return [tuple(entries) for entries in named.values()]


def releases(unit) -> int:
    """How many releases a unit is: its pinned versions, or one (its latest)."""
    members = (unit,) if isinstance(unit, str) else unit
    return max(1, sum("==" in m for m in members))


def work(unit, durations: dict) -> float:
    """A unit's estimated seconds: its pinned releases', or its latest's."""
    members = (unit,) if isinstance(unit, str) else unit
    pinned = [m for m in members if "==" in m]
    return sum(estimate(m, durations) for m in pinned) or estimate(members[0], durations)


def count(projects: list, limit: int, durations: dict, min_work: float) -> int:
    total = sum(work(p, durations) for p in projects)
    warranted = int(total // min_work) if min_work > 0 else len(projects)
    return max(1, min(limit, len(projects), warranted))


def split(projects: list, shards: int, durations: dict) -> list:
    """``shards`` lists of projects (or units), each in the list's order, work balanced."""
    loads = [[0.0, []] for _ in range(shards)]
    order = sorted(range(len(projects)), key=lambda i: -work(projects[i], durations))
    for index in order:
        emptiest = min(loads, key=lambda load: load[0])
        emptiest[0] += work(projects[index], durations)
        emptiest[1].append(index)
    return [[projects[i] for i in sorted(members)] for _, members in loads]
