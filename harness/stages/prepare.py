"""Before any cell runs: the selection, its control cell, each cell's Python, its lock (made
when stale), its input fingerprint, and the finished results ``--resume`` keeps."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from harness import control as against
from harness import planned
from harness.model import INFRA_ERROR, SUITE, TIMEOUT, Cell, Failure
from harness.stages import inplace, interpreters, lock, python_fit
from harness.stages import select as matrix
from harness.stages import shard as sharding
from harness.stages.fingerprint import fingerprint, project_digest
from harness.store import Store

RETRIED = (INFRA_ERROR, TIMEOUT)  # --resume runs these again: their cause may have passed


@dataclass
class Plan:
    cells: list
    paths: dict  # cell name -> lock file
    pythons: dict  # cell name -> interpreter path ("" when none was found)
    locks: dict  # cell name -> LockOutcome, for the cells locked in this run
    prints: dict  # cell name -> input fingerprint
    kept: dict  # cell name -> CellResult kept by --resume
    control: str = ""  # the cell the report reads the others against ('' for none)

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


def control_of(options, selected: list, store: Store) -> str:
    """The run's control cell: ``--control``, checked against the selection (every shard of it)
    and the stored results (exit 2 naming them); else, with ``--with``, the first ``-e`` env,
    or the first ``--with`` cell without one; '' for none (a lone cell has nothing to compare)."""
    suffix = "-forced" if options.force else ""
    if options.control:
        found = [] if store.results.is_symlink() else store.results.glob("*.json")
        stored = [path.stem.partition("@")[0] for path in found]
        return against.checked(options.control, [c.name + suffix for c in selected] + stored)
    adhoc = [c for c in selected if c.adhoc]
    if options.cells or not adhoc or len(selected) < 2:
        return ""
    return (options.envs[0] if options.envs else adhoc[0].name) + suffix


def _key(name: str, mode: str) -> str:
    return name if mode == SUITE else f"{name}@{mode}"  # as store.result_key names results


def plan(options, store: Store, progress) -> Plan:
    """Select cells, find their Pythons, lock the stale ones, and pick what --resume keeps."""
    project = options.project
    selected = options.cells or matrix.select(project, options.envs, options.labels, options.adhoc)
    control = control_of(options, selected, store)
    cells = sharding.select(selected, options.shard)
    if options.shard:  # the whole selection, for the merge to name what no shard answered
        every = matrix.forced(selected) if options.force else selected
        planned.record(store.reports, options.shard, [_key(c.name, options.mode) for c in every])
    if options.force:
        cells = matrix.forced(cells)
    if options.as_of:
        cells = [replace(c, as_of=options.as_of) for c in cells]
    cells = inplace.place_all(cells, project, store.locks)
    pythons = find_pythons(cells)
    paths = {c.name: lock.lock_path(c, project, store.locks) for c in cells}
    stale = [c for c in cells if pythons[c.name] and lock.needs_lock(c, paths[c.name], project)]
    current = [c for c in cells if pythons[c.name] and c not in stale]
    stale += python_fit.reuse(current, paths, pythons, project, progress.note)
    progress.locking(stale, cells)
    locks = lock.lock_all(stale, paths, project, pythons, table=options.signatures)
    python_fit.refit_all(locks, project, pythons, options.signatures, progress.note)
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
            and previous.threads == options.threads  # a thread cap can change what it computed
        ):
            kept[cell.name] = previous
    return Plan(cells, paths, pythons, locks, prints, kept, control)
