"""``harness lock``: re-pin the selected cells' closures; a lock that fails keeps the last one."""

from __future__ import annotations

import sys
from dataclasses import replace

from harness.errors import EXIT_FAILED, EXIT_OK, EXIT_UNMEASURED
from harness.stages import inplace, lock, prepare, python_fit
from harness.stages import select as matrix
from harness.state import SELECTION, State, add

DESCRIPTION = "Re-pin each selected cell's whole closure with uv into its constraints file. A lock that cannot be made keeps the previous one and names the cell and the reason."
EXAMPLES = ("harness lock --project ../my-lib -e py311",)
EXITS = (0, 1, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    locker = commands.add_parser(
        "lock", help="re-pin every selected cell's closure into its constraints file"
    )
    add(locker, *SELECTION, "as_of")
    locker.set_defaults(handler=command)


def command(state: State) -> int:
    """Re-pin the selected cells. A lock that fails keeps the previous one, byte for byte."""
    project = state.project
    cells = [
        c for c in matrix.select(project, state.envs, state.labels, state.adhoc)
        if not c.installs_from_uv_lock
    ]  # fmt: skip
    cells = [replace(c, as_of=state.as_of) for c in cells]
    with state.folder("lock") as store:
        cells = inplace.place_all(cells, project, store.locks)
        paths = {c.name: lock.lock_path(c, project, store.locks) for c in cells}
        pythons = prepare.find_pythons(cells)
        outcomes = lock.lock_all(cells, paths, project, pythons, table=state.signatures)
        python_fit.refit_all(outcomes, project, pythons, state.signatures,
                             lambda text: print(f"harness: {text}", file=sys.stderr))  # fmt: skip
    kinds = []
    for name, outcome in outcomes.items():
        where = paths[name].relative_to(project) if project in paths[name].parents else paths[name]
        if outcome.ok:
            print(f"locked        {name} -> {where}")
            continue
        kinds.append(outcome.problem.signature)
        reason = outcome.problem.message or outcome.problem.evidence
        print(f"{outcome.problem.signature:<13} {name}: {reason} ({where} left as it was)")
    if any(kind != "unsatisfiable" for kind in kinds):
        return EXIT_UNMEASURED
    return EXIT_FAILED if kinds else EXIT_OK
