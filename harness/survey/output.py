"""What a survey writes: ``survey.json`` (``harness.survey/1``, checked against
``schemas/survey.schema.json``), ``survey.md`` and ``survey.html``, each whole or not at all.

The table accumulates: a run replaces the rows of the projects it measured and keeps the
others, in the order they were first listed. A stored survey of another comparison (other
``--with`` groups, another ``--python``) is never mixed into: the command refuses its folder.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections import Counter
from pathlib import Path

from harness import __version__, bounded
from harness.names import BadName, evidence_parts
from harness.report.markdown import code
from harness.report.words import counted
from harness.store import write_atomic
from harness.survey import page
from harness.survey import row as rows
from harness.survey.page import as_of_words, row_as_of

SCHEMA = "harness.survey/1"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "survey.schema.json"
FILES = ("survey.json", "survey.md", "survey.html")
SHOWN = 10  # broken tests listed per project in the Markdown; all are in survey.json


@functools.lru_cache(maxsize=None)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def check(doc: dict) -> dict:
    """``doc`` when it is of the schema's shape, else a ValueError saying where it is not."""
    error = next(iter(_validator().iter_errors(doc)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        raise ValueError(f"wrong shape at {where}: {error.message[:200]}")
    for number, row in enumerate(doc["rows"]):
        try:
            evidence_parts(row["evidence"])
        except BadName as exc:
            raise ValueError(f"wrong link at rows/{number}/evidence: {exc}") from None
    return doc


@functools.lru_cache(maxsize=None)
def _row_validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/row"})


def row_problem(row: rows.Row) -> str:
    """Why one row would not be of the schema's shape ("" when it is): checked before it joins
    the table, so one project's odd row never makes every save of the survey fail."""
    error = next(iter(_row_validator().iter_errors(row.to_dict())), None)
    if error is None:
        return ""
    where = "/".join(map(str, error.absolute_path)) or "the row"
    return f"wrong shape at {where}: {error.message[:200]}"


def load(folder: Path):
    """The stored survey of ``folder``, checked; None when there is none."""
    path = folder / "survey.json"
    if not path.exists():
        return None
    return check(bounded.load_json(path))


def merged(stored: list, measured: list) -> list:
    """The stored rows with each measured project's row in its place (new ones at the end)."""
    fresh = {(r.project, r.version): r for r in measured}
    kept = [fresh.pop((r.project, r.version), r) for r in stored]
    return kept + list(fresh.values())


def summary(found: list, wall_s: float) -> dict:
    outcomes = Counter(r.outcome for r in found)
    reasons = Counter(r.reason_kind for r in found if r.outcome == rows.NOT_MEASURABLE)
    return {
        "projects": len(found), **{o: outcomes.get(o, 0) for o in rows.OUTCOMES},
        "first_compatible_found": sum(1 for r in found if r.first_compatible),
        "measured_s": round(sum(r.duration_s for r in found), 1), "wall_s": round(wall_s, 1),
        "not_measurable_reasons": dict(sorted(reasons.items())),
        "caps": dict(sorted(Counter(r.cap for r in found if r.cap).items())),
    }  # fmt: skip


def document(found: list, changes: list, python: str, wall_s: float, interrupted: bool,
             as_of: str = "") -> dict:  # fmt: skip
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "schema": SCHEMA, "generated_at": now.isoformat(timespec="seconds"), "harness": __version__,
        "comparison": {"control": changes[0], "changes": list(changes[1:])}, "python": python,
        "interrupted": interrupted, "summary": summary(found, wall_s),
        "rows": [r.to_dict() for r in found], **({"as_of": as_of} if as_of else {}),
    }  # fmt: skip


def save(doc: dict, folder: Path) -> dict:
    """Write survey.json, .md and .html; returns their paths."""
    check(doc)
    paths = dict(zip(("json", "md", "html"), (folder / name for name in FILES)))
    write_atomic(paths["json"], json.dumps(doc, indent=2))
    write_atomic(paths["md"], markdown(doc))
    write_atomic(paths["html"], page.render(doc))
    return paths


def signature_counts(row: dict) -> dict:
    counts = Counter(b["signature"] or "unclassified" for b in row["broken_tests"])
    return dict(counts.most_common())


def verdicts_text(row: dict) -> str:
    return ", ".join(
        f"{c['with']}: {c['verdict']} ({tests_text(c['tests'])})" for c in row["cells"]
    )


def tests_text(tests: dict) -> str:
    words = [f"{tests.get(k, 0)} {k}" for k in ("passed", "failed", "errors") if tests.get(k)]
    return ", ".join(words) or "no test ran"


def headline(doc: dict) -> str:
    s, comparison = doc["summary"], doc["comparison"]
    counts = ", ".join(f"{s.get(o, 0)} {o}" for o in rows.OUTCOMES)
    if s.get("caps"):
        counts += " (" + ", ".join(f"{n} {k}" for k, n in s["caps"].items()) + ")"
    on = (f" on Python {doc['python']}" if doc["python"] else "") + as_of_words(doc)
    return (f"{counted(s['projects'], 'project')}, {comparison['control']} (control) against "
            f"{', '.join(comparison['changes'])}{on}: {counts}; first compatible release found for "
            f"{s['first_compatible_found']}")  # fmt: skip


def markdown(doc: dict) -> str:
    s = doc["summary"]
    lines = [f"# Survey: {doc['comparison']['control']} → {', '.join(doc['comparison']['changes'])}",
             "", headline(doc) + ".", "",
             f"Measured for {s['measured_s'] / 60:.1f} min in all; the last run took "
             f"{s['wall_s'] / 60:.1f} min." + (" **Interrupted**: run again with --resume." if doc["interrupted"] else ""),
             ""]  # fmt: skip
    if s["not_measurable_reasons"]:
        why = ", ".join(f"{n} {k}" for k, n in s["not_measurable_reasons"].items())
        lines += [f"Not measurable: {why}.", ""]
    lines += ["| project | version | test setup | cells | outcome | broken by the change | first compatible | evidence |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in doc["rows"]:
        broken = ", ".join(f"{k} ×{n}" for k, n in signature_counts(row).items())
        outcome = (
            row["outcome"]
            + (f" ({row['cap']})" if row.get("cap") else "")
            + (
                f": {code(row['reason'])}"
                if row["outcome"] in (rows.NOT_MEASURABLE, rows.DECLARES_INCOMPATIBLE)
                else ""
            )
        )
        if row.get("flaky_tests"):
            outcome += f" ({len(row['flaky_tests'])} flaky, not counted)"
        if row_as_of(row):
            outcome += f"; {code(row_as_of(row))}"
        first = row["first_compatible"] or (
            (row["first_compatible_search"] or {}).get("note") or ""
        )
        evidence = f"[report]({row['evidence']})" if row["evidence"] else ""
        lines.append(f"| {row['project']} | {row['version']} | {code((row['setup'] or {}).get('describe', ''))} "
                     f"| {code(verdicts_text(row))} | {outcome} | {broken} | {first} | {evidence} |")  # fmt: skip
    for row in doc["rows"]:
        if not row["broken_tests"]:
            continue
        lines += [
            "",
            f"## {row['project']} {row['version']}: {row['outcome']}",
            "",
            row["reason"],
            "",
        ]
        lines += ["| test | cell | signature | evidence |", "|---|---|---|---|"]
        for broken in row["broken_tests"][:SHOWN]:
            lines.append(f"| {code(broken['test'])} | {code(broken['cell'])} | {broken['signature']} "
                         f"| {code(broken['evidence'][:300])} |")  # fmt: skip
        if len(row["broken_tests"]) > SHOWN:
            lines.append(f"\n… {len(row['broken_tests']) - SHOWN} more in survey.json")
    return "\n".join(lines) + "\n"
