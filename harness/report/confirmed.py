"""What a reader must know to trust a cell's numbers, besides its verdict: the thread cap it
ran under (``--threads-per-cell``), the tests that failed once and passed on their re-run
(flaky), what re-running its failing tests showed; and, for a failing test, what pytest
printed under it. Shared by the terminal, compat.md and compat.html."""

from __future__ import annotations

import re

from harness.model import CellResult, Failure
from harness.stages.classify import clean

FLAKY_SHOWN = 5
DETAIL_LINES = 10  # of a failure's detail, in the terminal


def notes(result: CellResult) -> list:
    """One line each: what the run left out, the thread cap, the flaky tests, the re-run's
    outcome."""
    lines = [clean(notice) for notice in result.notices]
    if result.threads:
        lines.append(f"threads capped at {result.threads} per cell (--threads-per-cell: "
                     "OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, ...)")  # fmt: skip
    if result.flaky:
        shown = ", ".join(result.flaky[:FLAKY_SHOWN])
        more = (
            f" and {len(result.flaky) - FLAKY_SHOWN} more"
            if len(result.flaky) > FLAKY_SHOWN
            else ""
        )
        lines.append(f"flaky (failed, then passed on a re-run; not counted as failing): "
                     f"{clean(shown)}{more}")  # fmt: skip
    if result.confirmation:
        lines.append(clean(result.confirmation))
    return lines


def detail_lines(failure: Failure, most: int = DETAIL_LINES) -> list:
    """What pytest printed under the failure (its failing line and ``E`` lines), at most
    ``most`` lines, the last saying how many more there are."""
    lines = beyond_evidence(failure)
    if len(lines) <= most:
        return lines
    return lines[: most - 1] + [f"[... {len(lines) - most + 1} more line(s) in the report]"]


def beyond_evidence(failure: Failure) -> list:
    """The lines of the failure's detail, less those that only repeat its evidence (which every
    report shows beside the test): an ``E`` line that says the same is said once."""
    evidence = clean(failure.evidence).strip()
    lines = clean(failure.detail).splitlines()
    kept = [line for line in lines if re.sub(r"^E\s+", "", line).strip() != evidence]
    return kept if any(line.strip() for line in kept) else []


def fenced(text: str) -> list:
    """``text`` as a Markdown code block, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *text.splitlines(), fence]
