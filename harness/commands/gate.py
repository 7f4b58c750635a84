"""``harness gate``: would this dependency change break the project's own tests?

The proposed code runs twice: with the base ref's dependencies (the baseline) and with its
own (the working tree). ``gate.inputs`` first compares what the envs read for their
dependencies in the two states; when nothing differs, no cell runs and the gate passes. Else
the baseline is the working tree's files with the differing inputs taken from the base ref
(``stages.snapshot``), or a stored report. In each state the project's test env runs as a cell
with the state's requirements (``requirements.txt``, or pyproject's dependencies) in place of
its deps for the same packages; an env that installs ``uv.lock`` runs as it is. Both cells
run through the usual pipeline (same verdicts, signatures, probe, fingerprints; a stored
result with the same fingerprint is reused). ``gate.judge`` compares them: a test the code
broke fails in both and does not gate; a regression gets the fixes measured cells support.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import index, processes
from harness.errors import EXIT_INTERRUPTED, HarnessError
from harness.gate import inputs, remedy, trial
from harness.gate import judge as gate
from harness.gate import output as gate_output
from harness.names import within
from harness.report import compat as reports
from harness.report import progress, publish
from harness.stages import interpreters, lock, pipeline, snapshot, sources
from harness.stages import select as matrix
from harness.stages.signatures import by_id
from harness.state import State, add, say_setup, write_junit
from harness.store import Store

DEFAULT_ENV = "py"  # tox's bare [testenv]
GITLAB_BASE = "CI_MERGE_REQUEST_DIFF_BASE_SHA"  # a merge request pipeline's base commit


@dataclass
class Side:
    label: str  # "working tree", "HEAD~1", "report PATH"
    sources: sources.Sources = None
    result: object = None  # CellResult
    closure: dict = field(default_factory=dict)
    root: Path = None  # the folder holding the state's files; None for a stored report
    key: str = ""  # what names the state's cell: the commit, or "working tree"
    from_uv_lock: bool = False  # its env installs uv.lock: the requirements stay as they are

    def lines(self) -> list:
        return [] if self.from_uv_lock or not self.sources else self.sources.requirements()


DESCRIPTION = "Would this dependency change break the project's own tests? The proposed code runs twice: with the base ref's dependencies (the baseline) and with its own (the working tree). When no dependency input differs, no cell runs and the gate passes. A test that passes with the base's dependencies and fails with the proposed ones is a regression; a test the code change broke fails in both and does not gate. For a regression the gate lists the fixes that measured cells support (a revert, an upper bound, raising a coupled package), from stored reports and from --try-fixes cells."
EXAMPLES = (
    "harness gate --project . --base origin/main",
    "harness gate --base origin/main --try-fixes 4 --junit junit.xml",
)
EXITS = (0, 1, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "gate", help="fail when a dependency change breaks tests that passed"
    )
    parser.set_defaults(handler=command)
    add(parser, "project", "reports")
    parser.add_argument("--base", help="git ref whose dependencies are the baseline (default: "
                        f"${GITLAB_BASE} where set, else HEAD)")  # fmt: skip
    parser.add_argument(
        "--baseline-report",
        type=Path,
        metavar="DIR",
        help="instead of --base: the state an earlier gate measured as its working tree, read "
        "from its folder (REPORTS/gate, holding gate.json and compat.json, or the reports "
        "folder that holds it)",
    )
    parser.add_argument("--requirements", action="append", default=[], metavar="FILE",
                        help="requirement file (repeatable; default requirements.txt, else pyproject)")  # fmt: skip
    parser.add_argument("--env", help="the tox env whose tests and settings to use (default: "
                        "the first of env_list that runs on an installed Python, else py)")  # fmt: skip
    parser.add_argument("--from-report", dest="evidence", action="append", default=[], type=Path,
                        metavar="DIR", help="stored reports whose passing cells can back a fix")  # fmt: skip
    parser.add_argument("--try-fixes", type=int, nargs="?", const=4, default=0, metavar="N",
                        help="run up to N candidate cells to measure fixes (N defaults to 4)")  # fmt: skip
    parser.add_argument(
        "--json", action="store_true", help="print the result as JSON (harness.gate/1)"
    )
    add(parser, "timeout", "jobs", "threads_per_cell", "signatures", "junit", "as_of")


def cell_name(env: str, key: str, lines: list) -> str:
    """The gate cell of a state: ``ENV-gate_proposed`` for the working tree (``key``), else
    ``ENV-gate_base``. One cell per role: a new state takes the place of the last one (its
    fingerprint differs), so the gate's folder holds the gate's cells, not every state seen."""
    return f"{env}-gate_{'proposed' if key == 'working tree' else 'base'}"


def default_env(project: Path) -> str:
    """The env the project tests with: the first of ``env_list`` with a Python factor whose
    interpreter is installed; else ``py`` (tox's bare env) when it is listed or nothing is;
    else the first listed."""
    listed = matrix.env_list(project)
    for name in listed:
        factors = [interpreters.parse(f) for f in name.split("-")]
        if any(f.version and interpreters.locate(f.text) for f in factors):
            return name
    return DEFAULT_ENV if DEFAULT_ENV in listed or not listed else listed[0]


def command(state: State) -> int:
    args = state.args
    if args.try_fixes < 0:
        raise HarnessError(f"--try-fixes must be 0 or more, not {args.try_fixes}")
    folder = state.project
    say_setup(folder)
    if args.base is not None and not args.base.strip():  # an unset CI variable: never HEAD
        raise HarnessError("--base is empty: name a git ref, or leave --base out for HEAD")
    args.base = args.base or ("HEAD" if args.baseline_report else _default_base())
    proposed = Side("working tree", sources.read(folder, args.requirements), root=folder,
                    key="working tree")  # fmt: skip
    if not args.baseline_report:
        snapshot.commit_of(folder, args.base)  # a bad ref stops here, before the folder is taken
    with state.folder("gate") as store:
        baseline, changed = _baseline(args, folder, store)
        if changed == []:
            judgement = gate.unchanged(args.base)
            doc = gate_output.save(judgement, baseline, proposed, store.reports)
            write_junit(state, [])  # a CI step that reads it finds it, with no test run
            return gate_output.emit(doc, judgement.exit_code, args.json)
        _choose_env(args, folder)
        try:
            judgement = _run(state, store, baseline, proposed)
        except (KeyboardInterrupt, processes.Interrupted):
            processes.LIVE.stopping = False
            publish.publish(store, folder, [], True, {}, state.signatures, to_summary=False)
            return EXIT_INTERRUPTED
        judgement.inputs = changed
        publish.publish(store, folder, [], False, {}, state.signatures, to_summary=False)
        doc = gate_output.save(judgement, baseline, proposed, store.reports)
        write_junit(state, [_named(role, side) for role, side in
                            (("baseline", baseline), ("proposed", proposed))])  # fmt: skip
    return gate_output.emit(doc, judgement.exit_code, args.json)


def _choose_env(args: argparse.Namespace, folder: Path) -> None:
    if not args.env:
        args.env = default_env(folder)
        print(f"harness gate: testing with env {args.env} (choose another with --env)",
              file=sys.stderr)  # fmt: skip


def _default_base() -> str:
    """The base a CI system names (a GitLab merge request's diff base), else ``HEAD``."""
    found = os.environ.get(GITLAB_BASE, "").strip()
    if found:
        print(f"harness gate: base {found} (${GITLAB_BASE})", file=sys.stderr)
    return found or "HEAD"


def _named(role: str, side: Side):
    """The side's result named for a JUnit reader: ``baseline HEAD: py311``, the env its
    ad-hoc cell (``py311-gate_base``) runs as."""
    env = side.result.cell.base_env or side.result.cell.name
    cell = replace(side.result.cell, name=f"{role} {side.label}: {env}")
    return replace(side.result, cell=cell)


def _baseline(args: argparse.Namespace, folder: Path, store: Store) -> tuple:
    """The baseline state and the dependency inputs that differ from the proposed one's
    (None: not compared, a stored report)."""
    if args.baseline_report:
        _choose_env(args, folder)
        result = gate_output.baseline_from_report(args.baseline_report, args.env)
        return Side(f"report {args.baseline_report}", result=result), None
    snapshots = store.make_envs() / ".snapshots"
    base = snapshot.checkout(folder, args.base, snapshots)
    named = tuple(args.requirements)
    changed = inputs.changed(base, folder, named)
    label = args.base
    if not changed:
        return Side(label), changed
    outside = sorted(p for p in inputs.files(folder, named) if p.startswith("../"))
    root = snapshot.overlay(folder, base, changed, outside, snapshots / "baseline", store.reports)
    key = f"{snapshot.commit_of(folder, args.base)} dependencies"
    return Side(label, sources.read(root, args.requirements, label), root=root, key=key), changed


def _run(state: State, store: Store, baseline: Side, proposed: Side):
    args, folder, table = state.args, state.project, state.signatures
    for side in (s for s in (baseline, proposed) if s.result is None):
        env = _env_of(side.root, args.env, side.label)
        side.from_uv_lock = env.installs_from_uv_lock
        name = cell_name(args.env, side.key, side.lines())
        side.result = _measure(args, side.root, store, table, {name: side.lines()}, env)[name]
    for side in (baseline, proposed):
        side.closure = _closure(side.root, side.result, store.reports) if side.root else {}
    before, after = baseline.closure, proposed.closure
    if not before:  # a stored baseline whose lock is elsewhere: compare what its result recorded
        before = {n: v for n, v in baseline.result.versions.items() if v and n != "python"}
        after = {n: v for n, v in after.items() if n in before}
    judgement = gate.judge(baseline.result, proposed.result, gate.moved(before, after, proposed.result, proposed.lines()))  # fmt: skip
    if judgement.exit_code == gate.EXIT_REGRESSION and judgement.changes:
        judgement.fixes = _fixes(args, folder, store, table, judgement, baseline, proposed)
    return judgement


def _measure(args, folder: Path, store: Store, table: tuple, wanted: dict, env=None) -> dict:
    cells = matrix.derived_cells(folder, args.env, wanted, env)
    options = pipeline.RunOptions(
        project=folder, reports=store.reports, cells=cells, resume=True, timeout_s=args.timeout,
        jobs=args.jobs, threads=args.threads_per_cell, signatures=table, excluded=tuple(args.requirements or [sources.DEFAULT_FILE]), as_of=args.as_of,
    )  # fmt: skip
    outcome = pipeline.run(options, store, progress.PlainProgress(sys.stderr))  # stdout: the result
    if outcome.interrupted:
        raise processes.Interrupted()
    return {result.cell.name: result for result in outcome.results}


def _env_of(root: Path, env: str, label: str):
    """The env as the state's tox config has it (a Cell)."""
    found = matrix.tox_cells(root, [env])
    if not found:
        raise HarnessError(f"the {label} has no tox env {env!r}")
    return found[0]


def _closure(folder: Path, result, reports: Path) -> dict:
    path = within(result.lock, folder, reports)  # a stored path is never followed out
    return dict(lock.locked(path)) if path is not None else {}


def _fixes(
    args, folder: Path, store: Store, table: tuple, judgement, baseline: Side, proposed: Side
):
    python = proposed.result.versions.get("python") or baseline.result.versions.get("python") or ""
    evidence = [remedy.Backing(baseline.result, f"baseline {baseline.label}")]
    for source in args.evidence:
        path = source / "compat.json" if source.is_dir() else source
        if source.is_dir() and not path.exists() and (source / "gate" / "compat.json").exists():
            path = source / "gate" / "compat.json"  # a gate's reports: its own folder's cells
        try:
            stored = reports.results_of(reports.load(path))
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--from-report {source}: {exc}") from exc
        evidence += [remedy.Backing(result, f"report {path}") for result in stored]
    lines = proposed.lines()
    known = baseline.sources.names() if baseline.sources else {}
    broken = tuple(r.test for r in judgement.regressions if r.test != "(the cell)")
    coupled = _coupled(judgement, table, lines, proposed.closure)
    found = remedy.options(
        lines, known, judgement.changes, coupled, evidence, python, proposed.closure
    )
    if args.try_fixes and not proposed.from_uv_lock:
        tried = _candidates(judgement, found, coupled, lines, proposed.closure, evidence, python)
        candidates = [trial.candidate(args.env, lines, c) for c in tried]
        at = {(line.path, line.number) for line in proposed.sources.lines}
        judgement.tried, bounds = trial.try_all(
            args, folder, store, table, candidates, at, evidence, broken
        )
        found = remedy.options(lines, known, judgement.changes, coupled, evidence, python,
                               proposed.closure, bounds, broken)  # fmt: skip
    return remedy.verify(found, evidence, python, proposed.closure, broken)


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
    broken = tuple(r.test for r in judgement.regressions if r.test != "(the cell)")
    ordered = [o.lines for o in found if o.kind == "bound"
               and not any(remedy.proves(e, o) and remedy.satisfies(e.result, o.lines, python, broken)
                           for e in evidence)]  # fmt: skip
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
