"""``harness merge``: join the results the CI shards uploaded into one reports folder: cell
results of ``harness run --shard``, or the folders of a survey's shards (``survey.json``)."""

from __future__ import annotations

import sys
from pathlib import Path

from harness import planned
from harness.errors import EXIT_OK, EXIT_UNMEASURED, HarnessError
from harness.files import copy_plain_tree
from harness.names import log_parts
from harness.report import publish
from harness.state import State, add
from harness.store import Store, result_key
from harness.survey import merge as survey_merge
from harness.survey import output as survey_output

DESCRIPTION = "Join the folders CI shards uploaded into one reports folder: the cell results of harness run --shard, or the folders of a survey's shards. A cell or project answered two ways, or a planned one no shard answered, is named, and the merge exits 3."
EXAMPLES = (
    "harness merge shard-*/ --reports merged",
    "harness merge shard-*/ --plan plan.json --reports merged",
)
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    merger = commands.add_parser("merge", help="join the reports of many runners into one")
    merger.set_defaults(handler=command)
    merger.add_argument("sources", nargs="+", type=Path, metavar="DIR",
                        help="the reports folders the shards uploaded")  # fmt: skip
    add(merger, "reports")
    merger.add_argument("--plan", type=Path, default=None, metavar="FILE",
                        help="what harness plan printed (its matrix or --list): every planned "
                        "cell or project that no shard answered is named, exit 3")  # fmt: skip
    merger.add_argument(
        "--project", type=Path, default=None, help="mark cells whose inputs changed"
    )


def command(state: State) -> int:
    """Copy every runner's results (and the run folders they point to) into one folder.

    A runner's folder is input: only results of the schema's shape with plain names are taken,
    and nothing is read through a link or written outside ``--reports``."""
    args = state.args
    for source in args.sources:
        if not source.is_dir():
            raise HarnessError(
                f"merge: {source} {'is not a folder' if source.exists() else 'does not exist'}"
            )
        links = [source / name for name in ("cells", "runs") if (source / name).is_symlink()]
        if links:
            raise HarnessError(
                f"merge: {links[0]} is a symbolic link; the harness does not follow it"
            )
    cells, projects = _planned(args.plan)
    if any(survey_merge.is_survey(source) for source in args.sources):
        runs = [s for s in [*args.sources, state.reports] if survey_merge.holds_a_run(s)]
        if runs:
            raise HarnessError(f"merge: {runs[0]} holds a run's cell results, not a survey; "
                               "merge surveys with surveys, into a folder of their own")  # fmt: skip
        return _surveys(state, projects)
    conflicts, unreadable, seen = [], [], {}
    with state.folder("merge") as target:
        for source in args.sources:
            results, bad = Store(source.resolve()).load_all()
            unreadable += bad
            try:
                cells += planned.recorded(source)
            except (OSError, ValueError) as exc:
                unreadable.append(f"{source / planned.FILE} ({exc})")
            for result in results:
                key = result_key(result)
                earlier = seen.get(key)
                if earlier is not None:
                    if _summary(earlier) != _summary(result):
                        conflicts.append((key, earlier, result))
                    continue  # the first stays; a conflicting one is reported, never written over it
                seen[key] = result
                _copy_run(source, target.reports, result)
                target.save(result)
        recorded = (publish.recorded_control(source) for source in args.sources)
        control = next(filter(None, recorded), None)  # the shard that ran --control's cell names it
        paths, more = publish.publish(target, state.project, [], False, {}, control=control)
    for path in unreadable + more:
        print(f"harness merge: cannot read {path}; it is left out", file=sys.stderr)
    for key, first, second in conflicts:
        print(f"harness merge: {key} conflicts: {_summary(first)} against {_summary(second)}; "
              "the first is kept", file=sys.stderr)  # fmt: skip
    missing = sorted(set(cells) - set(seen))
    _name_missing(missing, "cell")
    print(
        f"harness merge: {len(seen)} cell result(s) from {len(args.sources)} folder(s) -> {paths['json']}"
    )
    return EXIT_UNMEASURED if conflicts or unreadable or more or missing else EXIT_OK


def _planned(path) -> tuple:
    """``(cells, projects)`` that --plan names; nothing without it. A bad file is bad input."""
    if path is None:
        return [], []
    try:
        return planned.from_plan(path)
    except (OSError, ValueError) as exc:
        raise HarnessError(
            f"merge: --plan {path}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc


def _name_missing(missing: list, what: str) -> None:
    for name in missing:
        print(f"harness merge: no shard answered the planned {what} {name}", file=sys.stderr)
    if missing:
        print(f"harness merge: {len(missing)} planned {what}(s) missing: did a shard fail "
              "or its upload?", file=sys.stderr)  # fmt: skip


def _surveys(state: State, projects: list) -> int:
    """Join the folders of a survey's shards: their rows and each project's evidence. A shard
    without a readable survey.json (one that crashed before its first row) is named, exit 3."""
    with state.folder("merge") as target:
        joined = survey_merge.join(state.args.sources, target.reports)
        if joined.changes:
            doc = survey_output.document(joined.rows, joined.changes, joined.python,
                                         joined.wall_s, joined.interrupted, joined.as_of)  # fmt: skip
            paths = survey_output.save(doc, target.reports)
    for path in joined.unreadable:
        print(f"harness merge: cannot read {path}; it is left out", file=sys.stderr)
    for key, first, other in joined.conflicts:
        print(f"harness merge: {key} conflicts: {first} against {other}; the first is kept",
              file=sys.stderr)  # fmt: skip
    missing = survey_merge.unanswered_projects(projects, joined.rows)
    _name_missing(missing, "project")
    if not joined.changes:
        print("harness merge: no survey.json could be read; nothing merged", file=sys.stderr)
        return EXIT_UNMEASURED
    print(f"harness merge: {len(joined.rows)} project row(s) from {len(state.args.sources)} "
          f"folder(s) -> {paths['json']}")  # fmt: skip
    return EXIT_UNMEASURED if joined.conflicts or joined.unreadable or missing else EXIT_OK


def _summary(result) -> tuple:
    return (result.verdict, result.tests.passed, result.tests.failed, result.tests.errors,
            sorted(f.test for f in result.failures))  # fmt: skip


def _copy_run(source: Path, target: Path, result) -> None:
    """Copy the run folder a result's (checked) log names: its plain files and folders only,
    never through a link, and never over a folder already there."""
    parts = log_parts(result.log)  # ("RUN", "NAME") of runs/RUN/NAME/tox.log, or ()
    if not parts:
        return
    paths = [Path("runs"), Path("runs", parts[0]), Path("runs", *parts)]
    if any((base / p).is_symlink() for base in (source, target) for p in paths):
        return
    copy_plain_tree(source / paths[2], target / paths[2])
