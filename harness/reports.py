"""compat.json (the source of truth) and the Markdown report rendered from it."""

from __future__ import annotations

import datetime
import html
import json
import os
import platform
from collections import Counter
from pathlib import Path

from . import __version__
from .cells import VERDICTS, CellResult
from .signatures import BUILTIN
from .store import write_atomic

SCHEMA = "harness.compat/1"
MARKS = {
    "pass": "✅", "fail": "❌", "crash": "💥", "no-tests": "⚠️", "timeout": "⏱️",
    "unsatisfiable": "⛔", "infra-error": "🔧",
}  # fmt: skip
FAILURES_SHOWN = 25


def build(
    results: list,
    project: Path,
    selected: list,
    interrupted: bool,
    tools: dict,
    table: tuple = BUILTIN,
) -> dict:
    done = {r.cell.name for r in results}
    return {
        "schema": SCHEMA,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "project": str(project),
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "tools": dict(tools, harness=__version__),
        "interrupted": interrupted,
        "not_run": [name for name in selected if name not in done],
        "summary": {v: n for v, n in Counter(r.verdict for r in results).items()},
        "signatures": {s.id: {"title": s.title, "kind": s.kind, "hint": s.hint} for s in table},
        "cells": [r.to_dict() for r in results],
    }


def load(path: Path) -> dict:
    data = json.loads(Path(path).read_text())
    if not str(data.get("schema", "")).startswith("harness.compat/"):
        raise ValueError(f"{path} is not a harness compat report (schema {data.get('schema')!r})")
    return data


def results_of(report: dict) -> list:
    return [CellResult.from_dict(cell) for cell in report["cells"]]


def axis_value(result: CellResult, name: str) -> str:
    """The installed version when known, else the pin (an unsatisfiable cell installed nothing)."""
    return result.versions.get(name) or result.cell.pins.get(name, "").lstrip("=") or "?"


def extras(result: CellResult) -> str:
    """What tells apart cells that share a torch x numpy position: other pins, else the name."""
    other = {k: v for k, v in result.cell.pins.items() if k not in ("torch", "numpy")}
    return ", ".join(f"{k}{v}" for k, v in sorted(other.items()))


def grid(results: list) -> tuple:
    """``(torch versions, numpy versions, {(torch, numpy): [results]})``, versions sorted."""
    from packaging.version import InvalidVersion, Version

    def order(value: str):
        try:
            return (0, Version(value))
        except InvalidVersion:
            return (1, value)

    positions = {}
    for result in results:
        key = (axis_value(result, "torch"), axis_value(result, "numpy"))
        positions.setdefault(key, []).append(result)
    rows = sorted({k[0] for k in positions}, key=order)
    columns = sorted({k[1] for k in positions}, key=order)
    return rows, columns, positions


def counts_text(tests) -> str:
    """``63 passed, 15 failed, 1 skipped``: every non-zero outcome, in pytest's words."""
    parts = [(tests.passed, "passed"), (tests.failed, "failed"), (tests.errors, "errors"),
             (tests.skipped, "skipped"), (tests.xfailed, "xfailed"), (tests.xpassed, "xpassed")]  # fmt: skip
    return ", ".join(f"{n} {word}" for n, word in parts if n) or "no tests"


def tests_text(result: CellResult) -> str:
    if result.tests.total == 0:
        return (
            "no tests ran" if result.verdict not in ("unsatisfiable", "infra-error") else "not run"
        )
    return counts_text(result.tests)


def invocation_rows(result: CellResult) -> list:
    """``(command, exit, tests, note)`` per command tox ran, as the reports show them."""
    rows = []
    for step in result.invocations:
        notes = []
        if step.ignored and step.exit_code:
            notes.append("tox ignored its exit code")
        if step.unfinished:
            notes.append(f"{step.unfinished} pytest session(s) did not finish")
        if step.problem:
            notes.append(f"{step.problem.signature}: {step.problem.evidence}")
        exit_code = "killed" if step.exit_code is None else str(step.exit_code)
        tests = counts_text(step.tests) if step.is_pytest else ""
        rows.append((f"{step.run_id}: {step.command}", exit_code, tests, "; ".join(notes)))
    return rows


def coverage_text(result: CellResult) -> str:
    return "" if result.coverage is None else f"{result.coverage:.1f}%"


def md_escape(text: str) -> str:
    text = html.escape(str(text), quote=False).replace("|", "\\|").replace("`", "'")
    return " ".join(text.split())


def render_markdown(report: dict) -> str:
    results = results_of(report)
    summary = ", ".join(f"{report['summary'][v]} {v}" for v in VERDICTS if v in report["summary"])
    lines = [
        "# torch × numpy compatibility",
        "",
        f"{len(results)} cells: {summary or 'none'}. Generated {report['generated_at']} on "
        f"{md_escape(report['host']['platform'])}, {report['host']['cpus']} CPUs"
        + (
            " — **interrupted**, not run: " + ", ".join(report["not_run"])
            if report["interrupted"]
            else ""
        )
        + ".",
        "",
    ]
    rows, columns, positions = grid(results)
    lines += ["| torch \\ numpy | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row in rows:
        cells = []
        for column in columns:
            entries = positions.get((row, column), [])
            cells.append("<br>".join(_grid_entry(r) for r in entries) or "·")
        lines.append(f"| **{row}** | " + " | ".join(cells) + " |")
    lines += ["", "## Cells", ""]
    lines += [
        "| cell | verdict | python | torch | numpy | pandas | device | tests | coverage | time | why |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        device = r.device.get("gpu") or r.device.get("device") or ""
        why = ", ".join(f"{sig} ×{n}" for sig, n in r.signature_counts().items())
        lines.append(
            f"| {r.cell.name} | {MARKS[r.verdict]} {r.verdict} | {r.versions.get('python') or ''} | "
            f"{r.versions.get('torch') or ''} | {r.versions.get('numpy') or ''} | "
            f"{r.versions.get('pandas') or ''} | {md_escape(device)} | {tests_text(r)} | "
            f"{coverage_text(r)} | {r.duration_s:.0f}s | {why} |"
        )
    lines += _failure_sections(results, report["signatures"])
    return "\n".join(lines) + "\n"


def _grid_entry(result: CellResult) -> str:
    label = f"{MARKS[result.verdict]} {result.verdict}"
    detail = tests_text(result) + (
        f", {coverage_text(result)} cov" if result.coverage is not None else ""
    )
    extra = extras(result)
    return f"{label} {detail}" + (f" ({md_escape(extra)})" if extra else "")


def _failure_sections(results: list, signatures: dict) -> list:
    lines = []
    for r in results:
        noted = any(row[3] for row in invocation_rows(r))
        several = sum(i.is_pytest for i in r.invocations) > 1
        if not r.failures and not r.problem and not noted and not several and not r.unpinned:
            continue
        lines += ["", f"## {r.cell.name}: {r.verdict}", ""]
        if r.invocations:
            lines += ["| command | exit | tests | note |", "|---|---|---|---|"]
            lines += [f"| {' | '.join(md_escape(v) for v in row)} |" for row in invocation_rows(r)]
            lines.append("")
        if r.unpinned:
            lines += ["Not pinned by the lock: " + ", ".join(md_escape(u) for u in r.unpinned), ""]
        if r.problem:
            hint = signatures.get(r.problem.signature, {}).get("hint", "")
            lines += [
                f"**{r.problem.signature}** at {r.problem.test}: `{md_escape(r.problem.evidence)}`"
            ]
            lines += [f"  — {hint}" if hint else "", ""]
        if r.failures:
            lines += ["| test | signature | evidence |", "|---|---|---|"]
            for f in r.failures[:FAILURES_SHOWN]:
                lines.append(f"| {md_escape(f.test)} | {f.signature} | {md_escape(f.evidence)} |")
            if len(r.failures) > FAILURES_SHOWN:
                lines.append(f"| … {len(r.failures) - FAILURES_SHOWN} more in compat.json | | |")
            for sig in sorted({f.signature for f in r.failures}):
                hint = signatures.get(sig, {}).get("hint")
                if hint:
                    lines.append(f"\n*{sig}*: {hint}")
    return lines


def write(report: dict, reports: Path) -> dict:
    """Write compat.json, compat.md and compat.html; returns their paths."""
    from .html_report import render_html

    paths = {kind: reports / f"compat.{kind}" for kind in ("json", "md", "html")}
    write_atomic(paths["json"], json.dumps(report, indent=2))
    markdown = render_markdown(report)
    write_atomic(paths["md"], markdown)
    write_atomic(paths["html"], render_html(report))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(markdown)
    return paths
