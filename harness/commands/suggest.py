"""``harness suggest``: requirement sets that keep every failing cell out, from the stored results."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import EXIT_OK, HarnessError
from harness.report import compat as reports
from harness.report.suggest import reason, suggest, to_dicts
from harness.state import DEFAULT_REPORTS, State

DESCRIPTION = "List requirement sets that keep every failing cell out, read from stored reports, each ranked by how many passing cells it keeps."
EXAMPLES = (
    "harness suggest --reports ../my-lib/.harness",
    "harness suggest --reports full/ --json",
)
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "suggest", help="requirement sets that keep every failing cell out"
    )
    parser.set_defaults(handler=command)
    parser.add_argument("--reports", dest="sources", action="append", type=Path, default=[],
                        metavar="DIR", help="reports folders or compat.json files (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the sets as JSON")


def command(state: State) -> int:
    args = state.args
    results, stale = [], set()
    for source in args.sources or [Path(DEFAULT_REPORTS)]:
        path = source / "compat.json" if source.is_dir() else source
        try:
            report = reports.load(path)
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--reports {source}: {exc}") from exc
        results += reports.results_of(report)
        stale |= {c["cell"]["name"] for c in report["cells"] if c.get("stale")}
    found = to_dicts(suggest(results, stale))
    if args.json:
        print(json.dumps(found, indent=2))
        return EXIT_OK
    if not found:
        print("harness suggest: no set keeps every failing cell out and a passing one in")
        return EXIT_OK
    print(f"harness suggest: {len(found)} requirement set(s) that keep every failing cell out")
    for number, suggestion in enumerate(found, 1):
        print(f"  {number}. {', '.join(suggestion['requirements'])}: {reason(suggestion)}")
    return EXIT_OK
