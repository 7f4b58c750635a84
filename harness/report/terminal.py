"""What a run prints as its result on stdout: one line per cell (with how it compares with the
project's declaration of it), and under each cell that did not pass, its first failing tests
(or its problem) with their signatures and evidence. In GitHub Actions each cell's lines are
a group of the job's log, and each failing cell gets an annotation on its env's line of the
tox config (``actions``)."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.model import PASS, CellResult
from harness.report import actions, confirmed
from harness.report.compat import replaced_text
from harness.report.progress import summary_line
from harness.stages import expectations
from harness.stages.classify import clean, clip

SHOWN = 5  # failing tests listed per cell; the report holds them all


def result_lines(results: list, declared: expectations.Declarations = expectations.NONE) -> list:
    """The result's lines; a declared (or newly failing) cell's ends with ``(expected: SIG)``,
    ``(now passes: ...)``, ``(signature changed: ...)`` or ``(new failure: not declared)``."""
    lines = []
    for result in results:
        note = expectations.compare(result, declared).note
        lines.append(summary_line(result) + (f" ({note})" if note else ""))
        if replaced_text(result.cell):
            lines.append(f"    {replaced_text(result.cell)}")
        lines += [f"    {line}" for line in confirmed.notes(result)]
        if result.verdict != PASS:
            lines += [f"    {line}" for line in _why(result)]
    return lines


def show(
    results: list, project: Path, declared: expectations.Declarations = expectations.NONE
) -> None:
    """Print the result on stdout, no line of it a workflow command; in GitHub Actions, one
    ``::group::`` per cell, then an annotation per failing cell on stderr (as the gate's)."""
    if not actions.active():
        print("\n".join(map(actions.inert, result_lines(results, declared))), flush=True)
        return
    lines = []
    for result in results:
        title = f"{result.cell.name}: {result.verdict}"
        lines += actions.group(title, result_lines([result], declared))
    print("\n".join(lines), flush=True)
    for line in actions.annotations(project, results, declared):
        print(line, file=sys.stderr, flush=True)


def _why(result: CellResult) -> list:
    failures = result.failures[:SHOWN]
    found = [line for f in failures for line in
             [f"{f.test} [{f.signature}]: {_one(f.evidence)}",
              *(f"  | {line}" for line in confirmed.detail_lines(f))]]  # fmt: skip
    if len(result.failures) > SHOWN:
        found.append(f"... and {len(result.failures) - SHOWN} more (see the report)")
    if result.problem and result.problem not in failures:
        found.insert(0, f"{result.problem.where or result.problem.test} "
                        f"[{result.problem.signature}]: {_one(result.problem.evidence)}")  # fmt: skip
    return found


def _one(text: str) -> str:
    return clip(clean(text), 200)
