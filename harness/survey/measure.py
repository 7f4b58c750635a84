"""One project of a survey, measured: its sdist downloaded and unpacked into the survey's
folder, its test setup found (or written), its cells (the env it tests with, with each
``--with`` group; the control first) run through the pipeline, its outcome judged.

Every way a project can go wrong becomes its row, never the survey's end: an sdist that is
missing or not the index's, no tests, no setup, a config tox cannot read, a build or install
failure, a timeout, a full disk. Only an interrupt ends the survey. Each project keeps its own
reports folder (``projects/NAME-VERSION/reports``: its cells, locks, run logs and
compat.{json,md,html}, the row's evidence); its envs are removed once it is measured, so a
survey's disk holds one project's envs at a time beside uv's cache.
"""

from __future__ import annotations

import datetime
import os
import shutil
import threading
import time
import urllib.error
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness import processes
from harness.errors import ConfigError, DiskSpaceError, HarnessError, StorageError, ToolError
from harness.model import CRASH, FAIL, CellResult
from harness.names import safe_name
from harness.report import publish
from harness.stages import asof, expectations, lock, pipeline
from harness.stages import select as matrix
from harness.stages.signatures import BUILTIN
from harness.store import Store
from harness.survey import attempts, caps, discover, fetch, incomplete, judge, pythons
from harness.survey import row as rows
from harness.survey.fetch import FULL, full_disk
from harness.survey.side_by_side import Folders

PROJECTS = "projects"
FOLDERS = Folders()  # one measurement at a time in a release's folder


@dataclass
class SurveyOptions:
    reports: Path  # the survey's folder
    changes: list  # the --with groups, the control first
    python: str = ""  # "3.11"; "" lets each project's own choice stand
    timeout_s: float = 1800.0
    jobs: int = 0
    threads: int = 0  # --threads-per-cell (0: not capped)
    resume: bool = False  # keep cells whose inputs are unchanged
    signatures: tuple = BUILTIN
    disk_budget: int = 0
    skip_disk_check: bool = False
    choose_env: object = None  # (folder, python, pythons) -> the env of its own tox config
    changes_only: bool = False  # measure the changed cells alone, without the control
    as_of: str = ""  # --as-of: an RFC 3339 time, "release" (each project's upload), "" (now)


@dataclass
class Surveyed:
    row: rows.Row
    control: CellResult = None
    changes: list = field(default_factory=list)


def folder_of(reports: Path, name: str, version: str) -> Path:
    """``projects/NAME-VERSION``: a plain name (an epoch's ``!`` becomes ``_``)."""
    return reports / PROJECTS / safe_name(f"{name}-{version}".replace("!", "_"), "project folder")


def measure(sdist: fetch.Sdist, options: SurveyOptions, progress=None) -> Surveyed:
    """The project's row, from its cells; an interrupt propagates (processes.Interrupted)."""
    start = time.monotonic()
    row = rows.Row(sdist.project, sdist.version,
                   sdist={"filename": sdist.filename, "url": sdist.url, "sha256": sdist.sha256})  # fmt: skip
    measured = Surveyed(row)
    try:
        folder = folder_of(options.reports, sdist.project, sdist.version)
    except HarnessError as exc:
        row.reason_kind, row.reason = rows.BAD_SDIST, f"the release cannot name a folder: {exc}"
        return measured
    with FOLDERS.lock(folder):
        try:
            attempt, note, instead, own = attempts.FIRST, "", "", ""
            while True:
                _measure_in(folder, sdist, options, progress, measured, attempt, note, instead)
                if attempt == attempts.FIRST and row.setup.get("kind") == discover.TOX:
                    own = row.setup["source"]  # its own tox config: the found setup may follow
                control = measured.control
                then = attempts.following(attempt, row.reason_kind, control is not None,
                                          control.tests.passed if control else 0, bool(own),
                                          options.as_of, bool(sdist.uploaded), options.changes_only)  # fmt: skip
                if then is None:
                    break
                note, instead = attempts.notes(attempt, then, row.reason_kind, row.reason, own)
                instead = instead or row.setup.get("instead", "")  # found, as of its release
                _drop_envs(folder / "reports")  # the next try's envs are built afresh
                _set_aside(folder / "reports", folder / attempt.aside)
                measured, attempt = Surveyed(row), then
        except rows.Unmeasurable as exc:
            row.reason_kind, row.reason = exc.kind, exc.reason
        except (DiskSpaceError, StorageError) as exc:
            row.reason_kind, row.reason = rows.DISK, str(exc)
        except (ConfigError, ToolError) as exc:
            row.reason_kind, row.reason = rows.CONFIG, str(exc).strip().splitlines()[0]
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            row.reason_kind, row.reason = rows.NETWORK, f"the index could not be reached: {exc}"
        except processes.Interrupted:
            raise
        except Exception as exc:  # a bug, met on one project: its row says so, the survey goes on
            if isinstance(exc, OSError) and exc.errno in FULL:
                row.reason_kind, row.reason = rows.DISK, full_disk(exc)
            elif os.environ.get("HARNESS_TRACEBACK"):
                raise
            else:
                row.reason_kind, row.reason = rows.INTERNAL, internal(exc)
        finally:
            discover.forget(folder / "src")
            _drop_envs(folder / "reports")
            row.duration_s = round(time.monotonic() - start, 1)
            now = datetime.datetime.now(datetime.timezone.utc)
            row.measured_at = now.isoformat(timespec="seconds")
    return measured


def _set_aside(reports: Path, aside: Path) -> None:
    """The first measurement's reports kept beside the next one's (an older one replaced)."""
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside)
    reports.rename(aside)


def internal(exc: BaseException) -> str:
    return f"internal error: {type(exc).__name__}: {exc}"


def _measure_in(folder: Path, sdist: fetch.Sdist, options: SurveyOptions, progress,
                measured: Surveyed, attempt: attempts.Try = attempts.FIRST, why: str = "",
                instead: str = "") -> None:  # fmt: skip
    """One try (``attempts``): ``why``, its as-of note; ``instead``, why not its own tox config."""
    row = measured.row
    if attempt.as_of == attempts.RELEASE:
        options = replace(options, as_of=asof.RELEASE)
    row.as_of, row.as_of_note = options.as_of, why or ("asked" if options.as_of else "")
    if options.as_of == asof.RELEASE:
        if not sdist.uploaded:
            raise rows.Unmeasurable(rows.NO_RELEASE, "the index gives no upload time for its "
                                    "sdist, which --as-of release needs")  # fmt: skip
        row.as_of, row.as_of_note = sdist.uploaded, why or "its release's upload"
    options = replace(options, as_of=row.as_of)
    reports = folder / "reports"
    archive = fetch.download(sdist)
    folder.mkdir(parents=True, exist_ok=True)
    source = fetch.extract(archive, folder / "src")
    setup = discover.find(source)
    allowed = () if options.python else pythons.installable(tuple(options.changes))
    if attempt.setup == attempts.FOUND:  # its own config ran no test: the harness's, beside it
        setup = discover.write_beside(
            source, setup.source, pythons.generated(options.python, allowed)
        )
    elif setup.kind == discover.TOX:
        setup = replace(setup, env=options.choose_env(source, options.python, allowed))
    else:
        setup = discover.write_tox(source, setup, pythons.generated(options.python, allowed))
    row.setup = setup.to_dict()
    if instead:
        row.setup.update(instead=instead, describe=f"{row.setup['describe']}; {instead}")
    cells = [replace(cell, past_collection_errors=True)  # a stale module costs itself alone
             for cell in matrix.adhoc_cells(source, options.changes, setup.env)]  # fmt: skip
    for cell in cells:
        matrix.check_deps(cell)
    declared = [[dict(d, excludes=group) for d in caps.excluding(source, cell, matrix.parse_pins(
        [group]), options.python)] for cell, group in zip(cells, options.changes)]  # fmt: skip
    if any(declared[1:]):  # the project excludes a change: each cell it excludes is forced over it
        row.declared_caps = [d for found in declared for d in found]
        cells = [replace(cell, forced=bool(found)) for cell, found in zip(cells, declared)]
    results = _run(source, reports, cells[options.changes_only :], options, progress)
    row.evidence = str((reports / "compat.html").relative_to(options.reports))
    if options.changes_only:
        measured.changes = results
        return
    measured.control, measured.changes = results[0], results[1:]
    _judged(row, options.changes, measured.control, measured.changes)
    gone = row.reason_kind == rows.NO_TESTS_RAN and incomplete.incomplete(
        source, measured.control.failures
    )
    if gone:  # no setup fixes that
        row.reason_kind, row.reason = rows.INCOMPLETE_TESTS, gone
    if row.outcome == rows.BREAKS:  # a break counts once it repeats: run the changed cells again
        again = _run(source, reports, cells[1:], replace(options, resume=False), progress)
        _judged(row, options.changes, measured.control, measured.changes, again)
    if row.declared_caps:
        capped(row)


def capped(row: rows.Row) -> None:
    """A row whose project declares itself incompatible with the change: the outcome measured
    with its bounds overridden says whether they are needed."""
    bounds = "; ".join(
        dict.fromkeys(f"{d['requirement']} ({d['where']})" for d in row.declared_caps)
    )
    row.cap = {rows.BREAKS: rows.CAP_NEEDED, rows.WORKS: rows.CAP_NOT_NEEDED,
               rows.BROKEN_REGARDLESS: rows.CAP_NOT_NEEDED}.get(row.outcome, rows.CAP_UNMEASURED)  # fmt: skip
    row.reason = (f"declares {bounds}; with that overridden, {row.cap}: {row.outcome}"
                  + (f" ({row.reason})" if row.reason else ""))  # fmt: skip
    row.outcome = rows.DECLARES_INCOMPATIBLE


def change_first(sdist: fetch.Sdist, options: SurveyOptions, progress=lambda: None) -> Surveyed:
    """A release measured for a bisection step: its changed cells first, and its control only
    when one of them fails or crashes (a change that passes breaks nothing; one that could not
    be measured leaves the step unmeasured whatever the control does), the changed cells then
    kept (``resume``). ``progress()`` makes each measurement's display."""
    options = replace(options, resume=True)
    alone = measure(sdist, replace(options, changes_only=True), progress())
    if not any(r.verdict in (FAIL, CRASH) for r in alone.changes):
        return alone
    return measure(sdist, options, progress())


def _run(source: Path, reports: Path, cells: list, options: SurveyOptions, progress) -> list:
    """Run the cells through the pipeline; their results in the cells' order, the project's
    compat reports written."""
    store = Store(reports)
    store.acquire("survey")
    interrupted, outcome = False, None
    try:
        run = pipeline.RunOptions(
            project=source, reports=store.reports, cells=cells, resume=options.resume,
            timeout_s=options.timeout_s, jobs=options.jobs, signatures=options.signatures,
            threads=options.threads, disk_budget=options.disk_budget, skip_disk_check=options.skip_disk_check,
            as_of=options.as_of,
        )  # fmt: skip
        try:
            outcome = pipeline.run(run, store, progress or pipeline.Silent())
            interrupted = outcome.interrupted
        except (KeyboardInterrupt, processes.Interrupted):
            interrupted = True
        if threading.current_thread() is threading.main_thread():
            processes.LIVE.stopping = False  # every process is gone; now report
        done = {r.cell.name for r in outcome.results} if outcome else set()
        try:
            control = None if options.changes_only else cells[0].name  # None: as recorded
            publish.publish(store, source, [c.name for c in cells if c.name not in done],
                            interrupted, {}, options.signatures, expectations.NONE,
                            to_summary=False, control=control)  # fmt: skip
        except processes.Interrupted:  # one project of several: the survey's interrupt
            interrupted = True
    finally:
        store.release()
    if interrupted:
        raise processes.Interrupted()
    found = {r.cell.name: r for r in outcome.results}
    return [found[c.name] for c in cells]


def _drop_envs(reports: Path) -> None:
    """The project's envs, once measured: its results, locks and logs stay."""
    store = Store(reports)
    if store.envs_marked():
        shutil.rmtree(store.envs, ignore_errors=True)


def cell_summary(result: CellResult, role: str, pins: str) -> dict:
    """What a row says of one cell."""
    watched = {n: v for n, v in result.versions.items() if n == "python" or n in result.cell.pins}
    problem = result.problem
    return {
        "cell": result.cell.name, "role": role, "with": pins, "verdict": result.verdict,
        "tests": dict(vars(result.tests), total=result.tests.total),
        "signatures": result.signature_counts(), "interpreter": result.interpreter,
        "versions": watched, "duration_s": round(result.duration_s, 1),
        "problem": f"{problem.signature}: {problem.evidence}" if problem else "",
        "as_of": result.as_of, "exempt": list(result.exempt),
    }  # fmt: skip


def _judged(row: rows.Row, groups: list, control: CellResult, changes: list,
            again: list = None) -> None:  # fmt: skip
    before = lock.locked(Path(control.lock)) if control.lock else set()
    moved = {change.cell.name: judge.moved(before, lock.locked(Path(change.lock)), change.cell.pins)
             for change in changes if change.lock and before}  # fmt: skip
    row.cells = [cell_summary(r, "control" if i == 0 else "change", groups[i])
                 for i, r in enumerate([control, *(again or changes)])]  # fmt: skip
    for summary in row.cells[1:]:
        summary["moved"] = moved.get(summary["cell"], {})
    found = judge.judge(control, changes, again, moved)
    row.outcome, row.reason, row.reason_kind = found.outcome, found.reason, found.reason_kind
    row.broken_tests = [vars(b) for b in found.broken]
    row.fixed_tests = found.fixed
    row.flaky_tests = [vars(b) for b in found.flaky]
