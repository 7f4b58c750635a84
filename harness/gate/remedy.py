"""Fixes for a regression, each backed by a cell that really passed. Pure: no I/O.

An option is a requirement to write where the project keeps it. It is verified when a measured
cell passed on the same Python with versions that satisfy every proposed requirement, the
option's in place of the one it replaces. Three kinds are considered:

- revert the offending bump (the baseline cell passed);
- bound the bumped package below its new major (or minor) release, e.g. ``numpy<2``;
- raise a coupled package to the first release measured to pass with the new version,
  e.g. ``torch>=2.3.1``;
- lift the project's own bound that forbids that release (``torch<2.2`` in requirements.txt):
  the raised release's minor in its place, e.g. ``torch>=2.3.1,<2.4``. A forced cell (the
  release installed over the bound, as uv overrides) proves a lift and nothing else: any other
  fix must install as the project declares it.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from harness.gate.judge import Fix
from harness.model import FAIL, PASS, CellResult
from harness.stages.sources import requirement_of


@dataclass
class Backing:
    """A measured cell and where its result came from."""

    result: CellResult
    origin: str  # "baseline HEAD~1", "report reports/compat.json", "--try-fixes"


@dataclass
class Option:
    kind: str
    requirement: str
    why: str
    lines: list  # the whole requirement set it stands for
    prefer: dict = None  # versions a proof should have, where several cells would do
    lifts: object = None  # lift: the project's bound it replaces (``where.Declared``)


def proves(item: Backing, option: Option) -> bool:
    """Whether the cell may back the option at all: a forced cell backs only a lift."""
    return option.kind == "lift" or not item.result.cell.forced


def replaced(lines: list, name: str, new: str) -> list:
    """The requirement lines with every line naming ``name`` swapped for ``new`` (one line, or
    several: a package required under two environment markers)."""
    kept = [
        line
        for line in lines
        if not ((r := requirement_of(line)) and canonicalize_name(r.name) == name)
    ]
    return kept + new.split("\n")


def _minor(python: str) -> str:
    return ".".join((python or "").split(".")[:2])


def satisfies(result: CellResult, lines: list, python: str, broken: tuple = ()) -> bool:
    """Whether a passing cell's versions meet every requirement named in ``lines``. With
    ``broken`` (the regression's test ids), a cell whose only failures are others (failures a
    baseline already had) counts too, when each of those tests passed in it."""
    if result.verdict != PASS and not spares(result, broken):
        return False
    if _minor(result.versions.get("python")) != _minor(python):
        return False
    environment = {"python_version": _minor(python), "python_full_version": python}
    for line in lines:
        requirement = requirement_of(line)
        if requirement is None:
            continue
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        if not requirement.specifier:
            continue  # any version does; the cell's result need not have recorded it
        version = result.versions.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            return False
    return True


def spares(result: CellResult, broken: tuple) -> bool:
    """Whether a failing cell ran each of ``broken`` and it passed (a module id: did not fail)."""
    if not broken or result.verdict != FAIL:
        return False
    for test in broken:
        outcome = result.outcomes.get(test)
        if outcome in ("failed", "error", "skipped") or (outcome is None and "::" in test):
            return False
    return True


def _bound(after: str, before: str):
    try:
        new, old = Version(after), Version(before)
    except InvalidVersion:
        return None
    if new.major > old.major:
        return f"<{new.major}"
    if new.release[:2] > old.release[:2]:
        return f"<{new.major}.{new.minor}"
    return None


def options(proposed: list, baseline_names: dict, moved: list, coupled: list,
            evidence: list, python: str, closure: dict, bounds: dict = None,
            broken: tuple = ()) -> list:  # fmt: skip
    """Every fix worth trying for the bumps in ``moved`` (``gate.Change``); a raise only where a
    measured cell passed with a newer release than the proposed closure has; a lift where the
    project's own bound (``bounds``: ``{package: [where.Declared]}``) forbade the release a
    forced cell passed with. With ``broken``, a cell where those tests passed counts as passing
    (its other failures the baseline had too)."""
    direct = {canonicalize_name(r.name) for r in map(requirement_of, proposed) if r} | set(
        baseline_names
    )
    bumped = [c for c in moved if c.name in direct and c.before and c.after] or [
        c for c in moved if c.before and c.after
    ]
    found = []
    now = {canonicalize_name(r.name): str(r) for r in map(requirement_of, proposed) if r}
    for change in bumped:
        before_lines = [line.text for line in baseline_names.get(change.name, [])]
        revert = "\n".join(before_lines)  # one line per marker, as the baseline wrote them
        if not before_lines or revert == now.get(change.name):  # the line did not move: pin it
            revert = f"{change.name}=={change.before}"
        found.append(Option("revert", revert, f"revert {change.name} {change.after} to {change.before}",
                            replaced(proposed, change.name, revert)))  # fmt: skip
        bound = _bound(change.after, change.before)
        if bound:
            requirement = f"{change.name}{bound}"
            found.append(Option("bound", requirement, f"keep {change.name} below {bound[1:]}",
                                replaced(proposed, change.name, requirement)))  # fmt: skip
        for other in coupled:
            found += _raise_or_lift(proposed, other, change, evidence, python, closure,
                                    (bounds or {}).get(other, []), broken)  # fmt: skip
    return found


def _raise_or_lift(proposed: list, other: str, change, evidence: list, python: str,
                   closure: dict, bounds: list, broken: tuple) -> list:  # fmt: skip
    """Raise ``other`` to the first release measured to pass with the bump; where the project's
    own bound forbids that release, lift the bound instead (a raise alone would not install)."""
    first = _first_passing(other, change, evidence, python, closure.get(other), broken)
    if not first and bounds:  # only a forced cell, installed over the bound, may have passed
        first = _first_passing(other, change, evidence, python, closure.get(other), broken,
                               forced=True)  # fmt: skip
    if not first:
        return []
    blocking = [b for b in bounds if not _allows(b.requirement, first)]
    if blocking:
        return [_lift(proposed, other, first, change, bound) for bound in blocking]
    requirement = f"{other}>={first}"
    why = f"the first {other} release measured to pass with {change.name} {change.after}"
    prefer = {other: first, change.name: change.after}
    return [Option("raise", requirement, why, replaced(proposed, other, requirement), prefer)]


def _allows(requirement: str, version: str) -> bool:
    try:
        return Requirement(requirement).specifier.contains(version, prereleases=True)
    except InvalidRequirement:
        return True


def _lift(proposed: list, name: str, first: str, change, bound) -> Option:
    version = Version(first)
    requirement = f"{name}>={first},<{version.major}.{version.minor + 1}"
    why = (f"lift the project's bound {bound}: {name} {first} passed with {change.name} "
           f"{change.after} with that bound lifted")  # fmt: skip
    prefer = {name: first, change.name: change.after}
    return Option("lift", requirement, why, replaced(proposed, name, requirement), prefer, bound)


def _first_passing(name: str, change, evidence: list, python: str, current: str,
                   broken: tuple = (), forced: bool = False):  # fmt: skip
    """The oldest release of ``name``, newer than ``current``, that passed with the bump (in a
    forced cell too, with ``forced``)."""
    versions = []
    for item in evidence:
        if item.result.cell.forced and not forced:
            continue
        found = item.result.versions
        same_python = _minor(found.get("python")) == _minor(python)
        passed = item.result.verdict == PASS or spares(item.result, broken)
        if passed and found.get(change.name) == change.after and same_python:
            if found.get(name):
                versions.append(found[name])
    try:
        newer = [Version(v) for v in versions if current is None or Version(v) > Version(current)]
    except InvalidVersion:
        return None
    return str(min(newer)) if newer else None


def verify(found: list, evidence: list, python: str, closure: dict = None,
           broken: tuple = ()) -> list:  # fmt: skip
    """Each option as a Fix, naming the cell that passed with it (or none; with ``broken``, a
    cell where those tests passed): of those that did, the one whose versions match the proposed
    closure best."""
    closure = closure or {}

    def closeness(item: Backing, prefer: dict) -> tuple:
        versions = item.result.versions
        return (-sum(versions.get(n) == v for n, v in prefer.items()),
                -sum(versions.get(n) == v for n, v in closure.items()))  # fmt: skip

    fixes, seen = [], set()
    for option in found:
        if option.requirement in seen:
            continue
        seen.add(option.requirement)
        ranked = sorted(evidence, key=lambda item: closeness(item, option.prefer or {}))
        proof = next((e for e in ranked if proves(e, option)
                      and satisfies(e.result, option.lines, python, broken)), None)  # fmt: skip
        bound = option.lifts
        fixes.append(
            Fix(option.kind, option.requirement, option.why,
                proof.result.cell.name if proof else "", proof.origin if proof else "",
                bound.requirement if bound else "",
                (f"{bound.path} line {bound.line}" if bound.line else bound.path) if bound else "")
        )  # fmt: skip
    return sorted(fixes, key=lambda fix: not fix.verified)
