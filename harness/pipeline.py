"""``harness run``: select, lock, check disk, run cells in parallel, decide, store."""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import collect, environments, lock, matrix
from .cells import INFRA_ERROR, TIMEOUT, Cell, CellResult
from .runner import ProcessGroups, run_cell
from .signatures import BUILTIN
from .store import Store, fingerprint, project_digest
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
    paths: dict  # cell name -> constraints file
    locks: dict  # cell name -> LockOutcome, for the cells locked in this run
    prints: dict  # cell name -> input fingerprint
    kept: dict  # cell name -> CellResult kept by --resume


def plan(options: RunOptions, store: Store, progress) -> Plan:
    """Select cells, lock the stale ones, fingerprint them, and pick what --resume keeps."""
    project = options.project
    cells = matrix.select(project, options.envs, options.labels, options.adhoc)
    paths = {c.name: lock.constraint_path(c, project, store.cell_dir(c)) for c in cells}
    stale = [c for c in cells if not lock.is_current(c, paths[c.name])]
    for cell in stale:
        progress.stage(cell, "locking")
    locks = lock.lock_all(stale, paths, table=options.signatures)
    digest = project_digest(project, set(paths.values()), options.reports)
    prints = {c.name: fingerprint(c, paths[c.name], digest) for c in cells}
    kept = {}
    for cell in cells if options.resume else []:
        previous = store.load(cell)
        if (
            previous
            and previous.fingerprint == prints[cell.name]
            and previous.verdict not in RETRIED
        ):
            kept[cell.name] = previous
    return Plan(cells, paths, locks, prints, kept)


def run_one(cell: Cell, options: RunOptions, store: Store, todo: Plan, groups: ProcessGroups,
            threads: int, progress) -> CellResult:  # fmt: skip
    """Run one cell and store its result; None when the run was interrupted."""
    cell_dir = store.fresh_cell_dir(cell)
    locked = todo.locks.get(cell.name)
    evidence = Evidence(timeout_s=options.timeout_s)
    if locked is not None and not locked.ok:
        evidence.lock_problem = locked.problem
    else:
        progress.stage(cell, "installing")
        store.remove_env(options.project, cell)
        ran = run_cell(
            cell, options.project, cell_dir, todo.paths[cell.name], options.timeout_s, groups, threads,
            on_testing=lambda: progress.stage(cell, "testing"),
        )  # fmt: skip
        if ran.interrupted:
            return None
        evidence.timed_out, evidence.duration_s = ran.timed_out, ran.duration_s
        evidence.cases = collect.junit_cases(cell_dir / "junit.xml")
        evidence.coverage = collect.coverage_percent(cell_dir / "coverage.json")
        evidence.journal = collect.journal(cell_dir / "tox-result.json", cell.env)
        evidence.probe = collect.read_json(cell_dir / "probe.json")
        evidence.log = collect.log_tail(cell_dir / "tox.log")
    result = decide(cell, evidence, options.signatures)
    result.fingerprint = todo.prints[cell.name]
    result.log = str((cell_dir / "tox.log").relative_to(options.reports))
    store.save(result)
    return result


def run(options: RunOptions, progress=None) -> RunOutcome:
    progress = progress or Silent()
    store = Store(options.reports)
    todo = plan(options, store, progress)
    remaining = [c for c in todo.cells if c.name not in todo.kept]
    disk = None
    if not options.skip_disk_check:
        runnable = [c for c in remaining if c.name not in todo.locks or todo.locks[c.name].ok]
        cache = environments.uv_cache_dir()
        disk = environments.plan(runnable, todo.paths, options.project / ".tox", cache)
        environments.check(disk)
    progress.planned(todo.cells, list(todo.kept), disk.describe() if disk else "")
    for result in todo.kept.values():
        progress.finished(result, reused=True)
    jobs = options.jobs or default_jobs()
    threads = max(1, (os.cpu_count() or 1) // jobs)
    groups, finished, interrupted = ProcessGroups(), dict(todo.kept), False
    pool = ThreadPoolExecutor(max_workers=jobs)
    pending = {
        pool.submit(run_one, cell, options, store, todo, groups, threads, progress)
        for cell in remaining
    }
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for result in (future.result() for future in done):
                if result is not None:
                    finished[result.cell.name] = result
                    progress.finished(result, reused=False)
    except KeyboardInterrupt:
        interrupted = True
        for future in pending:
            future.cancel()
        groups.kill_all()
    finally:
        pool.shutdown(wait=True)
        progress.close()
    ordered = [finished[c.name] for c in todo.cells if c.name in finished]
    return RunOutcome(todo.cells, ordered, list(todo.kept), interrupted)
