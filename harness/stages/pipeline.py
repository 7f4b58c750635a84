"""``harness run``: select, find Pythons, lock, check disk, run cells in parallel, decide, store."""

from __future__ import annotations

import datetime
import json
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness import names
from harness.model import PROBE, SUITE, Cell, CellResult, Provenance
from harness.processes import LIVE
from harness.stages import asof, budget, collect, confirm, lock, prepare, provision
from harness.stages import disk as environments
from harness.stages.execute import CellRun, run_cell
from harness.stages.fingerprint import fingerprint, project_digest, snapshot, written_during
from harness.stages.signatures import BUILTIN
from harness.stages.verdicts import Evidence, decide
from harness.store import Store, write_atomic

CELL_MEMORY_BYTES = 3 * 1024**3  # torch + the suite, with room to spare


@dataclass
class RunOptions:
    project: Path
    reports: Path
    envs: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    adhoc: list = field(default_factory=list)
    jobs: int = 0  # 0: bounded by cores and memory
    timeout_s: float = 1800.0
    resume: bool = False
    skip_disk_check: bool = False
    signatures: tuple = BUILTIN
    posargs: list = field(default_factory=list)  # passed to tox after "--"
    cells: list = None  # cells made elsewhere (the gate's); None: select them from tox
    excluded: tuple = ()  # project files that reach the cells through their deps, not the tree
    force: bool = False  # run forced twins: the pins as uv overrides, against package metadata
    mode: str = SUITE  # or PROBE: seconds of stack checks instead of the env's commands
    disk_budget: int = 0  # bytes the cache and the envs may take (0: no budget)
    shard: tuple = None  # (K, N): run only shard K of N
    control: str = ""  # --control: the cell the others are read against ('' : by --with, or none)
    threads: int = 0  # --threads-per-cell: each cell's numeric libraries capped (0: not capped)
    as_of: str = ""  # --as-of: each cell's lock resolved as of this time ('' : now)


@dataclass
class RunOutcome:
    cells: list
    results: list  # CellResult, in selection order, for the cells that finished
    reused: list  # names of cells kept from an earlier run
    interrupted: bool = False
    control: str = ""  # the cell the report reads the others against ('' for none)


class Silent:
    """The progress interface; the terminal and CI displays implement it."""

    def locking(self, cells: list, selected: list) -> None: ...  # before the stale cells' locks

    def planned(self, cells: list, reused: list, disk: str = "") -> None: ...

    def stage(self, cell: Cell, stage: str) -> None: ...

    def finished(self, result: CellResult, reused: bool) -> None: ...

    def note(self, text: str) -> None: ...

    def close(self) -> None: ...


def default_jobs(runs: int = 1, threads: int = 0) -> int:
    """Cells at once for one of ``runs`` runs side by side: as many as the cores hold with
    ``threads`` each, while the memory holds every run's cells (``CELL_MEMORY_BYTES`` each).

    Without a cap (``threads`` 0), a cell's numeric libraries take every core, as in the
    project's own tox run: one cell at a time keeps the machine from being oversubscribed."""
    cores = os.cpu_count() or 1
    at_once = max(1, cores // (threads or cores))
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover - not on Linux
        return at_once
    return max(1, min(at_once, memory // CELL_MEMORY_BYTES // max(1, runs)))


def run_one(cell: Cell, options: RunOptions, store: Store, todo: prepare.Plan, progress,
            installed=None) -> CellResult:  # fmt: skip
    """Run one cell and store its result; None when the run was interrupted.

    ``installed`` is called once the cell's env is built (its commands start).
    """
    folder = store.run_dir(cell, options.mode)
    problem = todo.problem(cell)
    failed = cell.name in todo.locks and not todo.locks[cell.name].ok  # an old lock is not its
    path = None if failed else todo.paths[cell.name]
    dated = asof.read(path) if path else asof.Exempt()
    provenance = Provenance(
        lock=_shown(path, options.project) if path and path.is_file() else "",
        unpinned=lock.unpinned_in(path) if path else [],
        interpreter=prepare.identity(todo.pythons[cell.name]), posargs=list(options.posargs),
        excluded=list(options.excluded), mode=options.mode, fingerprint=todo.prints[cell.name],
        threads=options.threads, notices=provision.notices(options.project),
        log="" if problem else str((folder / "tox.log").relative_to(options.reports)),
        as_of=dated.as_of, exempt=dated.exempted(),
    )  # fmt: skip
    evidence = Evidence(timeout_s=options.timeout_s, lock_problem=problem, provenance=provenance)
    if evidence.lock_problem is None:
        progress.stage(cell, "installing")
        constraints = None if cell.installs_from_uv_lock else todo.paths[cell.name]
        run = CellRun(
            cell, options.project, folder, constraints, todo.pythons[cell.name],
            tuple(options.posargs), options.mode, store.envs, options.threads,
        )  # fmt: skip

        def testing() -> None:
            progress.stage(cell, "testing")
            if installed:
                installed()

        ran = run_cell(run, options.timeout_s, on_testing=testing)
        if ran.interrupted:
            return None
        evidence.timed_out, evidence.duration_s = ran.timed_out, ran.duration_s
        evidence.journal = collect.journal(folder / "tox-result.json", cell.name)
        evidence.sessions = collect.sessions(run.sessions)
        evidence.log = collect.log_tail(folder / "tox.log")
    now = datetime.datetime.now(datetime.timezone.utc)
    provenance.measured_at = now.isoformat(timespec="seconds")
    result = decide(cell, evidence, options.signatures)
    if evidence.lock_problem is None and options.mode == SUITE:
        evidence.asked, evidence.unconfirmed = confirm.wanted(result)
        if evidence.asked:
            progress.stage(cell, "re-running failing tests")
            evidence.again = _again(run, evidence.asked, options.timeout_s)
            if evidence.again is None:
                return None
        result = decide(cell, evidence, options.signatures)
    store.save(result)
    return result


def _again(run: CellRun, tests: list, timeout_s: float):
    """``{test id: outcome}`` of running ``tests`` once more in the cell's env (``confirm``);
    None when the run was interrupted."""
    again = replace(run, folder=run.folder / "confirm", posargs=(*run.posargs, *tests), again=True)
    again.folder.mkdir()
    ran = run_cell(again, timeout_s)
    return None if ran.interrupted else confirm.outcomes(collect.sessions(again.sessions))


def _shown(path: Path, project: Path) -> str:
    return str(path.relative_to(project)) if project in path.parents else str(path)


def _beside(function):
    """``function()`` in a thread of its own: a future of its result."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="beside")
    try:
        return pool.submit(function)
    finally:
        pool.shutdown(wait=False)


def run(options: RunOptions, store: Store, progress=None) -> RunOutcome:
    """Run the selection; an interrupt before the cells start propagates as KeyboardInterrupt.

    Cells sharing a torch release run as one group, groups one after another; with a disk
    budget, cache entries and envs are released between groups (``budget``).
    """
    progress = progress or Silent()
    try:  # locking, planning and the disk check can stop the run: the display stops with it
        asked = _beside(environments.uv_cache_dir)  # uv answers while the plan is made
        todo = prepare.plan(options, store, progress)
        remaining = [c for c in todo.cells if c.name not in todo.kept]
        runnable = [c for c in remaining if todo.problem(c) is None]
        cache, tox_dir = asked.result(), store.make_envs()
        groups = budget.schedule(remaining, todo.paths)
        disk = None
        if not options.skip_disk_check:
            heaviest = [c for c in max((g for _, g in groups), key=len, default=[])
                        if c in runnable]  # fmt: skip
            disk = environments.plan(
                heaviest if options.disk_budget else runnable, todo.paths, tox_dir, cache
            )
            environments.check(disk, options.disk_budget)
    except BaseException:
        progress.close()
        raise
    progress.planned(todo.cells, list(todo.kept), disk.describe() if disk else "")
    for result in todo.kept.values():
        progress.finished(result, reused=True)
    # a probe's checks import the stack and compute a little, on one core: one cell per core
    probe_threads = 1 if options.mode == PROBE else 0
    jobs = options.jobs or default_jobs(threads=options.threads or probe_threads)
    finished, done_groups = dict(todo.kept), []
    meter = budget.Meter(cache, tox_dir) if options.disk_budget else None
    interrupted, before = False, snapshot(options.project, options.reports)
    _beside(names.ready)  # while the cells run: the reports check each result they read
    try:
        for number, (key, cells) in enumerate(groups):
            group = budget.Group(key, cells)
            if meter:
                ready = [c for c in cells if c in runnable]
                group.predicted = environments.plan(ready, todo.paths, tox_dir, cache).need
                later = [g for _, g in groups[number + 1 :]]
                budget.make_room(
                    group, later, todo.paths, cache, meter, options.disk_budget, progress.note
                )
                group.start = meter.group_peak = meter.now()  # the peak includes the start
            cold = any(not environments.cached(cache, *pin)
                       for c in cells for pin in lock.locked(todo.paths[c.name]))  # fmt: skip
            _run_group(cells, options, store, todo, jobs, progress, finished, cold)
            if meter:
                group.peak = max(meter.group_peak, meter.now())
                budget.release_envs(group, tox_dir, progress.note)
                done_groups.append(group)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        progress.close()
        if meter:
            meter.stop()
            write_atomic(store.reports / "disk.json",
                         json.dumps(budget.report(done_groups, options.disk_budget, meter), indent=2))  # fmt: skip
    _leave_out_what_the_run_wrote(
        [finished[c.name] for c in todo.cells if c.name in finished and c.name not in todo.kept],
        written_during(before, options.project, options.reports), options, store, todo,
    )  # fmt: skip
    ordered = [finished[c.name] for c in todo.cells if c.name in finished]
    return RunOutcome(todo.cells, ordered, list(todo.kept), interrupted or LIVE.stopping,
                      todo.control)  # fmt: skip


def _leave_out_what_the_run_wrote(results: list, written: list, options: RunOptions,
                                  store: Store, todo: prepare.Plan) -> None:  # fmt: skip
    """A file the run wrote (a version file, the project's own junit.xml) is its output, not an
    input: the run's results no longer count it, so none reads stale right after its run."""
    if not written:
        return
    for result in results:
        result.excluded = sorted({*result.excluded, *written})
        digest = project_digest(options.project, options.reports, tuple(result.excluded))
        result.fingerprint = fingerprint(result.cell, todo.paths[result.cell.name], digest,
                                         options.posargs, result.interpreter, options.mode)  # fmt: skip
        store.save(result)


def _run_group(cells: list, options: RunOptions, store: Store, todo: prepare.Plan, jobs: int,
               progress, finished: dict, cold: bool = True) -> None:  # fmt: skip
    """Run one group's cells in parallel; an interrupt kills them all and ends the run.

    When uv's cache lacks some of the group's wheels, the first cell builds its env alone: two
    installs of one torch release at once would each unpack it into the cache (measured:
    every release twice, 1.7 times the disk). Once its commands start, the others start.
    """
    pool = ThreadPoolExecutor(max_workers=jobs)
    first_built = threading.Event()
    if not cold:
        first_built.set()
    pending = {pool.submit(run_one, cells[0], options, store, todo, progress, first_built.set)}
    later = list(cells[1:])
    try:
        while pending or later:
            if later and (first_built.is_set() or not any(not f.done() for f in pending)):
                pending |= {pool.submit(run_one, c, options, store, todo, progress) for c in later}
                later = []
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for result in (future.result() for future in done):
                if result is not None:
                    finished[result.cell.name] = result
                    progress.finished(result, reused=False)
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        LIVE.kill_all()
    finally:
        pool.shutdown(wait=True)
    if LIVE.stopping:
        raise KeyboardInterrupt
