"""``harness gate``: would this dependency change break the project's own tests?

Each state (the working tree, and a git ref or a stored report) is resolved with uv to one
full closure, and that closure becomes a cell: the project's test env with the state's
requirements in place of its deps for the same packages. Both cells run through the usual
pipeline (same verdicts, signatures, probe, fingerprints; a stored result with the same
fingerprint is reused). ``gate.judge`` compares them; for a regression, ``remedy`` lists the
fixes that measured cells support, from stored reports and from ``--try-fixes`` cells.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import index, processes
from harness.errors import EXIT_INTERRUPTED, HarnessError
from harness.gate import judge as gate
from harness.gate import output as gate_output
from harness.gate import remedy
from harness.report import compat as reports
from harness.report import progress, publish
from harness.stages import lock, pipeline, sources
from harness.stages import select as matrix
from harness.stages.signatures import by_id
from harness.state import State, add
from harness.store import Store

DEFAULT_ENV = "py"  # tox's bare [testenv]


@dataclass
class Side:
    label: str  # "working tree", "HEAD~1", "report PATH"
    sources: sources.Sources = None
    result: object = None  # CellResult
    closure: dict = field(default_factory=dict)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "gate", help="fail when a dependency change breaks tests that passed"
    )
    parser.set_defaults(handler=command)
    add(parser, "project", "reports")
    parser.add_argument("--base", default="HEAD", help="git ref of the baseline (default HEAD)")
    parser.add_argument(
        "--baseline-report", type=Path, help="a compat.json holding the baseline cell"
    )
    parser.add_argument("--requirements", action="append", default=[], metavar="FILE",
                        help="requirement file (repeatable; default requirements.txt, else pyproject)")  # fmt: skip
    parser.add_argument(
        "--env", default=DEFAULT_ENV, help="the tox env whose tests and settings to use"
    )
    parser.add_argument("--from-report", dest="evidence", action="append", default=[], type=Path,
                        metavar="DIR", help="stored reports whose passing cells can back a fix")  # fmt: skip
    parser.add_argument("--try-fixes", type=int, nargs="?", const=4, default=0, metavar="N",
                        help="run up to N candidate cells to measure fixes (N defaults to 4)")  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", help="print the result as JSON (harness.gate/1)"
    )
    add(parser, "timeout", "jobs", "signatures")


def cell_name(env: str, lines: list) -> str:
    return f"{env}-gate_" + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:10]


def command(state: State) -> int:
    args = state.args
    if args.try_fixes < 0:
        raise HarnessError(f"--try-fixes must be 0 or more, not {args.try_fixes}")
    folder = state.project
    proposed = Side("working tree", sources.read(folder, args.requirements))
    baseline = _baseline(args, folder)
    with state.folder("gate") as store:
        try:
            judgement = _run(state, store, baseline, proposed)
        except (KeyboardInterrupt, processes.Interrupted):
            processes.LIVE.stopping = False
            publish.publish(store, folder, [], True, {}, state.signatures)
            return EXIT_INTERRUPTED
        publish.publish(store, folder, [], False, {}, state.signatures)
        doc = gate_output.save(judgement, baseline, proposed, store.reports)
    return gate_output.emit(doc, judgement.exit_code, args.json)


def _baseline(args: argparse.Namespace, folder: Path) -> Side:
    if args.baseline_report:
        result = gate_output.baseline_from_report(args.baseline_report, args.env)
        state = Side(f"report {args.baseline_report}", result=result)
        return state
    sources.check_ref(folder, args.base)
    return Side(args.base, sources.read(folder, args.requirements, args.base))


def _run(state: State, store: Store, baseline: Side, proposed: Side):
    args, folder, table = state.args, state.project, state.signatures
    wanted = {cell_name(args.env, proposed.sources.requirements()): proposed.sources.requirements()}
    if baseline.result is None:
        wanted[cell_name(args.env, baseline.sources.requirements())] = (
            baseline.sources.requirements()
        )
    results = _measure(args, folder, store, table, wanted)
    proposed.result = results[cell_name(args.env, proposed.sources.requirements())]
    if baseline.result is None:
        baseline.result = results[cell_name(args.env, baseline.sources.requirements())]
    for state in (baseline, proposed):
        state.closure = _closure(folder, state.result)
    before, after = baseline.closure, proposed.closure
    if not before:  # a stored baseline whose lock is elsewhere: compare what its result recorded
        before = {n: v for n, v in baseline.result.versions.items() if v and n != "python"}
        after = {n: v for n, v in after.items() if n in before}
    judgement = gate.judge(baseline.result, proposed.result, gate.changes(before, after))
    if judgement.exit_code == gate.EXIT_REGRESSION and judgement.changes:
        judgement.fixes = _fixes(args, folder, store, table, judgement, baseline, proposed)
    return judgement


def _measure(args, folder: Path, store: Store, table: tuple, wanted: dict) -> dict:
    cells = matrix.derived_cells(folder, args.env, wanted)
    options = pipeline.RunOptions(
        project=folder, reports=store.reports, cells=cells, resume=True, timeout_s=args.timeout,
        jobs=args.jobs, signatures=table, excluded=tuple(args.requirements or [sources.DEFAULT_FILE]),
    )  # fmt: skip
    outcome = pipeline.run(options, store, progress.PlainProgress(sys.stderr))  # stdout: the result
    if outcome.interrupted:
        raise processes.Interrupted()
    return {result.cell.name: result for result in outcome.results}


def _closure(folder: Path, result) -> dict:
    return dict(lock.locked(folder / result.lock)) if result.lock else {}


def _fixes(
    args, folder: Path, store: Store, table: tuple, judgement, baseline: Side, proposed: Side
):
    python = proposed.result.versions.get("python") or baseline.result.versions.get("python") or ""
    evidence = [remedy.Backing(baseline.result, f"baseline {baseline.label}")]
    for source in args.evidence:
        path = source / "compat.json" if source.is_dir() else source
        try:
            stored = reports.results_of(reports.load(path))
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--from-report {source}: {exc}") from exc
        evidence += [remedy.Backing(result, f"report {path}") for result in stored]
    lines = proposed.sources.requirements()
    known = baseline.sources.names() if baseline.sources else {}
    coupled = _coupled(judgement, table, lines, proposed.closure)
    found = remedy.options(
        lines, known, judgement.changes, coupled, evidence, python, proposed.closure
    )
    if args.try_fixes:
        tried = _candidates(judgement, found, coupled, lines, proposed.closure, evidence, python)
        wanted = {cell_name(args.env, c): c for c in tried[: args.try_fixes]}
        if wanted:
            measured = _measure(args, folder, store, table, wanted)
            evidence += [remedy.Backing(r, "--try-fixes") for r in measured.values()]
            found = remedy.options(
                lines, known, judgement.changes, coupled, evidence, python, proposed.closure
            )
    return remedy.verify(found, evidence, python, proposed.closure)


def _coupled(judgement, table: tuple, lines: list, closure: dict) -> list:
    """Packages a fix might raise: those the failures' signatures name, then the direct
    requirements that did not change."""
    signatures = by_id(table)
    changed = {c.name for c in judgement.changes}
    named = [
        signatures[r.signature].coupled for r in judgement.regressions if r.signature in signatures
    ]
    direct = [n for n in (sources.requirement_name(line) for line in lines) if n]
    return [n for n in dict.fromkeys(named + direct) if n and n not in changed and n in closure]


def _candidates(judgement, found: list, coupled: list, lines: list, closure: dict,
                evidence: list, python: str) -> list:  # fmt: skip
    """Requirement sets worth measuring, most promising first: the bounds no cell proves yet,
    then each coupled package's next minor releases, oldest first, with the bumped packages
    held at their proposed versions."""
    ordered = [o.lines for o in found if o.kind == "bound"
               and not any(remedy.satisfies(e.result, o.lines, python) for e in evidence)]  # fmt: skip
    held = lines
    for change in judgement.changes:
        if change.after and change.name in {sources.requirement_name(line) for line in lines}:
            held = remedy.replaced(held, change.name, f"{change.name}=={change.after}")
    for name in coupled:
        try:
            newer = index.latest_of_each_minor(index.releases(name), Version(closure[name]))
        except (OSError, ValueError, LookupError, InvalidVersion):
            continue
        ordered += [remedy.replaced(held, name, f"{name}=={version}") for version in newer]
    return ordered
