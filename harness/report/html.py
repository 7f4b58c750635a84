"""compat.html: one self-contained page; the cells that did not pass, each with its first
failing tests, then a colour grid whose cells open their evidence.

All data from test output reaches the page as JSON inside a script element and is put into
the document with ``textContent`` only, so nothing from a test can become markup.
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from harness.model import PASS
from harness.report.compat import (
    audit_sections,
    grid,
    headings,
    invocation_rows,
    notes,
    only_here,
    replaced_text,
    results_of,
    summary_text,
    tests_text,
)
from harness.report.suggest import reason
from harness.report.words import counted
from harness.stages.classify import clean

COLOURS = {
    "pass": "#2e7d32", "fail": "#c62828", "crash": "#6a1b9a", "no-tests": "#f9a825",
    "timeout": "#ef6c00", "unsatisfiable": "#546e7a", "infra-error": "#8d6e63",
}  # fmt: skip
DARK_TEXT = ("no-tests", "timeout")  # light backgrounds
FAILING_SHOWN, TESTS_SHOWN = 10, 3  # in the failure list above the grid
BROKEN_SHOWN = 25  # per cell, in the folded list of the tests that fail only outside the control

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .4rem}
th{text-align:left;white-space:nowrap}td.square{vertical-align:top;min-width:8rem}
td.empty{background:#eee}.cell{cursor:pointer;color:#fff;padding:.2rem .4rem;margin:.1rem 0;
border-radius:3px;overflow-wrap:anywhere}.cell:hover,.cell:focus{outline:3px solid #000}
.legend .cell,.failures .cell,.control .cell{display:inline-block;margin-right:.3rem;cursor:default}
.failures ul{margin:.3rem 0;padding-left:1.2rem}.failures li{margin:.15rem 0}
#details{border-top:2px solid #333;margin-top:1rem;padding-top:1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem;white-space:pre-wrap;word-break:break-word}
""" + "".join(
    f".{verdict}{{background:{colour};color:{'#222' if verdict in DARK_TEXT else '#fff'}}}"
    for verdict, colour in COLOURS.items()
)

SCRIPT = """(() => {
const report = JSON.parse(document.getElementById('report-data').textContent);
const byName = Object.fromEntries(report.cells.map(c => [c.cell.name, c]));
function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}
function row(table, values, header) {
  const tr = el('tr');
  values.forEach(v => tr.appendChild(el(header ? 'th' : 'td', v)));
  table.appendChild(tr);
}
function show(name) {
  const c = byName[name], box = document.getElementById('details');
  box.replaceChildren(el('h2', c.cell.name + ': ' + c.verdict));
  const facts = el('table');
  const d = c.device, t = c.tests;
  row(facts, Object.entries(c.versions).filter(([k, x]) => x || k === 'python')
    .map(([k, x]) => [k, x || 'unknown']).flat());
  row(facts, ['device', d.gpu || d.device || '', 'numpy bridge', d.numpy_bridge || '',
              'coverage', c.coverage === null ? '' : c.coverage + '%', 'time', c.duration_s + 's']);
  row(facts, ['passed', t.passed, 'failed', t.failed, 'errors', t.errors, 'skipped', t.skipped]);
  row(facts, ['measured', c.measured_at || '', 'inputs', c.stale ? 'changed since (stale)' : 'unchanged', ...(c.as_of ? ['resolved as of', c.as_of + '; exempt: ' + ((c.exempt || []).join(', ') || 'none')] : [])]);
  box.appendChild(facts);
  const steps = report.invocation_rows[c.cell.name] || [];
  if (steps.length) {
    box.appendChild(el('h3', 'Commands'));
    const table = el('table');
    row(table, ['command', 'exit', 'tests', 'note'], true);
    steps.forEach(values => row(table, values));
    box.appendChild(table);
  }
  if (report.replaced[c.cell.name]) box.appendChild(el('p', 'the pins ' + report.replaced[c.cell.name]));
  if (c.unpinned && c.unpinned.length) box.appendChild(el('p', 'not pinned by the lock: ' + c.unpinned.join(', ')));
  const pins = Object.entries(c.cell.pins || {}).map(([k, v]) => k + v);
  box.appendChild(el('p', ['pins: ' + (pins.join(', ') || 'none'), 'lock: ' + (c.lock || 'none'),
                           c.log ? 'log: ' + c.log : ''].filter(Boolean).join(' · ')));
  (c.notices || []).forEach(n => box.appendChild(el('p', n)));
  if (c.threads) box.appendChild(el('p', 'threads capped at ' + c.threads + ' per cell (--threads-per-cell)'));
  if (c.flaky && c.flaky.length) box.appendChild(el('p', 'flaky (failed, then passed on a re-run; not counted as failing): ' + c.flaky.join(', ')));
  if (c.confirmation) box.appendChild(el('p', c.confirmation));
  if (c.problem) {
    const sig = report.signatures[c.problem.signature] || {};
    box.appendChild(el('h3', 'Problem: ' + c.problem.signature + ' (' + c.problem.test + ')'));
    box.appendChild(el('pre', c.problem.evidence));
    if (sig.hint) box.appendChild(el('p', sig.hint));
    if (c.problem.message) box.appendChild(el('pre', c.problem.message));
  }
  if (c.failures.length) {
    box.appendChild(el('h3', c.failures.length + (c.failures.length === 1 ? ' failing test' : ' failing tests')));
    const table = el('table');
    row(table, ['test', 'signature', 'evidence'], true);
    c.failures.forEach(f => row(table, [f.test, f.signature, f.evidence]));
    box.appendChild(table);
    c.failures.slice(0, 20).forEach(f => {  // what pytest printed, less the evidence shown above
      const more = (f.detail || '').split('\\n').filter(line => line.replace(/^E\\s+/, '').trim() !== f.evidence.trim());
      if (more.join('').trim()) box.appendChild(el('pre', f.test + '\\n' + more.join('\\n')));
    });
    new Set(c.failures.map(f => f.signature)).forEach(id => {
      const sig = report.signatures[id];
      if (sig && sig.hint) box.appendChild(el('p', id + ': ' + sig.hint));
    });
  }
  box.scrollIntoView({behavior: 'smooth'});
}
function open(node) {
  history.replaceState(null, '', '#' + encodeURIComponent(node.dataset.cell));
  show(node.dataset.cell);
}
document.querySelectorAll('.grid .cell').forEach(node => {
  node.addEventListener('click', () => open(node));
  node.addEventListener('keydown', event => { if (event.key === 'Enter') open(node); });
});
function follow() {
  const linked = decodeURIComponent(location.hash.slice(1));
  if (byName[linked]) show(linked);
}
window.addEventListener('hashchange', follow);
follow();
})();
"""


def _entry(result, note: str) -> str:
    detail = tests_text(result) + (
        f", {result.coverage:.1f}% cov" if result.coverage is not None else ""
    )
    name = html.escape(result.cell.name)
    return (
        f'<div class="cell {result.verdict}" data-cell="{name}" role="button" tabindex="0" '
        f'title="{name}"><b>{name}</b><br>{result.verdict}{html.escape(f" ({note})" if note else "")}'
        f"<br><small>{html.escape(detail)}</small></div>"
    )


def _suggestions(found) -> str:
    if not found:
        return ""
    items = []
    for s in found:
        places = ", ".join(
            f"<code>{html.escape(p)}</code>" for p in sorted(set(s.get("write_to") or []))
        )
        items.append(f"<li><code>{html.escape(', '.join(s['requirements']))}</code>"
                     + (f" (in {places})" if places else "") + f": {html.escape(reason(s))}</li>")  # fmt: skip
    return ("<h2>Suggested pins</h2><p>Each keeps every failing cell out; write it where the "
            f"project declares the package.</p><ol>{''.join(items)}</ol>")  # fmt: skip


def _audit(audit) -> str:
    parts = ["<h2>Metadata audit</h2>"] if audit_sections(audit) else []
    for title, found in audit_sections(audit):
        items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in found)
        parts.append(f"<h3>{title}</h3><ul>{items}</ul>")
    return "".join(parts)


def _table(results: list, marked: dict) -> str:
    if not results:
        return ""
    row_axis, column_axis, rows, columns, positions = grid(results)
    corner, heads, labels = headings(row_axis, column_axis, rows, columns, named=True)
    body = []
    for row, label in zip(rows, labels):
        squares = []
        for column in columns:
            entries = positions.get((row, column), [])
            inner = "".join(_entry(r, marked.get(r.cell.name, "")) for r in entries)
            squares.append(
                f'<td class="square">{inner}</td>' if entries else '<td class="empty"></td>'
            )
        body.append(f"<tr><th>{html.escape(label)}</th>{''.join(squares)}</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (corner, *heads))
    return f'<table class="grid"><tr>{head}</tr>{"".join(body)}</table>'


def _failures(results: list, marked: dict) -> str:
    """The first screen's list of the cells that did not pass: each one's verdict, signatures
    and first failing tests, a link that opens its details."""
    failing = [r for r in results if r.verdict != PASS]
    items = []
    for r in failing[:FAILING_SHOWN]:
        note = marked.get(r.cell.name, "")
        why = ", ".join(f"{sig} ×{n}" for sig, n in r.signature_counts().items())
        first = [(f.test, f.signature) for f in r.failures[:TESTS_SHOWN]]
        if r.problem and not r.failures:
            first = [(r.problem.test, r.problem.signature)]
        more = len(r.failures) - TESTS_SHOWN
        named = len(r.signature_counts()) > 1 or not why  # one signature is said once, in why
        tests = ", ".join(f"<code>{html.escape(t)}</code>"
                          + (f" ({html.escape(s)})" if named else "") for t, s in first)  # fmt: skip
        tests += f" and {more} more" if more > 0 else ""
        items.append(
            f'<li><a href="#{html.escape(quote(r.cell.name, safe=""))}">'
            f"{html.escape(r.cell.name)}</a> "
            f'<span class="cell {r.verdict}">{r.verdict}{html.escape(f" ({note})" if note else "")}'
            f"</span> {html.escape(tests_text(r))}" + (f"; {html.escape(why)}" if why else "")
            + (f": {tests}" if first else "") + "</li>"
        )  # fmt: skip
    if not items:
        return ""
    rest = len(failing) - FAILING_SHOWN
    more = f"<p>… and {rest} more: click a coloured cell below.</p>" if rest > 0 else ""
    return (f'<section class="failures"><h2>{counted(len(failing), "cell")} did not pass</h2>'
            f"<ul>{''.join(items)}</ul>{more}</section>")  # fmt: skip


def _control(control) -> str:
    """Each changed cell read against the control, a row each, then the tests that fail only
    outside the control, folded; the same view as compat.md's."""
    if not control:
        return ""
    name = html.escape(control["cell"])
    head = f'<section class="control"><h2>Against the control ({name})</h2>'
    if not control["measured"]:
        return (f"{head}<p>The control was not measured ({html.escape(control['verdict'])}): "
                "nothing to compare.</p></section>")  # fmt: skip
    rows = "".join(
        f'<tr><td><a href="#{html.escape(quote(c["cell"], safe=""))}">{html.escape(c["cell"])}</a>'
        f'</td><td><span class="cell {html.escape(c["verdict"])}">{html.escape(c["verdict"])}</span>'
        f"</td><td>{html.escape(only_here(c))}</td><td>"
        + (f"{len(c['fixed'])} fail in the control only" if c["measured"] else "") + "</td></tr>"
        for c in control["changes"]
    )  # fmt: skip
    folded = "".join(
        f"<h3>{html.escape(c['cell'])}</h3><table><tr><th>test</th><th>signature</th>"
        "<th>evidence</th></tr>"
        + "".join(f"<tr><td><code>{html.escape(b['test'])}</code></td><td>{html.escape(b['signature'])}"
                  f"</td><td><code>{html.escape(clean(b['evidence']))}</code></td></tr>"
                  for b in c["broken"][:BROKEN_SHOWN])
        + (f"<p>… {len(c['broken']) - BROKEN_SHOWN} more in compat.json</p>"
           if len(c["broken"]) > BROKEN_SHOWN else "")
        for c in control["changes"] if c["broken"]
    )  # fmt: skip
    details = (f"<details><summary>The tests that fail only outside the control</summary>{folded}"
               "</details>" if folded else "")  # fmt: skip
    return (f"{head}<p>Each cell read against {name} ({html.escape(control['verdict'])}): the tests "
            "that fail there and did not fail in the control, and the ones that fail only in the "
            "control.</p><table><tr><th>cell</th><th>verdict</th><th>fails only here</th>"
            f"<th>fails only in the control</th></tr>{rows}</table>{details}</section>")  # fmt: skip


def render_html(report: dict) -> str:
    results = results_of(report)
    stale = {c["cell"]["name"] for c in report["cells"] if c.get("stale")}
    normal = [r for r in results if not r.cell.forced]
    forced = [r for r in results if r.cell.forced]
    row_axis, column_axis = grid(normal or forced)[:2]
    marked = notes(report)
    tables = _table(normal, marked)
    if forced:
        tables += ("<h2>Forced cells</h2><p>Installed with their pins as uv overrides, against what "
                   "their packages' metadata allows: they say whether a bound is real.</p>"
                   + _table(forced, marked))  # fmt: skip
    legend = "".join(f'<span class="cell {v}">{v}</span>' for v in COLOURS)
    title = (
        f"{report.get('project_name') or report['project']}: "
        + (" × ".join(a for a in (row_axis, column_axis) if a) or "cells")
        + " compatibility"
    )
    page_data = dict(report, invocation_rows={r.cell.name: invocation_rows(r) for r in results}, replaced={r.cell.name: replaced_text(r.cell) for r in results})  # fmt: skip
    data = (
        json.dumps(page_data)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    remarks = " <strong>Interrupted.</strong>" if report["interrupted"] else ""
    if stale:
        remarks += f" {len(stale)} stale: their inputs changed since they ran."
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{counted(len(results), "cell")}: {html.escape(summary_text(report))}. Generated {html.escape(report["generated_at"])} on
{html.escape(report["host"]["platform"])}.{remarks}</p>
{_failures(results, marked)}{_control(report.get("control"))}
<p class="legend">{legend}</p>
{tables}
<p>Click a cell for its commands, failing tests and evidence.</p>{_suggestions(report.get("suggestions"))}{_audit(report.get("audit"))}
<div id="details"></div>
<script type="application/json" id="report-data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
