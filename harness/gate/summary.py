"""``gate.md``: everything the gate's terminal screen says, and more of it (every broken and
already-failing test, every fix, every candidate tried and why it failed), as Markdown for a
pull request or the job summary. Text from the project (test ids, evidence, requirement
lines) goes in code spans, so no line of it is read as Markdown or as a workflow command.
"""

from __future__ import annotations

from harness.report.markdown import code

COUNTED = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")


def markdown(doc: dict) -> str:
    lines = [f"## Dependency gate: {doc['result']}", "", doc["headline"], ""]
    if doc.get("dependencies_changed", True):
        lines += _states(doc)
    if doc.get("changed_inputs"):
        inputs = ", ".join(code(path) for path in doc["changed_inputs"])
        lines += [f"Dependency inputs taken from the base: {inputs}", ""]
    if doc["changes"]:
        lines += ["### Changed versions", "", "| package | baseline | proposed |", "|---|---|---|"]
        lines += [f"| {code(c['name'])} | {c['before'] or '—'} | {c['after'] or '—'} |"
                  for c in doc["changes"]]  # fmt: skip
        lines.append("")
    if doc["changed_lines"]:
        lines += ["Changed requirement lines:", ""]
        lines += [f"- {code(line.get('file', line['path']))} line {line['number']}: "
                  f"{code(line['text'])}" for line in doc["changed_lines"]]  # fmt: skip
        lines.append("")
    if doc["regressions"]:
        lines += [f"### Broken tests ({len(doc['regressions'])})", "",
                  "| test | now | signature | evidence |", "|---|---|---|---|"]  # fmt: skip
        lines += [f"| {code(r['test'])} | {r['now']} | {code(r['signature'])} | "
                  f"{code(r['evidence'])} |" for r in doc["regressions"]]  # fmt: skip
        lines.append("")
    if doc["already_failing"]:
        count = len(doc["already_failing"])  # the code change broke them, not the dependencies
        lines += [f"### Already failing with the base's dependencies, not gating ({count})", ""]
        lines += [f"- {code(test)}" for test in doc["already_failing"]]
        lines.append("")
    lines += _fixes(doc["fixes"]) + _tried(doc.get("tried", []))
    lines.append(f"Details: {code(doc['reports']['json'])}")
    return "\n".join(lines) + "\n"


def _states(doc: dict) -> list:
    lines = ["| state | cell | verdict | tests |", "|---|---|---|---|"]
    for role in ("baseline", "proposed"):
        state = doc[role]
        tests = ", ".join(f"{state['tests'][k]} {k}" for k in COUNTED if state["tests"].get(k))
        lines.append(f"| {role}: {code(state['state'])} | {code(state['cell'])} | "
                     f"{state['verdict']} | {tests or 'none ran'} |")  # fmt: skip
    return [*lines, ""]


def _fixes(fixes: list) -> list:
    if not fixes:
        return []
    lines = ["### Fixes", "", "| requirement | write to | why | measured |", "|---|---|---|---|"]
    for fix in fixes:
        proof = (
            f"passed: {code(fix['cell'])} ({fix['report']})" if fix["verified"] else "not measured"
        )
        instead = f" instead of {code(fix['replaces'])}" if fix.get("replaces") else ""
        lines.append(f"| {code(fix['requirement'])}{instead} | {code(fix['write_to'])} | "
                     f"{code(fix['why'])} | {proof} |")  # fmt: skip
    return [*lines, ""]


def _tried(tried: list) -> list:
    if not tried:
        return []
    lines = [f"### Candidates tried with --try-fixes ({len(tried)})", "",
             "| candidate | cell | verdict | why |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {code(item['label'])} | {code(item['cell'])} | {item['verdict']} | "
              f"{code(item['reason']) or '—'} |" for item in tried]  # fmt: skip
    return [*lines, ""]
