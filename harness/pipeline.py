"""``harness run``: select, find Pythons, lock, check disk, run cells in parallel, decide, store."""

from __future__ import annotations

import datetime
import json
import os
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import budget, collect, environments, interpreters, lock, matrix, sharding
from .cells import INFRA_ERROR, SUITE, TIMEOUT, Cell, CellResult, Failure
from .fingerprint import fingerprint, project_digest, snapshot, written_during
from .processes import LIVE
from .runner import CellRun, run_cell
from .signatures import BUILTIN
from .store import Store, write_atomic
from .verdicts import Evidence, decide

CELL_MEMORY_BYTES = 3 * 1024**3  # torch + the suite, with room to spare
RETRIED = (INFRA_ERROR, TIMEOUT)  # --resume runs these again: their cause may have passed


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


@dataclass
class RunOutcome:
    cells: list
    results: list  # CellResult, in selection order, for the cells that finished
    reused: list  # names of cells kept from an earlier run
    interrupted: bool = False


class Silent:
    """The progress interface; the terminal and CI displays implement it."""

    def planned(self, cells: list, reused: list, disk: str = "") -> None: ...

    def stage(self, cell: Cell, stage: str) -> None: ...

    def finished(self, result: CellResult, reused: bool) -> None: ...

    def note(self, text: str) -> None: ...

    def close(self) -> None: ...


def default_jobs() -> int:
    cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover - not on Linux
        return cores
    return max(1, min(cores, memory // CELL_MEMORY_BYTES))


@dataclass
class Plan:
    cells: list
    paths: dict  # cell name -> lock file
    pythons: dict  # cell name -> interpreter path ("" when none was found)
    locks: dict  # cell name -> LockOutcome, for the cells locked in this run
    prints: dict  # cell name -> input fingerprint
    kept: dict  # cell name -> CellResult kept by --resume

    def problem(self, cell: Cell):
        """Why the cell cannot run, known before it runs: no interpreter, or no lock."""
        if not self.pythons[cell.name]:
            wanted = ", ".join(cell.base_python) or "?"
            return Failure(
                "python", "python-missing",
                f"harness: no Python for base_python {wanted}; searched "
                + interpreters.places(lock.uv_binary()),
            )  # fmt: skip
        locked = self.locks.get(cell.name)
        return locked.problem if locked is not None and not locked.ok else None


def find_pythons(cells: list) -> dict:
    """``{cell name: interpreter path}`` for each cell's base_python, "" where none is found."""
    uv = lock.uv_binary()
    found = {}
    for cell in cells:
        requests = cell.base_python or [sys.executable]
        found[cell.name] = next(filter(None, (interpreters.locate(r, uv) for r in requests)), "")
    return found


def identity(python: str) -> str:
    """``cpython 3.11.7`` for an interpreter path; what a result depends on, not where it is."""
    found = interpreters.identify(python) if python else None
    return " ".join(found) if found else ""


def plan(options: RunOptions, store: Store, progress) -> Plan:
    """Select cells, find their Pythons, lock the stale ones, and pick what --resume keeps."""
    project = options.project
    cells = options.cells or matrix.select(project, options.envs, options.labels, options.adhoc)
    cells = sharding.select(cells, options.shard)
    if options.force:
        cells = matrix.forced(cells)
    pythons = find_pythons(cells)
    paths = {c.name: lock.lock_path(c, project, store.locks) for c in cells}
    stale = [c for c in cells if pythons[c.name] and lock.needs_lock(c, paths[c.name], project)]
    for cell in stale:
        progress.stage(cell, "locking")
    locks = lock.lock_all(stale, paths, project, pythons, table=options.signatures)
    digests = {}

    def printed(cell: Cell, excluded: tuple) -> str:
        if excluded not in digests:
            digests[excluded] = project_digest(project, options.reports, excluded)
        return fingerprint(cell, paths[cell.name], digests[excluded], options.posargs,
                           identity(pythons[cell.name]), options.mode)  # fmt: skip

    prints = {c.name: printed(c, tuple(options.excluded)) for c in cells}
    kept = {}
    for cell in cells if options.resume else []:
        previous = store.load(cell, options.mode)  # its fingerprint leaves out what its run wrote
        if (
            previous
            and previous.verdict not in RETRIED
            and previous.fingerprint == printed(cell, tuple(previous.excluded))
        ):
            kept[cell.name] = previous
    return Plan(cells, paths, pythons, locks, prints, kept)


def run_one(cell: Cell, options: RunOptions, store: Store, todo: Plan, threads: int,
            progress, installed=None) -> CellResult:  # fmt: skip
    """Run one cell and store its result; None when the run was interrupted.

    ``installed`` is called once the cell's env is built (its commands start).
    """
    folder = store.run_dir(cell, options.mode)
    evidence = Evidence(timeout_s=options.timeout_s, lock_problem=todo.problem(cell))
    if evidence.lock_problem is None:
        progress.stage(cell, "installing")
        constraints = None if cell.installs_from_uv_lock else todo.paths[cell.name]
        run = CellRun(
            cell, options.project, folder, constraints, todo.pythons[cell.name],
            tuple(options.posargs), options.mode, store.envs,
        )  # fmt: skip

        def testing() -> None:
            progress.stage(cell, "testing")
            if installed:
                installed()

        ran = run_cell(run, options.timeout_s, threads, on_testing=testing)
        if ran.interrupted:
            return None
        evidence.timed_out, evidence.duration_s = ran.timed_out, ran.duration_s
        evidence.journal = collect.journal(folder / "tox-result.json", cell.name)
        evidence.sessions = collect.sessions(run.sessions)
        evidence.log = collect.log_tail(folder / "tox.log")
    result = decide(cell, evidence, options.signatures)
    result.unpinned = lock.unpinned_in(todo.paths[cell.name])
    result.lock = _shown(todo.paths[cell.name], options.project)
    result.interpreter = identity(todo.pythons[cell.name])
    result.posargs = list(options.posargs)
    result.excluded = list(options.excluded)
    result.mode = options.mode
    result.measured_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    result.fingerprint = todo.prints[cell.name]
    result.log = str((folder / "tox.log").relative_to(options.reports))
    store.save(result)
    return result


def _shown(path: Path, project: Path) -> str:
    return str(path.relative_to(project)) if project in path.parents else str(path)


def run(options: RunOptions, store: Store, progress=None) -> RunOutcome:
    """Run the selection; an interrupt before the cells start propagates as KeyboardInterrupt.

    Cells sharing a torch release run as one group, groups one after another; with a disk
    budget, cache entries and envs are released between groups (``budget``).
    """
    progress = progress or Silent()
    todo = plan(options, store, progress)
    remaining = [c for c in todo.cells if c.name not in todo.kept]
    runnable = [c for c in remaining if todo.problem(c) is None]
    cache, tox_dir = environments.uv_cache_dir(), store.make_envs()
    groups = budget.schedule(remaining, todo.paths)
    disk = None
    if not options.skip_disk_check:
        heaviest = [c for c in max((g for _, g in groups), key=len, default=[]) if c in runnable]
        disk = environments.plan(
            heaviest if options.disk_budget else runnable, todo.paths, tox_dir, cache
        )
        environments.check(disk, options.disk_budget)
    progress.planned(todo.cells, list(todo.kept), disk.describe() if disk else "")
    for result in todo.kept.values():
        progress.finished(result, reused=True)
    jobs = options.jobs or default_jobs()
    threads = max(1, (os.cpu_count() or 1) // jobs)
    finished, done_groups = dict(todo.kept), []
    meter = budget.Meter(cache, tox_dir) if options.disk_budget else None
    interrupted, before = False, snapshot(options.project, options.reports)
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
                group.start, meter.group_peak = meter.now(), 0
            cold = any(not environments.cached(cache, *pin)
                       for c in cells for pin in environments.locked(todo.paths[c.name]))  # fmt: skip
            _run_group(cells, options, store, todo, threads, jobs, progress, finished, cold)
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
    return RunOutcome(todo.cells, ordered, list(todo.kept), interrupted or LIVE.stopping)


def _leave_out_what_the_run_wrote(results: list, written: list, options: RunOptions,
                                  store: Store, todo: Plan) -> None:  # fmt: skip
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


def _run_group(cells: list, options: RunOptions, store: Store, todo: Plan, threads: int, jobs: int,
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
    pending = {
        pool.submit(run_one, cells[0], options, store, todo, threads, progress, first_built.set)
    }
    later = list(cells[1:])
    try:
        while pending or later:
            if later and (first_built.is_set() or not any(not f.done() for f in pending)):
                pending |= {
                    pool.submit(run_one, c, options, store, todo, threads, progress) for c in later
                }
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
