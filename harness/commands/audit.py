"""``harness audit``: what package metadata allows, set against what the cells measured."""

from __future__ import annotations

import json

from harness import index
from harness.errors import EXIT_OK, EXIT_UNMEASURED, HarnessError
from harness.index import parallel
from harness.report import compat as reports
from harness.report import publish
from harness.report.audit import examine
from harness.stages.disk import uv_cache_dir
from harness.state import State, add
from harness.store import write_atomic

DESCRIPTION = "Set what package metadata allows against what the cells measured: failing cells whose packages' metadata admit each other (a bound is missing), and unsatisfiable cells with the bound the resolver quoted."
EXAMPLES = ("harness audit --project ../my-lib",)
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "audit", help="set what package metadata allows against what the cells measured"
    )
    parser.set_defaults(handler=command)
    add(parser, "project", "reports")


def requirements_of(results: list, cache) -> dict:
    """``{(name, version): [Requires-Dist]}`` for every pinned package the cells installed."""
    wanted = sorted({(n, r.versions[n]) for r in results for n in r.cell.pins if r.versions.get(n)})
    found = parallel(lambda key: index.requires_dist(*key, cache=cache), wanted)
    return {key: value for key, value in found.items() if isinstance(value, list)}


def command(state: State) -> int:
    with state.folder("audit") as store:  # held from the first read to the last write
        results, unreadable = store.load_all()
        if not results:
            raise HarnessError(
                f"no stored cell results under {store.results}: run harness run first"
            )
        audit = examine(results, requirements_of(results, uv_cache_dir()))
        write_atomic(store.reports / "audit.json", json.dumps(audit.to_dict(), indent=2))
        publish.publish(store, state.project, [], False, {})
    data = audit.to_dict()
    print(f"harness audit: {len(results)} cells, {len(audit.findings)} findings")
    for title, lines in reports.audit_sections(data):
        print(f"  {title}:")
        print("\n".join(f"    {line}" for line in lines))
    if audit.unknown:
        print(f"  metadata not found for: {', '.join(sorted(set(audit.unknown)))}")
    print(f"harness: wrote {store.reports / 'audit.json'} and the audit section of compat.md")
    return EXIT_UNMEASURED if unreadable else EXIT_OK
