"""``harness list``: the selected cells, their pins and whether their locks are current."""

from __future__ import annotations

from harness.errors import EXIT_OK
from harness.stages import inplace, lock
from harness.stages import select as matrix
from harness.state import SELECTION, State, add
from harness.store import Store

DESCRIPTION = "List the cells a selection makes (tox envs and ad-hoc cells), their pins, and whether each lock is current. Reads tox's config; installs nothing."
EXAMPLES = ("harness list --project ../my-lib", "harness list -m full --with numpy==2.2.6")
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    listing = commands.add_parser(
        "list", help="show the selected cells, their pins and lock state",
        description="List the cells a selection makes (tox envs and ad-hoc cells), their pins, and "
        "whether each lock is current. Reads tox's config; installs nothing.",
    )  # fmt: skip
    add(listing, *SELECTION)
    listing.set_defaults(handler=command)


def command(state: State) -> int:
    locks = Store(state.reports).locks  # read only: no folder is taken
    for selected in matrix.select(state.project, state.envs, state.labels, state.adhoc):
        placed = inplace.place(selected, state.project, locks)  # its edited copies, not written
        cell = placed.cell
        path = lock.lock_path(cell, state.project, locks)
        stale = lock.needs_lock(cell, path, state.project) or not placed.written()
        fresh = "unlocked" if stale else "locked"
        pins = " ".join(f"{n}{s}" for n, s in sorted(cell.pins.items()))
        print(f"{cell.name:<32} {fresh:<9} {pins}")
    return EXIT_OK
