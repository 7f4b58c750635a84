"""survey.html: one self-contained page, the summary first, then one row per project, then the
tests each change breaks. No script: every text is escaped, so nothing from a project, a test
or a log becomes markup, and each link points inside the survey's folder."""

from __future__ import annotations

import html
from collections import Counter
from urllib.parse import quote

from harness.stages import asof

COLOURS = {
    "breaks": "#c62828",
    "works": "#2e7d32",
    "broken-regardless": "#ef6c00",
    "declares-incompatible": "#6a1b9a",
    "not-measurable": "#757575",
}  # fmt: skip  (decoration: the word is always there)
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .4rem;
vertical-align:top}th{text-align:left}code{background:#f4f4f4;padding:.1rem .3rem;
word-break:break-word}.outcome{color:#fff;padding:.1rem .4rem;border-radius:3px;white-space:nowrap}
.summary span{margin-right:1rem}details{margin:.5rem 0}
""" + "".join(f".o-{k}{{background:{v}}}" for k, v in COLOURS.items())


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""))


def _outcome(outcome: str) -> str:
    return f'<span class="outcome o-{_e(outcome)}">{_e(outcome)}</span>'


def _link(path: str, text: str) -> str:
    if not path or path.startswith(("/", "..")) or "://" in path or ".." in path.split("/"):
        return ""
    return f'<a href="{_e(quote(path))}">{_e(text)}</a>'


def _cells(row: dict) -> str:
    parts = []
    for cell in row["cells"]:
        tests = cell["tests"]
        counted = ", ".join(
            f"{tests.get(k, 0)} {k}" for k in ("passed", "failed", "errors") if tests.get(k)
        )
        parts.append(f"<div><code>{_e(cell['with'])}</code> {_e(cell['verdict'])}"
                     f"{' (' + _e(counted) + ')' if counted else ''}</div>")  # fmt: skip
    return "".join(parts)


def as_of_words(doc: dict) -> str:
    """``, as of each project's release`` or ``, as of 2022-06-01``; "" as of now."""
    found = doc.get("as_of", "")
    if not found:
        return ""
    return ", as of " + ("each project's release" if found == asof.RELEASE else asof.shown(found))


def row_as_of(row: dict) -> str:
    """``as of 2020-07-09 (measured again as of its release; ...)``: a row's date, if any."""
    if not row.get("as_of"):
        return ""
    note = row.get("as_of_note", "")
    return f"as of {asof.shown(row['as_of'])}" + (f" ({note})" if note and note != "asked" else "")


def _row(row: dict) -> str:
    broken = Counter(b["signature"] or "unclassified" for b in row["broken_tests"])
    signatures = "<br>".join(f"{_e(k)} ×{n}" for k, n in broken.most_common())
    search = row["first_compatible_search"] or {}
    first = _e(row["first_compatible"] or search.get("note") or "")
    reason = f"<div>{_e(row['reason'])}</div>" if row["reason"] else ""
    reason += f"<div>{_e(row_as_of(row))}</div>" if row_as_of(row) else ""
    cap = f" <strong>{_e(row['cap'])}</strong>" if row.get("cap") else ""
    anchor = _e(f"{row['project']}-{row['version']}")
    detail = f' <a href="#{anchor}">tests</a>' if row["broken_tests"] else ""
    return (f"<tr><td>{_e(row['project'])}</td><td>{_e(row['version'])}</td>"
            f"<td>{_e((row['setup'] or {}).get('describe', ''))}</td><td>{_cells(row)}</td>"
            f"<td>{_outcome(row['outcome'])}{cap}{reason}</td><td>{signatures}{detail}</td><td>{first}</td>"
            f"<td>{_link(row['evidence'], 'report')}</td></tr>")  # fmt: skip


def _details(row: dict) -> str:
    items = "".join(
        f"<tr><td><code>{_e(b['test'])}</code></td><td><code>{_e(b['cell'])}</code></td>"
        f"<td>{_e(b['signature'])}</td><td><code>{_e(b['evidence'])}</code></td></tr>"
        for b in row["broken_tests"]
    )
    anchor = _e(f"{row['project']}-{row['version']}")
    return (f'<section id="{anchor}"><h3>{_e(row["project"])} {_e(row["version"])}: '
            f"{_outcome(row['outcome'])}</h3><p>{_e(row['reason'])}</p><table><tr><th>test</th>"
            f"<th>cell</th><th>signature</th><th>evidence</th></tr>{items}</table></section>")  # fmt: skip


def render(doc: dict) -> str:
    s, comparison = doc["summary"], doc["comparison"]
    title = f"Survey: {comparison['control']} → {', '.join(comparison['changes'])}"
    counts = "".join(f"<span>{_outcome(o)} {s.get(o, 0)}</span>" for o in COLOURS)
    counts += "".join(f"<span>{_e(k)}: {n}</span>" for k, n in (s.get("caps") or {}).items())
    on = (f" on Python {doc['python']}" if doc["python"] else "") + as_of_words(doc)
    note = " Interrupted: run again with --resume." if doc["interrupted"] else ""
    rows = "".join(_row(r) for r in doc["rows"])
    details = "".join(_details(r) for r in doc["rows"] if r["broken_tests"])
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{_e(title)}</title>"
            f"<style>{STYLE}</style><h1>{_e(title)}</h1>"
            f"<p class=summary>{s['projects']} projects{_e(on)}: {counts}</p>"
            f"<p>first compatible release found for {s['first_compatible_found']}; measured for "
            f"{s['measured_s'] / 60:.1f} min in all, the last run {s['wall_s'] / 60:.1f} min.{_e(note)}</p>"
            f"<table><tr><th>project</th><th>version</th><th>test setup</th><th>cells</th>"
            f"<th>outcome</th><th>broken by the change</th><th>first compatible</th><th>evidence</th></tr>"
            f"{rows}</table>{details}</html>\n")  # fmt: skip
