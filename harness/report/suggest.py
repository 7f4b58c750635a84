"""``harness suggest``: requirement sets that keep every failing cell out. Pure but for the CLI.

Over the measured cells (pass, fail, crash; forced and stale cells aside), each candidate is a
``packaging`` specifier on one pinned package, cut between two measured versions (``numpy<2``,
``torch>=2.3``), or two such specifiers together. A set is kept when no failing cell satisfies
it; the sets that keep the most passing cells come first, each with the cells that justify it.
Nothing is claimed about versions no cell measured. ``place`` says which file of the project
takes each requirement (``where.where_to_write``).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.model import CRASH, FAIL, PASS
from harness.report.where import where_to_write
from harness.report.words import counted

SHOWN = 5


@dataclass
class Suggestion:
    requirements: list  # requirement strings (``where_to_write`` says which file takes each)
    keeps: list  # the passing cells it keeps
    excludes: list  # the failing cells it keeps out
    note: str = ""  # what the other pins range over, measured
    lost: list = field(default_factory=list)  # passing cells it also keeps out


def _versions(results: list, name: str) -> list:
    found = set()
    for result in results:
        try:
            found.add(Version(result.versions.get(name) or ""))
        except InvalidVersion:
            continue
    return sorted(found)


def _cuts(versions: list) -> list:
    """Specifiers cutting between consecutive measured versions, as short as the data allow."""
    specifiers = []
    for lower, upper in zip(versions, versions[1:]):
        short = next((Version(".".join(map(str, upper.release[:n])))
                      for n in (1, 2) if lower < Version(".".join(map(str, upper.release[:n]))) <= upper),
                     upper)  # fmt: skip
        specifiers += [f">={short}", f"<{short}"]
    return specifiers


def _satisfies(result, clauses: tuple) -> bool:
    for name, specifier in clauses:
        version = result.versions.get(name)
        if version is None or not SpecifierSet(specifier).contains(version, prereleases=True):
            return False
    return True


def suggest(results: list, stale: set = frozenset()) -> list:
    measured = [r for r in results if r.verdict in (PASS, FAIL, CRASH) and not r.cell.forced
                and r.cell.name not in stale]  # fmt: skip
    failing = [r for r in measured if r.verdict != PASS]
    passing = [r for r in measured if r.verdict == PASS]
    if not failing or not passing:
        return []
    names = sorted({n for r in measured for n in r.cell.pins if len(_versions(measured, n)) > 1})
    clauses = [(n, s) for n in names for s in _cuts(_versions(measured, n))]
    sets = [(c,) for c in clauses] + [
        (a, b) for a, b in itertools.combinations(clauses, 2) if a[0] != b[0]
    ]
    found = {}
    for chosen in sets:
        if any(_satisfies(r, chosen) for r in failing):
            continue
        kept = [r for r in passing if _satisfies(r, chosen)]
        if kept and not any(set(chosen) > set(other) for other in found):
            found[chosen] = kept
    ranked = sorted(found.items(), key=lambda item: (-len(item[1]), len(item[0]), item[0]))
    best = []
    for (
        chosen,
        kept,
    ) in ranked:  # an alternative that keeps only what a better one keeps adds nothing
        names_kept = {r.cell.name for r in kept}
        if not any(names_kept <= {r.cell.name for r in other} for _, other in best):
            best.append((chosen, kept))
    suggestions = []
    for chosen, kept in best[:SHOWN]:
        free = [n for n in names if n not in {c[0] for c in chosen}]
        note = "; ".join(
            f"any {n} measured ({', '.join(map(str, _versions(kept, n)))})" for n in free
        )
        suggestions.append(Suggestion(
            [f"{n}{s}" for n, s in chosen], sorted(r.cell.name for r in kept),
            sorted(r.cell.name for r in failing), note,
            sorted(r.cell.name for r in passing if r not in kept),
        ))  # fmt: skip
    return suggestions


def to_dicts(suggestions: list) -> list:
    return [asdict(s) for s in suggestions]


def reason(suggestion: dict) -> str:
    kept, lost = len(suggestion["keeps"]), len(suggestion["lost"])
    excluded = counted(len(suggestion["excludes"]), "failing cell")
    return (f"keeps out all {excluded} and keeps {kept} of {kept + lost} passing"
            + (f"; {suggestion['note']}" if suggestion["note"] else ""))  # fmt: skip


def place(suggestions: list, files: dict) -> list:
    """The suggestions (dicts), each with ``write_to``: where each of its requirements goes,
    in the project whose ``where.dependency_files`` are ``files``."""
    for found in suggestions:
        names = [Requirement(r).name for r in found["requirements"]]
        found["write_to"] = [where_to_write(files, name) for name in names]
    return suggestions
