"""``--try-fixes``: candidate requirement sets measured as cells of their own, each with a
readable name and label, and for one that could not be built, why: the resolver's words and
the project's own bound that forbids the candidate's release (``where.declarations``).

A candidate such a bound blocked is measured once more with the bound lifted: its pins
installed over it as uv overrides (a forced cell), which is what writing the raised pin in
the bound's place would install. Its result backs only a ``lift`` fix (``remedy.proves``).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import processes
from harness.gate import remedy
from harness.model import FAIL, PASS, UNSATISFIABLE, CellResult
from harness.report import progress, where
from harness.stages import pipeline, sources
from harness.stages import select as matrix
from harness.stages.classify import clean

OPERATORS = re.compile(r"(===|==|!=|<=|>=|~=|<|>)")
WORDS = {"===": "", "==": "", "!=": "_not", "<=": "_le", ">=": "_ge", "<": "_lt", ">": "_gt",
         "~=": "_compat"}  # fmt: skip
LONGEST = 120  # characters of a cell name's slug; longer ones end in a digest


@dataclass
class Candidate:
    """A requirement set to measure: the proposed lines with ``changed`` in place."""

    env: str
    lines: list
    changed: list
    lifts: list = field(default_factory=list)  # where.Declared: bounds it installs over

    @property
    def forced(self) -> bool:
        return bool(self.lifts)

    @property
    def label(self) -> str:
        text = ", ".join(self.changed) or "as proposed"
        if self.lifts:
            bounds = ", ".join(f"{b.requirement} in {b.path}" for b in self.lifts)
            return f"lift the project's bound {bounds}: {text}"
        return f"fix: {text}"

    @property
    def cell(self) -> str:
        """``ENV-gate_fix_torch2.3.1``: the env's factors first (its Python), then one factor
        of letters, digits, dots and underscores only: a plain file name, and a tox env name
        (tox reads ``@``, ``!``, ``{}`` and ``,`` in one)."""
        return f"{self.env}-gate_{'lift' if self.forced else 'fix'}_{slug(self.changed)}"

    def lifted(self, bounds: list) -> Candidate:
        return replace(self, lifts=list(bounds))


def candidate(env: str, proposed: list, lines: list) -> Candidate:
    return Candidate(env, lines, [line for line in lines if line not in proposed])


def unique(items: list) -> list:
    """The candidates, one per cell name, in order."""
    return list({item.cell: item for item in items}.values())


def slug(changed: list) -> str:
    text = "_".join(OPERATORS.sub(lambda m: WORDS[m.group(1)], line.replace(" ", ""))
                    for line in changed)  # fmt: skip
    text = re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_.") or "none"
    if len(text) > LONGEST:
        digest = hashlib.sha256("\n".join(changed).encode()).hexdigest()[:8]
        text = f"{text[:LONGEST]}_{digest}"
    return text


def _pins(item: Candidate) -> dict:
    """``{package: version}`` the candidate pins with ``==``."""
    found = {}
    for line in item.changed:
        wanted = sources.requirement_of(line)
        pins = (
            [s.version for s in wanted.specifier if s.operator in ("==", "===")] if wanted else []
        )
        if pins:
            found[canonicalize_name(wanted.name)] = pins[0]
    return found


def lifted_in_place(item: Candidate, result: CellResult, files: dict, replaced_at: set) -> list:
    """The project's own requirements that forbid a release the candidate pins and that the
    cell replaced where its env reads them (``Cell.replaced``: edited copies, the project's
    own metadata as overrides): bounds it measured lifted. Each where the project writes it,
    outside the lines the candidate took the place of (``replaced_at``)."""
    pins, found = _pins(item), []
    taken = {path for path, _ in replaced_at}
    for entry in result.cell.replaced:
        version = pins.get(entry.get("package"))
        try:
            was = Requirement(str(entry.get("was")))
        except InvalidRequirement:
            continue
        if version is None or was.specifier.contains(version, prereleases=True):
            continue
        path = str(entry.get("in", "")).split(" [")[0]
        declared = [d for d in where.declarations(files, was.name)
                    if d.path == path and d.requirement == str(was)]  # fmt: skip
        if not declared and path not in taken:
            declared = [where.Declared(str(was), str(entry.get("in")), 0)]
        found += [d for d in declared if (d.path, d.line) not in replaced_at and d not in found]
    return found


def blocking(item: Candidate, result: CellResult, files: dict, replaced_at: set) -> list:
    """The project's own requirements that forbid a release the candidate pins: those the
    resolver quoted, else those outside the lines the candidate took the place of
    (``replaced_at``: ``{(path, line)}``)."""
    said = "".join((result.problem.evidence if result.problem else "").split())
    found = []
    for line in item.changed:
        wanted = sources.requirement_of(line)
        pins = (
            [s.version for s in wanted.specifier if s.operator in ("==", "===")] if wanted else []
        )
        if not pins:
            continue
        for declared in where.declarations(files, wanted.name):
            try:
                allowed = Requirement(declared.requirement).specifier
            except InvalidRequirement:
                continue
            if not allowed.contains(pins[0], prereleases=True) and declared not in found:
                found.append(declared)
    quoted = [d for d in found if "".join(d.requirement.split()) in said]
    return quoted or [d for d in found if (d.path, d.line) not in replaced_at]


def reason(result: CellResult, broken: tuple = ()) -> str:
    """Why a candidate did not pass, in one line: the first failure, or the problem; '' for a
    pass, or a cell where the regression's tests (``broken``) passed."""
    if result.verdict == PASS:
        return ""
    if remedy.spares(result, broken):
        others = ", ".join(f.test for f in result.failures[:3])
        return f"the broken tests pass; it fails only where the baseline failed too ({others})"
    if result.verdict == FAIL and result.failures:
        first = result.failures[0]
        return (f"{len(result.failures)} failing, e.g. {first.test} [{first.signature}]: "
                f"{_one(first.evidence)}")  # fmt: skip
    return _one(result.problem.evidence) if result.problem else result.verdict


def _one(text: str) -> str:
    text = " ".join(clean(text).split())
    return text[text.find("Because") :][:400] if "Because" in text else text[:400]  # uv's why


def record(item: Candidate, result: CellResult, blocked: list, broken: tuple = (),
           lifted: list = ()) -> dict:  # fmt: skip
    """A tried candidate as gate.json holds it; ``lifted``: the project's bounds the cell
    replaced in place (``lifted_in_place``)."""
    if result.verdict == UNSATISFIABLE and blocked:
        bounds = "; ".join(map(str, blocked))
        why = f"blocked by the project's own {bounds}. {reason(result)}"
    else:
        why = reason(result, broken)
    label = item.label
    if lifted:
        label += ", lifting the project's " + ", ".join(map(str, lifted))
    return {"label": label, "cell": result.cell.name, "requirements": item.changed,
            "verdict": result.verdict, "reason": why,
            "blocked_by": [d._asdict() for d in blocked],
            "lifts": [d._asdict() for d in [*item.lifts, *lifted]]}  # fmt: skip


def bounds_of(blocked: list) -> dict:
    """``{package: [Declared]}``."""
    found = {}
    for declared in blocked:
        name = canonicalize_name(Requirement(declared.requirement).name)
        found.setdefault(name, [])
        if declared not in found[name]:
            found[name].append(declared)
    return found


def measure(args, folder: Path, store, table: tuple, items: list) -> dict:
    """Each candidate as a cell through the usual pipeline: ``{cell name: CellResult}``."""
    wanted = {item.cell: item.lines for item in items}
    forced = {item.cell for item in items if item.forced}
    cells = [replace(cell, forced=cell.name in forced)
             for cell in matrix.derived_cells(folder, args.env, wanted)]  # fmt: skip
    options = pipeline.RunOptions(
        project=folder, reports=store.reports, cells=cells, resume=True, timeout_s=args.timeout,
        jobs=args.jobs, signatures=table, excluded=tuple(args.requirements or [sources.DEFAULT_FILE]),
        as_of=getattr(args, "as_of", ""),
    )  # fmt: skip
    outcome = pipeline.run(options, store, progress.PlainProgress(sys.stderr))
    if outcome.interrupted:
        raise processes.Interrupted()
    return {result.cell.name: result for result in outcome.results}


def try_all(args, folder: Path, store, table: tuple, candidates: list, replaced_at: set,
            evidence: list, broken: tuple = ()) -> tuple:  # fmt: skip
    """Measure up to ``--try-fixes`` candidates, then as many of those the project's own bounds
    blocked, lifted. Each result joins ``evidence``; returns ``(tried records, {package:
    [Declared]})``, the project's bounds that blocked a candidate or that a cell lifted."""
    files = where.dependency_files(folder)
    batch, tried, bounds = unique(candidates)[: args.try_fixes], [], {}
    while batch:
        measured = measure(args, folder, store, table, batch)
        again = []  # the candidates a bound blocked, to measure installed over it
        for item in (i for i in batch if i.cell in measured):
            result = measured[item.cell]
            unbuilt = result.verdict == UNSATISFIABLE and not item.forced
            blocked = blocking(item, result, files, replaced_at) if unbuilt else []
            in_place = [] if unbuilt else lifted_in_place(item, result, files, replaced_at)
            tried.append(record(item, result, blocked, broken, in_place))
            evidence.append(remedy.Backing(result, "--try-fixes"))
            for name, found in bounds_of(blocked + in_place).items():
                bounds[name] = bounds.get(name, []) + [
                    b for b in found if b not in bounds.get(name, [])
                ]
            again += [item.lifted(blocked)] if blocked else []
        batch = unique(again)[: args.try_fixes]
    return tried, bounds
