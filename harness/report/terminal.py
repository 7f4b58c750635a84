"""What a run prints as its result on stdout: one line per cell, and under each cell that did
not pass, its first failing tests (or its problem) with their signatures and evidence."""

from __future__ import annotations

from harness.model import PASS, CellResult
from harness.report.progress import summary_line
from harness.stages.classify import clean

SHOWN = 5  # failing tests listed per cell; the report holds them all


def result_lines(results: list) -> list:
    lines = []
    for result in results:
        lines.append(summary_line(result))
        if result.verdict != PASS:
            lines += [f"    {line}" for line in _why(result)]
    return lines


def _why(result: CellResult) -> list:
    failures = result.failures[:SHOWN]
    found = [f"{f.test} [{f.signature}]: {_one(f.evidence)}" for f in failures]
    if len(result.failures) > SHOWN:
        found.append(f"... and {len(result.failures) - SHOWN} more (see the report)")
    if result.problem and result.problem not in failures:
        found.insert(0, f"{result.problem.where or result.problem.test} "
                        f"[{result.problem.signature}]: {_one(result.problem.evidence)}")  # fmt: skip
    return found


def _one(text: str) -> str:
    return " ".join(clean(text).split())[:200]
