"""``harness report``: re-render the reports; ``--collect`` first rebuilds compat.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import reports
from .errors import HarnessError
from .options import DEFAULT_REPORTS, EXIT_OK, EXIT_UNMEASURED
from .running import name_unreadable
from .store import Store


def add_parser(commands) -> None:
    report = commands.add_parser(
        "report", help="re-render compat.md and compat.html from compat.json"
    )
    report.set_defaults(handler=command)
    report.add_argument("--reports", type=Path, default=Path(DEFAULT_REPORTS))
    report.add_argument(
        "--collect", action="store_true",
        help="first rebuild compat.json from every stored cell result under REPORTS/cells",
    )  # fmt: skip
    report.add_argument(
        "--project", type=Path, default=None, help="with --collect: mark cells whose inputs changed"
    )


def command(args: argparse.Namespace) -> int:
    """Re-render compat.md and compat.html; ``--collect`` first rebuilds compat.json."""
    store = Store(args.reports.resolve())
    unreadable = []
    if args.collect:
        if not any(store.results.glob("*.json")):
            raise HarnessError(f"no stored cell results under {store.results}")
        store.acquire("report")
        try:
            project = args.project.resolve() if args.project else None
            _, unreadable = reports.publish(store, project, [], False, {})
        finally:
            store.release()
        name_unreadable(unreadable)
    source = store.reports / "compat.json"
    try:
        report = reports.load(source)
    except OSError as exc:
        raise HarnessError(f"no report to render: {exc.strerror}: {source}") from exc
    except ValueError as exc:
        raise HarnessError(f"cannot read {source}: {exc}") from exc
    if not store.claim():  # no links, and never into a folder of the user's
        store.mark()
    paths = reports.write(report, store.reports)
    print(f"harness: rendered {paths['md']} and {paths['html']} from {source}")
    return EXIT_UNMEASURED if unreadable else EXIT_OK
