"""Publishing the reports: compat.json, compat.md and compat.html from every stored result,
and the Markdown to CI's job summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from harness import bounded
from harness.errors import ConfigError, HarnessError
from harness.report import suggest
from harness.report.compat import build, control_name
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.where import dependency_files
from harness.stages import expectations, generated
from harness.stages.fingerprint import stale_cells
from harness.stages.signatures import BUILTIN
from harness.store import Store, write_atomic


def publish(store: Store, project: Path, not_run: list, interrupted: bool, tools: dict,
            table: tuple = BUILTIN, declared: expectations.Declarations = None,
            to_summary: bool = True, control: str = None) -> tuple:  # fmt: skip
    """Write compat.json, .md and .html from every stored result: ``(paths, unreadable)``.
    Run folders no stored result points to any more are deleted.

    Staleness needs the project (its files and the cells' locks); without one it is unknown.
    So do the expected cells, when ``declared`` is not given: they are read from the project.
    ``to_summary``: also append the Markdown to CI's job summary (the gate writes its own).
    ``control``: the cell the others are read against; None keeps the one compat.json names.
    """
    results, unreadable = store.load_all()
    store.prune_runs(results)
    stale = stale_cells(results, project, store.reports) if project else set()
    if declared is None:
        declared = _declared(project)
    if control is None:
        control = recorded_control(store.reports)
    report = build(results, project or store.reports, not_run, interrupted, tools, table, stale,
                   declared, control)  # fmt: skip
    if project:
        try:
            report["setup"] = generated.report(project)
        except HarnessError:  # nox cannot list the sessions now: the cells' records stand
            pass
    report["suggestions"] = suggest.place(suggest.to_dicts(suggest.suggest(results, stale)),
                                          dependency_files(project) if project else {})  # fmt: skip
    for key in ("audit", "disk"):  # written by `harness audit` and by a --disk-budget run
        try:
            report[key] = bounded.load_json(store.reports / f"{key}.json")
        except (OSError, ValueError):
            pass
    return write(report, store.reports, to_summary), unreadable


def recorded_control(reports: Path) -> str:
    """The control cell the compat.json in ``reports`` names; '' for none, none readable, or a
    link in its place (never followed)."""
    path = Path(reports) / "compat.json"
    try:
        return "" if path.is_symlink() else control_name(bounded.load_json(path))
    except (OSError, ValueError, AttributeError):
        return ""


def _declared(project: Path) -> expectations.Declarations:
    """The project's expected cells; a declaration that does not parse is named and left out of
    the report (``harness run`` refuses it before any work)."""
    if project is None:
        return expectations.NONE
    try:
        return expectations.load(Path(project))
    except ConfigError as exc:
        print(f"harness: {exc}; the report leaves the expected cells out", file=sys.stderr)
        return expectations.NONE


def write(report: dict, reports: Path, to_summary: bool = True) -> dict:
    """Write compat.json, compat.md and compat.html; returns their paths."""
    paths = {kind: reports / f"compat.{kind}" for kind in ("json", "md", "html")}
    write_atomic(paths["json"], json.dumps(report, indent=2))
    markdown = render_markdown(report)
    write_atomic(paths["md"], markdown)
    write_atomic(paths["html"], render_html(report))
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if to_summary else None
    if summary:
        with open(summary, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(markdown)  # the job's summary tab (undecodable text replaced)
    return paths
