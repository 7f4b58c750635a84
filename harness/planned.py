"""What a sharded run was planned to answer, so that a merge names what no shard answered.

``harness run --shard K/N`` computes every shard (each runner the same, from the same tox
config) and records the whole selection in ``REPORTS/plan.json``; ``harness merge`` reads it
from every shard's folder, and from ``--plan FILE`` (what ``harness plan`` printed: its
matrix or its ``--list``, for a survey's shards too), and names each planned cell or project
that no shard's results hold. What is read is checked: plain names only, bounded JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import bounded
from harness.names import is_name, plain_file
from harness.store import write_atomic

FILE = "plan.json"


def record(reports: Path, shard: tuple, names: list) -> None:
    """Write the whole selection of a sharded run beside its results."""
    doc = {"harness": "plan", "shard": f"{shard[0]}/{shard[1]}", "planned": sorted(names)}
    write_atomic(reports / FILE, json.dumps(doc, indent=2))


def recorded(folder: Path) -> list:
    """The cell names a shard's folder says its run planned; [] when it recorded none."""
    path = folder / FILE
    if not plain_file(path):
        return []
    doc = bounded.load_json(path)
    names = doc.get("planned") if isinstance(doc, dict) else None
    if not isinstance(names, list) or not all(is_name(n) for n in names):
        raise ValueError(f"{path} does not list plain cell names")
    return names


def from_plan(path: Path) -> tuple:
    """``(cells, projects)`` planned by what ``harness plan`` printed (its matrix or its list)."""
    doc = bounded.load_json(path)
    entries = doc.get("include") if isinstance(doc, dict) else doc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{path} is not what harness plan prints (a list of shards)")
    cells, projects = [], []
    for entry in entries:
        found = entry.get("cells", [])
        cells += found if isinstance(found, list) else []  # the matrix gives a count only
        found = entry.get("projects", [])
        projects += found.split() if isinstance(found, str) else found
    if not all(is_name(c) for c in cells) or not all(isinstance(p, str) for p in projects):
        raise ValueError(f"{path} names a cell or project that is not a plain name")
    return cells, projects
