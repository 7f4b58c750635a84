"""A survey's rows as the Markdown table of docs/results/numpy2-survey.md and the README.

    python benchmarks/survey_table.py SURVEY_DIR [--list benchmarks/numpy2-projects.txt]

One line a project, in the list's order, with the list's heading as its kind: the outcome,
the cells' test counts, what broke (signatures) or why it is not measured, the date it was
measured as of when it was not today, and the setup's kind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"Pure-Python": "numpy", "pandas": "pandas", "torch": "torch", "compiled": "compiled"}


def kinds(path: Path) -> dict:
    """``{name==version: kind}`` from the list's section headings."""
    found, kind = {}, ""
    for line in path.read_text().splitlines():
        if line.startswith("# ") and (word := line[2:].split()[0]) in KINDS:
            kind = KINDS[word]
        entry = line.split("#")[0].strip()
        if entry:
            found[entry] = kind
    return found


def counts(cell: dict) -> str:
    tests = cell["tests"]
    said = [f"{tests[k]} {k[0]}" for k in ("passed", "failed", "errors") if tests[k]]
    return " ".join(said) or ("no test" if cell["verdict"] in ("pass", "fail") else cell["verdict"])


def what(row: dict) -> str:
    if row["outcome"] == "not-measurable":
        reason = row["reason"].split(": ", 2)[-1] if ": " in row["reason"] else row["reason"]
        return f"{row['reason_kind']}: {reason[:90]}".replace("|", "\\|")
    signatures: dict = {}
    for broken in row.get("broken_tests", []):
        signatures[broken["signature"]] = signatures.get(broken["signature"], 0) + 1
    said = ", ".join(f"{s} ×{n}" for s, n in signatures.items())
    return (said + (f"; {row['cap']}" if row.get("cap") else "")).strip("; ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("survey", type=Path)
    parser.add_argument("--list", type=Path, default=ROOT / "benchmarks" / "numpy2-projects.txt")
    args = parser.parse_args()
    rows = json.loads((args.survey / "survey.json").read_text())["rows"]
    order = kinds(args.list)
    rows.sort(key=lambda r: list(order).index(f"{r['project']}=={r['version']}")
              if f"{r['project']}=={r['version']}" in order else len(order))  # fmt: skip
    print(
        "| project | version | kind | outcome | control / change | broken by the change, or why not measured | as of | setup |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = " / ".join(counts(c) for c in r["cells"]) or "-"
        setup = r["setup"].get("kind", "") + (
            " (own config set aside)" if r["setup"].get("instead") else ""
        )
        print(f"| {r['project']} | {r['version']} | {order.get(r['project'] + '==' + r['version'], '')} "
              f"| {r['outcome']} | {cells} | {what(r)} | {r['as_of'][:10] or 'today'} | {setup} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
