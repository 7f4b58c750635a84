"""Shards over CI runners: ``harness plan`` prints them, ``harness run --shard K/N`` runs one,
``harness merge`` joins what the runners uploaded.

A shard is a set of whole groups (cells sharing a torch release stay on one runner, which
fetches that release once). The groups come from the cells' own pins, not from their locks,
so that every runner computes the same shards from the same tox.ini without locking first.

How many shards: no more than the work warrants. A runner costs about a minute before it
measures anything (start, check out, install the tool), so a shard gets at least
``MIN_SHARD_S`` seconds of estimated work: ``N = total work // MIN_SHARD_S``, at least 1, at
most one per group and at most the job limit. A cell's work is its recorded ``duration_s``
(building its env and running its commands) when a report given to ``harness plan
--durations`` holds a cell of that name, else ``DEFAULT_CELL_S``. Only the count depends on
durations: which cells go to which of the N shards depends on the pins alone, as above.
"""

from __future__ import annotations

import re

from harness.errors import HarnessError

GITHUB_MAX_JOBS = 256
MIN_SHARD_S = 600.0  # the least estimated work worth a runner of its own
DEFAULT_CELL_S = 120.0  # a cell never measured: fetch its wheels, build its env, run its tests
HEAVY = ("torch",)  # the wheels worth grouping by: GBs each, with their CUDA libraries


def parse(text: str):
    """``"2/8"`` -> ``(2, 8)``; None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise HarnessError(f"--shard {text!r} must be K/N with 1 <= K <= N, e.g. 2/8")
    return int(match.group(1)), int(match.group(2))


def heavy_pins(cell) -> str:
    """``torch 2.1.2``: the heavy wheels a cell pins exactly; "" when it pins none."""
    return ", ".join(
        f"{n} {cell.pins[n][2:]}" for n in HEAVY if cell.pins.get(n, "").startswith("==")
    )


def group_key(cell) -> str:
    """What a runner would fetch for the cell: its torch release; a light cell is its own group."""
    return heavy_pins(cell) or cell.name


def shards(cells: list, count: int) -> list:
    """``count`` lists of cells: whole groups, the biggest first onto the emptiest shard."""
    groups = {}
    for cell in cells:
        groups.setdefault(group_key(cell), []).append(cell)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    found = [[] for _ in range(count)]
    for _, members in ordered:
        min(found, key=len).extend(members)
    return [sorted(shard, key=lambda c: c.name) for shard in found]


def work(cells: list, durations: dict = None) -> float:
    """The cells' estimated seconds: each one's recorded duration, else ``DEFAULT_CELL_S``."""
    durations = durations or {}
    return sum(durations.get(c.name, DEFAULT_CELL_S) for c in cells)


def shard_count(cells: list, limit: int = GITHUB_MAX_JOBS, durations: dict = None,
                min_work: float = MIN_SHARD_S) -> int:  # fmt: skip
    """How many shards the cells warrant: at least ``min_work`` seconds of estimated work in
    each (0: no minimum), at most one per group and ``limit`` in all, and never fewer than 1."""
    groups = len({group_key(c) for c in cells})
    warranted = int(work(cells, durations) // min_work) if min_work > 0 else groups
    return max(1, min(limit, groups, warranted))


def select(cells: list, shard) -> list:
    if shard is None:
        return cells
    number, count = shard
    return shards(cells, count)[number - 1]
