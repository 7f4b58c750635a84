"""compat.md: the grid, tables of cells, and each failing cell's commands, tests and evidence.

Everything that comes from a test, a log or a user's config is written as an inline code
span: no link, emphasis or HTML in it is live, and terminal escapes are stripped first.
"""

from __future__ import annotations

import re

from harness.model import CellResult
from harness.report import confirmed
from harness.report.compat import (
    MARKS,
    PREFERRED_AXES,
    audit_sections,
    axis_value,
    coverage_text,
    grid,
    headings,
    invocation_rows,
    notes,
    only_here,
    results_of,
    summary_text,
    tests_text,
)  # fmt: skip
from harness.report.suggest import reason as suggestion_text
from harness.report.words import counted
from harness.stages.classify import clean

FAILURES_SHOWN = 25


def code(text) -> str:
    """``text`` as a Markdown code span that is safe inside a table cell."""
    text = " ".join(clean(text).split()).replace("|", "\\|")
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def verdict_text(result: CellResult, note: str = "") -> str:
    return f"{MARKS[result.verdict]} {result.verdict}" + (f" ({note})" if note else "")


def render_markdown(report: dict) -> str:
    results = results_of(report)
    stale = {c["cell"]["name"] for c in report["cells"] if c.get("stale")}
    marked = notes(report)
    normal = [r for r in results if not r.cell.forced]
    forced = [r for r in results if r.cell.forced]
    row_axis, column_axis = grid(normal or forced)[:2]
    title = " × ".join(a for a in (row_axis, column_axis) if a) or "cells"
    lines = [
        f"# {code(report.get('project_name') or report['project'])}: {title} compatibility",
        "",
        f"{counted(len(results), 'cell')}: {summary_text(report)}. Generated {report['generated_at']} on "
        f"{code(report['host']['platform'])}, {report['host']['cpus']} CPUs"
        + (" — **interrupted**" if report["interrupted"] else "")
        + (f"; not run: {', '.join(map(code, report['not_run']))}" if report["not_run"] else "")
        + (f"; {len(stale)} stale (inputs changed since they ran)" if stale else "")
        + ".",
        "",
    ]
    setup = report.get("setup") if isinstance(report.get("setup"), dict) else {}
    if setup.get("generated"):  # the project has no tox config: say how it was tested
        lines += [f"No tox config: tested with {code(str(setup.get('describe', '')))}.", ""]
    lines += _grid(normal, marked)
    if forced:
        lines += ["", "## Forced cells", "",
                  "Installed with their pins as uv overrides, against what their packages' metadata "
                  "allows; they say whether a bound is real, never what users get.", ""]  # fmt: skip
        lines += _grid(forced, marked)
    lines += _control_section(report.get("control"))
    lines += _cells_tables(results, marked)
    lines += _suggestions_section(report.get("suggestions"))
    lines += _audit_section(report.get("audit"))
    lines += _failure_sections(results, report["signatures"])
    return "\n".join(lines) + "\n"


def _control_section(control) -> list:
    """Each changed cell read against the control: a row each, then the tests that break only
    outside the control, folded."""
    if not control:
        return []
    name = code(control["cell"])
    lines = ["", f"## Against the control ({name})", ""]
    if not control["measured"]:
        verdict = control["verdict"]
        return lines + [
            f"The control was not measured ({MARKS[verdict]} {verdict}): nothing to compare."
        ]
    lines += [f"Each cell read against {name} ({MARKS[control['verdict']]} {control['verdict']}): the tests "
              "that fail there and did not fail in the control, and the ones that fail only in the "
              "control.", "", "| cell | verdict | fails only here | fails only in the control |",
              "|---" * 4 + "|"]  # fmt: skip
    for change in control["changes"]:
        fixed = f"{len(change['fixed'])} fail in the control only" if change["measured"] else ""
        lines.append(f"| {code(change['cell'])} | {MARKS[change['verdict']]} {change['verdict']} | "
                     f"{only_here(change)} | {fixed} |")  # fmt: skip
    broken = [c for c in control["changes"] if c["broken"]]
    if not broken:
        return lines
    lines += ["", "<details><summary>The tests that fail only outside the control</summary>"]
    for change in broken:
        lines += ["", f"**{code(change['cell'])}**", "", "| test | signature | evidence |",
                  "|---|---|---|"]  # fmt: skip
        for b in change["broken"][:FAILURES_SHOWN]:
            lines.append(f"| {code(b['test'])} | {code(b['signature'])} | {code(b['evidence'])} |")
        if len(change["broken"]) > FAILURES_SHOWN:
            lines.append(f"| … {len(change['broken']) - FAILURES_SHOWN} more in compat.json | | |")
    return lines + ["", "</details>"]


def _suggestions_section(found) -> list:
    if not found:
        return []
    lines = ["", "## Suggested pins", "",
             "Each keeps every failing cell out; write it where the project declares the package:",
             ""]  # fmt: skip
    for number, suggestion in enumerate(found, 1):
        places = sorted(set(suggestion.get("write_to") or []))
        where = f" (in {', '.join(map(code, places))})" if places else ""
        requirements = code(", ".join(suggestion["requirements"]))
        lines.append(f"{number}. {requirements}{where}: {suggestion_text(suggestion)}")
    return lines


def _audit_section(audit) -> list:
    lines = ["", "## Metadata audit", ""] if audit_sections(audit) else []
    for title, found in audit_sections(audit):
        lines += [f"**{title}**", ""] + [f"- {code(line)}" for line in found] + [""]
    return lines


def _grid(results: list, marked: dict) -> list:
    if not results:
        return []
    row_axis, column_axis, rows, columns, positions = grid(results)
    corner, heads, labels = headings(row_axis, column_axis, rows, columns)
    lines = [f"| {corner} | " + " | ".join(heads) + " |", "|---" * (len(columns) + 1) + "|"]
    for row, label in zip(rows, labels):
        squares = []
        for column in columns:
            entries = positions.get((row, column), [])
            squares.append(
                "<br>".join(_entry(r, marked.get(r.cell.name, "")) for r in entries) or "·"
            )
        lines.append(f"| **{label}** | " + " | ".join(squares) + " |")
    return lines


def _cells_tables(results: list, marked: dict) -> list:
    """Two narrow tables, each within GitHub's page width: what each cell measured, then the
    versions it ran with, its device, duration and date."""
    lines = ["", "## Cells", "", "| cell | verdict | tests | coverage | why |", "|---" * 5 + "|"]
    for r in results:
        why = ", ".join(f"{sig} ×{n}" for sig, n in r.signature_counts().items())
        lines.append(f"| {code(r.cell.name)} | {verdict_text(r, marked.get(r.cell.name, ''))} | "
                     f"{tests_text(r)} | {coverage_text(r)} | {why} |")  # fmt: skip
    lines += ["", "<details><summary>Versions, device, time and date of each cell</summary>", "",
              "| cell | versions | device | time | measured |", "|---" * 5 + "|"]  # fmt: skip
    for r in results:
        device = r.device.get("gpu") or r.device.get("device") or ""
        versions = ", ".join([f"python {r.versions.get('python') or 'unknown'}"] + [
            f"{name} {value}" for name in _pinned(results) if (value := axis_value(r, name)) != "?"
        ])  # fmt: skip
        dated = (
            f" (resolved as of {r.as_of}; exempt: {', '.join(r.exempt) or 'none'})"
            if r.as_of
            else ""
        )
        lines.append(f"| {code(r.cell.name)} | {code(versions)} | {code(device)} | "
                     f"{r.duration_s:.0f}s | {r.measured_at}{dated} |")  # fmt: skip
    return lines + ["", "</details>"]


def _pinned(results: list) -> list:
    """The pinned packages, the grid's usual axes first (torch, numpy, pandas)."""
    rank = {name: i for i, name in enumerate(PREFERRED_AXES)}
    names = {name for r in results for name in r.cell.pins}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def _entry(result: CellResult, note: str) -> str:
    detail = tests_text(result) + (
        f", {coverage_text(result)} cov" if result.coverage is not None else ""
    )
    return f"{code(result.cell.name)}: {verdict_text(result, note)}, {detail}"


def _failure_sections(results: list, signatures: dict) -> list:
    lines = []
    for r in results:
        noted = any(row[3] for row in invocation_rows(r))
        several = sum(i.is_pytest for i in r.invocations) > 1
        told = confirmed.notes(r)
        if not (r.failures or r.problem or noted or several or r.unpinned or r.cell.replaced
                or told):  # fmt: skip
            continue
        lines += ["", f"## {code(r.cell.name)}: {r.verdict}", ""]
        lines += [*(f"- {line}" for line in told), ""] if told else []
        lines += [_replaced(r.cell), ""] if r.cell.replaced else []
        if r.invocations:
            lines += ["| command | exit | tests | note |", "|---|---|---|---|"]
            lines += [f"| {' | '.join(code(v) for v in row)} |" for row in invocation_rows(r)]
            lines.append("")
        if r.unpinned:
            lines += ["Not pinned by the lock: " + ", ".join(code(u) for u in r.unpinned), ""]
        if r.problem:
            hint = signatures.get(r.problem.signature, {}).get("hint", "")
            lines += [
                f"**{r.problem.signature}** at {code(r.problem.test)}: {code(r.problem.evidence)}"
            ]
            lines += [f"  — {hint}" if hint else "", ""]
        if r.failures:
            lines += ["| test | signature | evidence |", "|---|---|---|"]
            for f in r.failures[:FAILURES_SHOWN]:
                lines.append(f"| {code(f.test)} | {f.signature} | {code(f.evidence)} |")
            if len(r.failures) > FAILURES_SHOWN:
                lines.append(f"| … {len(r.failures) - FAILURES_SHOWN} more in compat.json | | |")
            for f in r.failures[:FAILURES_SHOWN]:
                more = confirmed.beyond_evidence(f)  # the evidence is in the table above
                if more:
                    lines += ["", f"{code(f.test)}:", "", *confirmed.fenced("\n".join(more))]
            for sig in sorted({f.signature for f in r.failures}):
                hint = signatures.get(sig, {}).get("hint")
                if hint:
                    lines.append(f"\n*{sig}*: {hint}")
    return lines


def _replaced(cell) -> str:
    """What an ad-hoc cell's pins replaced, and the files whose hashes it did not check."""
    was = ", ".join(f"{code(r['was'])} ({r['in']})" for r in cell.replaced)
    unhashed = f"; hashes not checked: {', '.join(cell.unhashed)}" if cell.unhashed else ""
    return f"The pins replaced the project's own {was}{unhashed}."
