"""``harness audit``: what package metadata allows, set against what the cells measured.

Two directions are flagged:

- *allowed, yet broken*: a cell failed although every ``Requires-Dist`` of its packages
  admits the others (torch 2.1.2 declares no numpy requirement at all, yet breaks with
  numpy 2): its users need an upper bound that the metadata does not give them;
- *forbidden*: the resolver refused the cell because some package's metadata excludes
  another's version (pandas 2.1.4 requires numpy<2). ``harness run --force`` installs such
  a cell anyway, with uv's overrides, to learn whether the bound is real; a forced cell that
  passes shows a bound tighter than the tests require.

``examine`` is pure; the metadata comes from ``requirements_of``, which reads uv's cache
first and the index after.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness.model import CRASH, FAIL, PASS, UNSATISFIABLE, CellResult
from harness.stages.signatures import BUILTIN

BECAUSE = re.compile(
    r"(?:Because|and) ([A-Za-z0-9._-]+)==(\S+?) depends on ([A-Za-z0-9._-]+)(?:\{[^}]*\})?"
    r"([<>=!~][^\s,]*(?:,\s*[<>=!~][^\s,]*)*)"
)  # uv's words; a marker it shows in braces is skipped


@dataclass
class Finding:
    cell: str
    kind: str  # allowed-but-broken, forbidden, forced-passed, forced-failed
    package: str  # the package whose metadata says too little, or too much
    version: str
    other: str  # the package it says nothing (or too much) about
    other_version: str
    declared: str  # its Requires-Dist on ``other``: "" when it has none
    evidence: str = ""


@dataclass
class Audit:
    findings: list = field(default_factory=list)
    unknown: list = field(default_factory=list)  # "name==version" whose metadata could not be read

    def to_dict(self) -> dict:
        return {"findings": [asdict(f) for f in self.findings], "unknown": self.unknown,
                "needed_bounds": needed_bounds(self), "loose_bounds": loose_bounds(self),
                "real_bounds": real_bounds(self), "forbidden_bounds": forbidden_bounds(self)}  # fmt: skip


def _declared(requirements: list, other: str, python: str) -> str:
    environment = {"python_version": ".".join(python.split(".")[:2]), "extra": ""}
    found = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != other:
            continue
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        found.append(str(requirement.specifier) or "any")
    return ",".join(found)


def examine(results: list, metadata: dict, table: tuple = BUILTIN) -> Audit:
    """``metadata``: ``{(name, version): [Requires-Dist lines]}``; absent keys are unknown."""
    audit = Audit()
    coupled = {s.id: s.coupled for s in table}
    for result in results:
        if result.verdict in (FAIL, CRASH) or result.cell.forced:
            named = {coupled.get(sig) for sig in result.signature_counts()} & set(result.cell.pins)
            subjects = named or set(result.cell.pins)
            _allowed(result, metadata, audit, subjects, culprits(result, results) - subjects)
        elif result.verdict == UNSATISFIABLE and result.problem:
            for match in BECAUSE.finditer(result.problem.evidence):
                name, version, other, bound = match.groups()
                wanted = result.cell.pins.get(canonicalize_name(other), "").lstrip("=")
                audit.findings.append(Finding(result.cell.name, "forbidden", canonicalize_name(name), version,
                                              canonicalize_name(other), wanted, bound, result.problem.evidence))  # fmt: skip
    return audit


def culprits(failed: CellResult, results: list) -> set:
    """Pins whose value alone tells this failing cell from a passing one: the measured cause."""
    mine = {n: failed.versions.get(n) for n in failed.cell.pins}
    found = set()
    for other in results:
        if other.verdict != PASS or other.cell.forced:
            continue
        theirs = {n: other.versions.get(n) for n in mine}
        differing = [n for n in mine if mine[n] != theirs[n]]
        if len(differing) == 1:
            found.add(differing[0])
    return found


def _allowed(
    result: CellResult, metadata: dict, audit: Audit, subjects: set, partners: set
) -> None:
    """Findings for each pinned package in ``subjects`` against the cell's other pins (those that
    alone tell it from a passing cell, when a measured cell shows which)."""
    names = [n for n in result.cell.pins if result.versions.get(n)]
    python = result.versions.get("python") or "3"
    for name in (n for n in names if n in subjects or result.cell.forced):
        key = (name, result.versions[name])
        if key not in metadata:
            audit.unknown.append(f"{name}=={key[1]}")
            continue
        for other in names:
            if other == name or (partners and other not in partners and not result.cell.forced):
                continue
            declared = _declared(metadata[key], other, python)
            specifier_ok = not declared or declared == "any" or Requirement(f"{other}{declared}").specifier.contains(
                result.versions[other], prereleases=True)  # fmt: skip
            if result.cell.forced:
                kind = "forced-passed" if result.verdict == PASS else "forced-failed"
                if not specifier_ok:
                    audit.findings.append(Finding(result.cell.name, kind, name, key[1], other,
                                                  result.versions[other], declared))  # fmt: skip
            elif specifier_ok and not _other_declares(metadata, result, other, name):
                audit.findings.append(Finding(result.cell.name, "allowed-but-broken", name, key[1], other,
                                              result.versions[other], declared))  # fmt: skip


def _other_declares(metadata: dict, result: CellResult, other: str, name: str) -> bool:
    """Whether ``other`` itself excludes ``name``'s version (then the pair is not 'allowed')."""
    requirements = metadata.get((other, result.versions[other]), [])
    declared = _declared(requirements, name, result.versions.get("python") or "3")
    if not declared or declared == "any":
        return False
    return not Requirement(f"{name}{declared}").specifier.contains(
        result.versions[name], prereleases=True
    )


def needed_bounds(audit: Audit) -> list:
    """One line per package release whose metadata let a breaking version in."""
    broke = {}
    for f in audit.findings:
        if f.kind == "allowed-but-broken":
            broke.setdefault((f.package, f.version, f.other, f.declared), set()).add(
                f.other_version
            )
    lines = []
    for (name, version, other, declared), versions in sorted(broke.items()):
        said = (
            f"requires {other}{declared}"
            if declared and declared != "any"
            else f"declares no {other} bound"
        )
        lines.append(
            f"{name} {version} {said}, yet broke with {other} {', '.join(sorted(versions))}"
        )
    return lines


def forbidden_bounds(audit: Audit) -> list:
    """Bounds the resolver quoted when it refused a cell."""
    return sorted({f"{f.package} {f.version} requires {f.other}{f.declared}"
                   for f in audit.findings if f.kind == "forbidden"})  # fmt: skip


def real_bounds(audit: Audit) -> list:
    """Bounds a forced cell broke through: the tests confirm them."""
    return sorted({f"{f.package} {f.version} requires {f.other}{f.declared}, and broke when forced "
                   f"with {f.other} {f.other_version}" for f in audit.findings if f.kind == "forced-failed"})  # fmt: skip


def loose_bounds(audit: Audit) -> list:
    """Bounds a forced cell passed through: tighter than the tests require."""
    return sorted({f"{f.package} {f.version} requires {f.other}{f.declared}, yet passed with "
                   f"{f.other} {f.other_version} (forced)" for f in audit.findings if f.kind == "forced-passed"})  # fmt: skip
