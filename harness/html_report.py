"""compat.html: one self-contained page; a colour grid whose cells open their evidence.

All data from test output reaches the page as JSON inside a script element and is put into
the document with ``textContent`` only, so nothing from a test can become markup.
"""

from __future__ import annotations

import html
import json

from .reports import MARKS, extras, grid, invocation_rows, results_of, tests_text

COLOURS = {
    "pass": "#2e7d32", "fail": "#c62828", "crash": "#6a1b9a", "no-tests": "#f9a825",
    "timeout": "#ef6c00", "unsatisfiable": "#546e7a", "infra-error": "#8d6e63",
}  # fmt: skip

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.4rem .6rem}
td.cell{cursor:pointer;color:#fff;min-width:9rem}td.cell:hover{outline:3px solid #000}
td.empty{background:#eee}#details{border-top:2px solid #333;margin-top:1rem;padding-top:1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem;white-space:pre-wrap;word-break:break-word}
.legend span{display:inline-block;color:#fff;padding:.1rem .5rem;margin-right:.3rem}
"""

SCRIPT = """
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
  const v = c.versions, d = c.device, t = c.tests;
  row(facts, ['python', v.python, 'torch', v.torch, 'numpy', v.numpy, 'pandas', v.pandas]);
  row(facts, ['device', d.gpu || d.device || '', 'numpy bridge', d.numpy_bridge || '',
              'coverage', c.coverage === null ? '' : c.coverage + '%', 'time', c.duration_s + 's']);
  row(facts, ['passed', t.passed, 'failed', t.failed, 'errors', t.errors, 'skipped', t.skipped]);
  box.appendChild(facts);
  const steps = report.invocation_rows[c.cell.name] || [];
  if (steps.length) {
    box.appendChild(el('h3', 'Commands'));
    const table = el('table');
    row(table, ['command', 'exit', 'tests', 'note'], true);
    steps.forEach(values => row(table, values));
    box.appendChild(table);
  }
  if (c.unpinned && c.unpinned.length) box.appendChild(el('p', 'not pinned by the lock: ' + c.unpinned.join(', ')));
  box.appendChild(el('p', 'pins: ' + JSON.stringify(c.cell.pins) + ' · lock: ' + (c.lock || 'none')
                          + ' · log: ' + c.log));
  if (c.problem) {
    const sig = report.signatures[c.problem.signature] || {};
    box.appendChild(el('h3', 'Problem: ' + c.problem.signature + ' (' + c.problem.test + ')'));
    box.appendChild(el('pre', c.problem.evidence));
    if (sig.hint) box.appendChild(el('p', sig.hint));
    if (c.problem.message) box.appendChild(el('pre', c.problem.message));
  }
  if (c.failures.length) {
    box.appendChild(el('h3', c.failures.length + ' failing test(s)'));
    const table = el('table');
    row(table, ['test', 'signature', 'evidence'], true);
    c.failures.forEach(f => row(table, [f.test, f.signature, f.evidence]));
    box.appendChild(table);
    new Set(c.failures.map(f => f.signature)).forEach(id => {
      const sig = report.signatures[id];
      if (sig && sig.hint) box.appendChild(el('p', id + ': ' + sig.hint));
    });
  }
  box.scrollIntoView({behavior: 'smooth'});
}
document.querySelectorAll('td.cell').forEach(td => td.addEventListener('click', () => {
  history.replaceState(null, '', '#' + encodeURIComponent(td.dataset.cell));
  show(td.dataset.cell);
}));
const linked = decodeURIComponent(location.hash.slice(1));
if (byName[linked]) show(linked);
"""


def _entry(result) -> str:
    extra = extras(result)
    label = f"{MARKS[result.verdict]} {result.verdict}<br>{html.escape(tests_text(result))}"
    if result.coverage is not None:
        label += f", {result.coverage:.1f}% cov"
    if extra:
        label += f"<br><small>{html.escape(extra)}</small>"
    return label


def render_html(report: dict) -> str:
    results = results_of(report)
    rows, columns, positions = grid(results)
    head = "".join(f"<th>numpy {html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        tds = []
        for column in columns:
            entries = positions.get((row, column), [])
            if not entries:
                tds.append('<td class="empty"></td>')
            for result in entries[:1]:
                tds.append(
                    f'<td class="cell" data-cell="{html.escape(result.cell.name)}" '
                    f'style="background:{COLOURS[result.verdict]}" title="{html.escape(result.cell.name)}">'
                    f"{_entry(result)}</td>"
                )
        body.append(f"<tr><th>torch {html.escape(row)}</th>{''.join(tds)}</tr>")
    stacked = [r for entries in positions.values() for r in entries[1:]]
    more = ""
    if stacked:
        more = (
            "<h2>More cells</h2><table><tr>"
            + "".join(
                f'<td class="cell" data-cell="{html.escape(r.cell.name)}" '
                f'style="background:{COLOURS[r.verdict]}">{html.escape(r.cell.name)}<br>{_entry(r)}</td>'
                for r in stacked
            )
            + "</tr></table>"
        )
    legend = "".join(f'<span style="background:{c}">{v}</span>' for v, c in COLOURS.items())
    summary = ", ".join(f"{n} {v}" for v, n in report["summary"].items())
    page_data = dict(report, invocation_rows={r.cell.name: invocation_rows(r) for r in results})
    data = (
        json.dumps(page_data)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>torch × numpy compatibility</title>
<style>{STYLE}</style></head><body>
<h1>torch × numpy compatibility</h1>
<p>{len(results)} cells: {html.escape(summary)}. Generated {html.escape(report["generated_at"])} on
{html.escape(report["host"]["platform"])}.{" <strong>Interrupted.</strong>" if report["interrupted"] else ""}</p>
<p class="legend">{legend}</p>
<table><tr><th>torch \\ numpy</th>{head}</tr>{"".join(body)}</table>{more}
<p>Click a cell for its failing tests and evidence.</p>
<div id="details"></div>
<script type="application/json" id="report-data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
