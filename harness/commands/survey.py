"""``harness survey``: many projects' own test suites across one change, as one table.

Each project (``NAME`` for its latest release, ``NAME==VERSION``, on the command line or one a
line in ``--from-file``) is fetched as an sdist from the index, checked against the index's
sha256, and set up the way it tests itself (``survey.discover``); its env runs once per
``--with`` group, the first being the control, through the usual pipeline. Its row says
``breaks``, ``works``, ``broken-regardless`` or ``not-measurable`` (with the reason), with the
tests the change breaks, their signatures and evidence. ``--first-compatible`` bisects a
breaking project's newer releases for the first that no longer breaks. The table
(survey.json, .md, .html) accumulates across runs; ``--resume`` keeps each finished row.
Projects run side by side (``--parallel``, one per CPU by default), each project's cells in
parallel too (``--jobs``). The exit code follows ``harness/errors.py``: 1 when a project
breaks, else 3 when a project could not be measured, else 0; 130 when interrupted.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from harness import index, processes
from harness.commands.gate import default_env
from harness.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNMEASURED,
    HarnessError,
    StorageError,
)
from harness.report import progress
from harness.report.actions import inert
from harness.stages import budget, interpreters, pipeline
from harness.stages import select as matrix
from harness.state import State, add
from harness.survey import compatible, fetch, measure, output, side_by_side
from harness.survey import row as rows
from harness.survey.wanted import Wanted, listed

SURVEY_REPORTS = ".harness-survey"
PYTHON = re.compile(r"3\.\d{1,2}")
TOOLS = {"lint", "docs", "doc", "type", "typing", "mypy", "flake8", "style", "fix", "format",
         "pkg_meta", "readme", "build", "release", "bench", "benchmark", "coverage"}  # fmt: skip


DESCRIPTION = "Measure many projects' own test suites across one change, as one table. Each project (NAME for its latest release, or NAME==VERSION) is fetched as an sdist from the index, set up the way it tests itself, and run once per --with group, the first being the control. Its row says breaks, works, broken-regardless or not-measurable (with the reason), with the tests the change breaks, their signatures and evidence. --first-compatible bisects a breaking project's newer releases for the first that no longer breaks. The table (survey.json, .md, .html) accumulates across runs."
EXAMPLES = (
    "harness survey pint==0.23 einops==0.8.0 --with numpy==1.26.4 --with numpy==2.2.6",
    "harness survey --from-file projects.txt --with numpy==1.26.4 --with numpy==2.2.6 --first-compatible",
)
EXITS = (0, 1, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser("survey", help="measure many projects' own tests across a change")
    parser.add_argument("projects", nargs="*", metavar="PROJECT[==VERSION]",
                        help="index names, optionally with a version (default: the latest)")  # fmt: skip
    parser.add_argument("--from-file", type=Path, metavar="FILE",
                        help="more projects, one PROJECT[==VERSION] a line; # starts a comment")  # fmt: skip
    add(parser, "adhoc", "reports")
    parser.add_argument("--python", default="", metavar="X.Y",
                        help="the Python the projects' tests run on (default: each project's "
                        "env as harness gate chooses it)")  # fmt: skip
    parser.add_argument("--first-compatible", action="store_true",
                        help="for each project that breaks, bisect its newer releases for the "
                        "first that no longer breaks")  # fmt: skip
    add(parser, "resume", "jobs", "threads_per_cell", "timeout", "disk_budget", "skip_disk_check",
        "signatures", "as_of")  # fmt: skip
    parser.add_argument("--parallel", type=int, default=0, metavar="N",
                        help="projects measured at once (0, the default: one per CPU); with "
                        "--disk-budget, one at a time")  # fmt: skip
    parser.set_defaults(handler=command, reports=Path(SURVEY_REPORTS))
    shared = parser._option_string_actions  # the shared options, told in a survey's words
    shared[
        "--with"
    ].help = "a cell: these pins in each project's env; the first --with is the control"
    shared["--reports"].help = f"the survey's folder (default: {SURVEY_REPORTS})"


def choose_env(folder: Path, python: str, pythons: tuple = ()) -> str:
    """The env of a project's own tox config: the first of its env_list with a factor of
    ``python`` (else of one of ``pythons``, those every cell installs on) and none of a tool's
    (lint, docs, …), else tox's ``pyXY`` env; without ``python``, the gate's choice unless its
    Python is not one of ``pythons``: then tox's env for the newest of them."""
    for name in matrix.env_list(folder):
        factors = name.split("-")
        minors = {interpreters.parse(f).version for f in factors} - {""}
        if not TOOLS & set(factors) and (python in minors if python else minors & set(pythons)):
            return name
    if python:
        return "py" + python.replace(".", "")
    chosen = default_env(folder)
    minors = {interpreters.parse(f).version for f in chosen.split("-")} - {""}
    if pythons and minors and not minors & set(pythons):  # py39, where the change cannot install
        return "py" + pythons[0].replace(".", "")
    return chosen


def _options(state: State) -> measure.SurveyOptions:
    args = state.args
    if len(state.adhoc) < 2:
        raise HarnessError("survey needs two --with or more: the control first, then the change")
    for group in state.adhoc:
        matrix.parse_pins([group])  # a bad --with stops here, before any work
    if args.parallel < 0:
        raise HarnessError(f"--parallel must be 0 (one per CPU) or more, not {args.parallel}")
    if args.python and not PYTHON.fullmatch(args.python):
        raise HarnessError(f"--python {args.python!r} is not a version such as 3.11")
    return measure.SurveyOptions(
        reports=state.reports, changes=list(state.adhoc), python=args.python,
        timeout_s=state.timeout, jobs=state.jobs, threads=state.threads, resume=args.resume,
        signatures=state.signatures,
        disk_budget=budget.parse_size(args.disk_budget) if args.disk_budget else 0,
        skip_disk_check=args.skip_disk_check, choose_env=choose_env, as_of=state.as_of,
    )  # fmt: skip


def _stored(folder: Path, options: measure.SurveyOptions) -> list:
    try:
        doc = output.load(folder)
    except (OSError, ValueError) as exc:
        raise HarnessError(
            f"{folder / 'survey.json'} cannot be read ({exc}); pass another --reports"
        ) from exc
    if doc is None:
        return []
    theirs = [doc["comparison"]["control"], *doc["comparison"]["changes"]]
    asked = (options.changes, options.python, options.as_of)
    if (theirs, doc["python"], doc.get("as_of", "")) != asked:
        raise HarnessError(f"{folder} holds a survey of {' vs '.join(theirs)} (python "
                           f"{doc['python'] or 'as chosen'}{output.as_of_words(doc)}); pass another "
                           "--reports")  # fmt: skip
    return [rows.Row.from_dict(r) for r in doc["rows"]]


def _resolve(wanted: list) -> dict:
    """``{Wanted: Sdist or Unmeasurable}``, asked of the index in parallel."""
    found = index.parallel(lambda w: fetch.choose(fetch.release(w.name, w.version or None)), wanted)
    for want, value in found.items():
        if isinstance(value, Exception) and not isinstance(value, rows.Unmeasurable):
            found[want] = rows.Unmeasurable(rows.NETWORK, f"the index could not be read: {value}")
    return found


def command(state: State) -> int:
    wanted, options = listed(state.args), _options(state)
    start, measured, interrupted, lock = time.monotonic(), [], False, threading.Lock()
    # under a disk budget one project at a time: each evicts from uv's cache what its own
    # cells do not need, which may be what another project is installing
    at_once = (
        1 if options.disk_budget else min(state.args.parallel or os.cpu_count() or 1, len(wanted))
    )
    if not options.jobs:  # the machine's memory shared by the projects side by side
        options = replace(options, jobs=pipeline.default_jobs(at_once, options.threads))
    with state.folder("survey") as store:
        stored = _stored(store.reports, options)
        previous = {(r.project, r.version): r for r in stored}
        resolved = _resolve(wanted)
        wanted = _once_each(wanted, resolved)
        found = {(s.project, s.version) for s in resolved.values() if isinstance(s, fetch.Sdist)}
        stored[:] = [r for r in stored if r.version or not any(p == r.project for p, _ in found)]
        listed_at = {}  # (project, version) -> its place in the list: the table's order

        def in_order(some: list) -> list:
            return sorted(some, key=lambda r: listed_at[(r.project, r.version)])

        def save() -> dict:
            with lock:
                rows_now = output.merged(stored, in_order(measured))
                doc = output.document(rows_now, options.changes, options.python,
                                      time.monotonic() - start, interrupted, options.as_of)  # fmt: skip
                return output.save(doc, store.reports)

        def record(row: rows.Row, number: int, want: Wanted) -> None:
            problem = output.row_problem(row)
            if problem:  # one project's odd row is its own, never every later save's
                row = rows.Row(want.name, want.version, reason_kind=rows.INTERNAL,
                               reason=measure.internal(ValueError(problem)))  # fmt: skip
            with lock:
                key = (row.project, row.version)
                listed_at[key] = number
                measured[:] = [r for r in measured if (r.project, r.version) != key] + [row]
            save()

        def survey_one(number: int, want: Wanted) -> None:
            counter = f"[{number}/{len(wanted)}]"
            label = f"{counter} {want}: " if at_once > 1 else ""
            try:
                row = _one(want, resolved[want], previous, options, state.args, counter, label)
                record(row, number, want)  # written before a bisection, which may take long
                if _bisects(row, state.args):
                    _first_compatible(row, options, counter, at_once > 1)
                    record(row, number, want)
            except (processes.Interrupted, StorageError):  # the table cannot be written: exit 3
                raise
            except Exception as exc:  # a bug, met on one project: its row says so
                if os.environ.get("HARNESS_TRACEBACK"):
                    raise
                say(f"{counter} {want}: {measure.internal(exc)}")
                record(rows.Row(want.name, want.version, reason_kind=rows.INTERNAL,
                                reason=measure.internal(exc)), number, want)  # fmt: skip

        try:
            interrupted = side_by_side.each(survey_one, list(enumerate(wanted, 1)), at_once)
        finally:
            paths = save()  # the table, whatever ended the survey
    for row in in_order(measured):
        print(inert(_line(row)))
    print(f"harness survey: wrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    if interrupted:
        print("harness survey: interrupted; run again with --resume to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code(measured)


def exit_code(found: list) -> int:
    """The table of ``harness/errors.py`` for this run's rows: 1 when one breaks, else 3 when
    one could not be measured (nor a declared cap's need), else 0 (``works``,
    ``broken-regardless`` and ``declares-incompatible`` are answers)."""
    outcomes = {row.outcome for row in found}
    if rows.BREAKS in outcomes:
        return EXIT_FAILED
    unmeasured = rows.NOT_MEASURABLE in outcomes or any(
        row.cap == rows.CAP_UNMEASURED for row in found
    )
    return EXIT_UNMEASURED if unmeasured else EXIT_OK


def _once_each(wanted: list, resolved: dict) -> list:
    """The projects asked for, each release once: ``foo`` and ``foo==1.0`` may be one sdist."""
    seen, kept = set(), []
    for want in wanted:
        sdist = resolved[want]
        key = (sdist.project, sdist.version) if isinstance(sdist, fetch.Sdist) else want
        if key not in seen:
            seen.add(key)
            kept.append(want)
    return kept


def _one(want: Wanted, found, previous: dict, options, args, counter: str, label: str) -> rows.Row:
    """The row of one project: kept (``--resume``), or measured."""
    if isinstance(found, rows.Unmeasurable):
        say(f"{counter} {want}: not measurable: {found.reason}")
        return rows.Row(want.name, want.version, reason_kind=found.kind, reason=found.reason)
    row = previous.get((found.project, found.version))
    if args.resume and row is not None and not row.retried:
        say(f"{counter} {found.project} {found.version}: kept ({row.outcome})")
        return row
    say(f"{counter} {found.project} {found.version}: measuring")
    row = measure.measure(found, options, progress.choose(prefix=label)).row
    say(f"{counter} {found.project} {found.version}: {row.outcome} ({row.duration_s:.0f}s) "
        f"{row.reason}")  # fmt: skip
    return row


def _bisects(row: rows.Row, args) -> bool:
    """Whether ``--first-compatible`` searches this row (a kept row's search is kept too)."""
    searched = row.first_compatible_search is not None
    return args.first_compatible and row.outcome == rows.BREAKS and not (args.resume and searched)


def _first_compatible(row: rows.Row, options, counter: str, labelled: bool) -> None:
    say(
        f"{counter} {row.project}: bisecting its newer releases for the first that no longer breaks"
    )
    try:
        data = fetch.release(row.project)
    except rows.Unmeasurable as exc:
        row.first_compatible_search = {"note": f"its releases could not be read: {exc.reason}",
                                       "last_failing": None, "steps": [], "dropped": [],
                                       "monotone": True}  # fmt: skip
        return
    compatible.first_compatible(
        row, data,
        lambda sdist: measure.change_first(sdist, options, lambda: progress.choose(
            prefix=f"{counter} {sdist.project}=={sdist.version}: " if labelled else "")),
        say,
        options.python,
    )  # fmt: skip
    say(f"{counter} {row.project}: {row.first_compatible_search['note']}")


def say(text: str) -> None:
    sys.stderr.write(f"harness survey: {inert(text)}\n")  # one write: projects run side by side
    sys.stderr.flush()


def _line(row: rows.Row) -> str:
    text = f"{row.project} {row.version}: {row.outcome}"
    if row.broken_tests:
        text += f", {len(row.broken_tests)} broken"
    if row.first_compatible or row.first_compatible_search:
        text += f"; {row.first_compatible_search.get('note', '') if row.first_compatible_search else ''}"
    return text + (f" ({row.reason})" if row.reason and row.outcome != rows.BREAKS else "")
