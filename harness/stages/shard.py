"""Shards over CI runners: ``harness plan`` prints them, ``harness run --shard K/N`` runs one,
``harness merge`` joins what the runners uploaded.

A shard is a set of whole groups (cells sharing a torch release stay on one runner, which
fetches that release once). The groups come from the cells' own pins, not from their locks,
so that every runner computes the same shards from the same tox.ini without locking first.
"""

from __future__ import annotations

import re

from harness.errors import HarnessError

GITHUB_MAX_JOBS = 256
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


def shard_count(cells: list, limit: int = GITHUB_MAX_JOBS) -> int:
    return max(1, min(limit, len({group_key(c) for c in cells})))


def select(cells: list, shard) -> list:
    if shard is None:
        return cells
    number, count = shard
    return shards(cells, count)[number - 1]
