"""``harness probe``: the selection of ``harness run``, each cell running seconds of stack
checks (imports, torch's numpy bridge both ways, a pandas round trip) instead of its suite."""

from __future__ import annotations

from harness.commands import run
from harness.state import RUNNING, add

DESCRIPTION = "Run the selected cells as harness run does, each with a few seconds of stack checks (imports, torch's numpy bridge, a pandas round trip) instead of its own tests; the results sit beside the suite's in the reports."
EXAMPLES = ("harness probe --project ../my-lib -m full",)
EXITS = (0, 1, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    probe = commands.add_parser(
        "probe", help="like run, but each cell runs seconds of stack checks instead of its suite",
        description="Run the selection's cells as `harness run` does, each with the probe's stack "
        "checks instead of its own commands; results sit beside the suite's in the reports.",
    )  # fmt: skip
    add(probe, *RUNNING)
    probe.set_defaults(handler=run.command)
