"""What ``harness gate`` says: one screen on the terminal, ``gate.json`` (harness.gate/1) and
``gate.md`` (``gate.summary``) in the gate's own folder (``REPORTS/gate``), and in GitHub
Actions ``::error`` annotations on the requirement lines that changed (their paths from the
repository's root: ``actions.repository_path``) plus Markdown in the step summary.

Test ids, evidence and requirement lines come from the change under review, and the Actions
runner reads workflow commands from every line of stdout and stderr (``::name ...::`` at a
line's start, ``##[name]`` anywhere in it). So the annotations go to stderr, escaped by
``escaped``; the terminal screen shows each line through ``inert``; ``--json`` prints one
JSON document that holds no ``##[``; the Markdown puts such text in code spans.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from harness import bounded
from harness.errors import HarnessError
from harness.gate.summary import markdown as markdown  # gate.md
from harness.model import CellResult
from harness.report import compat as reports
from harness.report import where
from harness.report.actions import escaped as escaped  # re-exported: gate output escapes
from harness.report.actions import inert, repository_path, workflow_command
from harness.stages import sources
from harness.store import write_atomic

SCHEMA = "harness.gate/1"
SHOWN = 8  # broken tests listed on the terminal; the rest are in gate.json


def baseline_from_report(path: Path, env: str) -> CellResult:
    """The state a stored gate measured as its working tree: the ``proposed`` cell of a
    ``gate.json``, read from the ``compat.json`` beside it (the gate's folder ``REPORTS/gate``
    holding both, the reports folder holding that, or either file)."""
    folder = path if path.is_dir() else path.parent
    if not (folder / "gate.json").exists() and (folder / "gate" / "gate.json").exists():
        folder = folder / "gate"  # the reports folder the gate's own folder lies in
    try:
        name = bounded.load_json(folder / "gate.json")["proposed"]["cell"]
        results = reports.results_of(reports.load(folder / "compat.json"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HarnessError(
            f"--baseline-report {path}: needs gate.json and compat.json ({exc})"
        ) from exc
    found = [r for r in results if r.cell.name == name]
    if not found or not name.startswith(f"{env}-gate_"):
        raise HarnessError(f"--baseline-report {path} holds no gate cell {name!r} of env {env!r}")
    return found[0]


def document(judgement, baseline, proposed, folder: Path) -> dict:
    read = {
        line.path for side in (baseline, proposed) if side.sources for line in side.sources.lines
    }
    changed = sources.edits(baseline.root, proposed.root, tuple(read)) if baseline.root else []
    outcome = {0: "pass", 1: "regression", 3: "unmeasured"}[judgement.exit_code]
    files = where.dependency_files(proposed.root) if proposed.root else {}
    return {
        "schema": SCHEMA,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "result": outcome,
        "exit_code": judgement.exit_code,
        "headline": judgement.headline,
        "baseline": _state(baseline),
        "proposed": _state(proposed),
        "changes": [asdict(c) for c in judgement.changes],
        "changed_lines": [
            dict(asdict(line), file=repository_path(proposed.root, line.path)) for line in changed
        ],  # fmt: skip
        "regressions": [asdict(r) for r in judgement.regressions],
        "already_failing": judgement.already_failing,
        "dependencies_changed": judgement.inputs != [],
        "changed_inputs": judgement.inputs or [],
        "fixes": [
            dict(asdict(f), verified=f.verified, write_to=_place(f, files)) for f in judgement.fixes
        ],  # fmt: skip
        "tried": list(getattr(judgement, "tried", [])),
        "reports": {
            "json": str(folder / "gate.json"),
            "markdown": str(folder / "gate.md"),
            "compat": str(folder / "compat.md"),
        },  # fmt: skip
    }


def _place(fix, files: dict) -> str:
    """The file (and table) the fix's requirement belongs in: a lift's, where the bound is."""
    if fix.place:
        return fix.place
    return where.where_to_write(files, sources.requirement_name(fix.requirement) or "")


def _state(state) -> dict:
    result = state.result
    if result is None:  # the dependencies did not change: no cell ran
        return {"state": state.label, "cell": "", "verdict": "not run", "tests": {},
                "versions": {}, "requirements": []}  # fmt: skip
    return {
        "state": state.label,
        "cell": result.cell.name,
        "verdict": result.verdict,
        "tests": dict(asdict(result.tests), total=result.tests.total),
        "versions": result.versions,
        "requirements": state.sources.requirements() if state.sources else [],
    }


def terminal(doc: dict) -> str:
    lines = [f"harness gate: {doc['result'].upper()}: {doc['headline']}"]
    if doc.get("dependencies_changed", True):
        lines.append(f"  baseline {doc['baseline']['state']}: {doc['baseline']['verdict']}, "
                     f"proposed {doc['proposed']['state']}: {doc['proposed']['verdict']}")  # fmt: skip
    moved = [f"{c['name']} {c['before'] or '-'} → {c['after'] or '-'}" for c in doc["changes"]]
    if moved:
        lines.append(
            "  changed: "
            + ", ".join(moved[:6])
            + (f" (+{len(moved) - 6})" if len(moved) > 6 else "")
        )
    if doc["regressions"]:
        lines.append(f"  broken ({len(doc['regressions'])}):")
        for broken in doc["regressions"][:SHOWN]:
            lines.append(
                f"    {broken['test']}  {broken['now']}  {broken['signature']}: {broken['evidence'][:120]}"
            )
        if len(doc["regressions"]) > SHOWN:
            lines.append(
                f"    … {len(doc['regressions']) - SHOWN} more in {doc['reports']['json']}"
            )
    if doc["already_failing"]:  # the code change broke them, not the dependencies
        failing = doc["already_failing"]
        lines.append(f"  already failing with the base's dependencies (not gating): {len(failing)}")
        lines += [f"    {test}" for test in failing[:SHOWN]]
    verified = [f for f in doc["fixes"] if f["verified"]]
    if verified:
        lines.append("  fixes measured to pass:")
        for fix in verified[:5]:
            instead = f" instead of {fix['replaces']}" if fix.get("replaces") else ""
            lines.append(f"    {fix['requirement']}  in {fix['write_to']}{instead}  ({fix['why']}; "
                         f"cell {fix['cell']}, {fix['report']})")  # fmt: skip
    unverified = [f["requirement"] for f in doc["fixes"] if not f["verified"]]
    if unverified:
        lines.append(
            "  no measured cell passed with (--try-fixes N measures more): "
            + ", ".join(unverified[:5])
        )
    if doc.get("tried"):
        lines.append(f"  tried ({len(doc['tried'])}):")
        for item in doc["tried"][:SHOWN]:
            why = f": {item['reason'][:200]}" if item["reason"] else ""
            lines.append(f"    {item['label']}  {item['verdict']}{why}")
    lines.append(f"  details: {doc['reports']['json']} and gate.md beside it")
    return "\n".join(map(inert, lines))


def json_text(doc: dict) -> str:
    """``doc`` as JSON whose lines the runner leaves alone: ``[`` after ``##`` (only ever in
    a string) is written ``\\u005b``, the same string to any JSON reader."""
    return json.dumps(doc, indent=2).replace("##[", "##\\u005b")


def annotations(doc: dict) -> list:
    """``::error`` lines for GitHub Actions, one per changed requirement line (for stderr)."""
    if doc["result"] != "regression":
        return []
    fix = next((f["requirement"] for f in doc["fixes"] if f["verified"]), None)
    first = doc["regressions"][0] if doc["regressions"] else {}
    message = doc["headline"]
    if first:
        message += f"; e.g. {first['test']}: {first['signature']}: {first['evidence']}"
    message = message[:500].rstrip(". ") + (f". Measured fix: {fix}" if fix else "")
    return [
        workflow_command("error", message, file=line.get("file", line["path"]), line=line["number"])
        for line in doc["changed_lines"]
    ]


def save(judgement, baseline, proposed, folder: Path) -> dict:
    """Write gate.json and gate.md into the reports folder (while the gate holds it)."""
    doc = document(judgement, baseline, proposed, folder)
    write_atomic(folder / "gate.json", json.dumps(doc, indent=2))
    write_atomic(folder / "gate.md", markdown(doc))
    return doc


def emit(doc: dict, exit_code: int, as_json: bool) -> int:
    """Say what the gate found: annotations and the job summary in CI, then the result."""
    if os.environ.get("GITHUB_ACTIONS"):  # stderr, also with --json: stdout is the result
        for line in annotations(doc):
            print(line, file=sys.stderr, flush=True)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(markdown(doc))
    print(json_text(doc) if as_json else terminal(doc))
    return exit_code
