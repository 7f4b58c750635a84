"""``harness report``: re-render the reports; ``--collect`` first rebuilds compat.json;
``--control CELL`` reads the other cells against CELL, ``--no-control`` against none."""

from __future__ import annotations

from pathlib import Path

from harness import control as against
from harness.errors import EXIT_OK, EXIT_UNMEASURED, HarnessError
from harness.report import compat as reports
from harness.report import publish
from harness.state import State, add, say_unreadable

DESCRIPTION = "Render compat.md and compat.html again from compat.json. --collect first rebuilds compat.json from every stored cell result; --control CELL reads the other cells against CELL, --no-control against none."
EXAMPLES = ("harness report --reports .harness", "harness report --collect --control py311")
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    report = commands.add_parser(
        "report", help="re-render compat.md and compat.html from compat.json"
    )
    report.set_defaults(handler=command)
    add(report, "reports", "control")
    report.add_argument(
        "--no-control", action="store_true",
        help="render without a control cell, dropping the one compat.json names",
    )  # fmt: skip
    report.add_argument(
        "--collect", action="store_true",
        help="first rebuild compat.json from every stored cell result under REPORTS/cells",
    )  # fmt: skip
    report.add_argument(
        "--project", type=Path, default=None,
        help="with --collect: the project, to mark cells whose inputs changed",
    )  # fmt: skip


def command(state: State) -> int:
    """Re-render compat.md and compat.html; ``--collect`` first rebuilds compat.json."""
    unreadable, args = [], state.args
    if args.control and args.no_control:
        raise HarnessError("--control and --no-control: name one")
    with state.folder("report") as store:
        if args.collect:
            if not any(store.results.glob("*.json")):
                raise HarnessError(f"no stored cell results under {store.results}")
            if args.control:  # checked before anything is written
                against.checked(args.control, [r.cell.name for r in store.load_all()[0]])
            control = "" if args.no_control else args.control
            _, unreadable = publish.publish(store, state.project, [], False, {}, control=control)
            say_unreadable(unreadable)
        source = store.reports / "compat.json"
        try:
            report = reports.load(source)
        except OSError as exc:
            raise HarnessError(f"no report to render: {exc.strerror}: {source}") from exc
        except ValueError as exc:
            raise HarnessError(f"cannot read {source}: {exc}") from exc
        if args.control or args.no_control:
            names = [cell["cell"]["name"] for cell in report["cells"]]
            control = against.checked(args.control, names) if args.control else ""
            report = reports.with_control(report, control)
        paths = publish.write(report, store.reports)
    print(f"harness: rendered {paths['md']} and {paths['html']} from {source}")
    return EXIT_UNMEASURED if unreadable else EXIT_OK
