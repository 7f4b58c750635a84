"""``harness plan`` prints the selection as CI shards: no more of them than the cells' work
warrants (``stages.shard``), each a set of whole groups; ``harness merge`` joins what they
uploaded."""

from __future__ import annotations

import json
import math
from pathlib import Path

from harness import bounded
from harness.errors import EXIT_OK, HarnessError
from harness.report import compat as reports
from harness.stages import select as matrix
from harness.stages.shard import GITHUB_MAX_JOBS, MIN_SHARD_S, group_key, shard_count, shards, work
from harness.state import SELECTION, State, add, project_folder
from harness.survey import output as survey_output
from harness.survey import shards as survey_shards
from harness.survey import wanted as listing

DESCRIPTION = "Print the selection as CI shards, as JSON: no more shards than the cells' estimated work warrants, each a set of whole groups of cells that share a torch release. harness run --shard K/N runs one; harness merge joins what they uploaded."
EXAMPLES = ("harness plan -m full", "harness plan --survey projects.txt --list")
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    planner = commands.add_parser("plan", help="print the selection as CI shards (JSON only)")
    add(planner, *SELECTION)
    planner.set_defaults(handler=command, project=None)  # a survey's plan reads no project
    planner.add_argument(
        "--list", action="store_true", help="a plain JSON list, not GitHub's matrix"
    )
    planner.add_argument("--max-jobs", type=int, default=GITHUB_MAX_JOBS, metavar="N",
                         help=f"at most N shards (default and most: {GITHUB_MAX_JOBS})")  # fmt: skip
    planner.add_argument("--min-work", type=float, default=MIN_SHARD_S, metavar="S",
                         help=f"at least S seconds of estimated work per shard (default "
                         f"{MIN_SHARD_S:.0f}; 0: a shard per group)")  # fmt: skip
    planner.add_argument("--durations", action="append", default=[], type=Path, metavar="REPORT",
                         help="a compat.json or survey.json (or a reports folder holding one) "
                         "whose recorded durations replace the default estimate for cells or "
                         "projects of the same name")  # fmt: skip
    planner.add_argument("--survey", type=Path, default=None, metavar="FILE",
                         help="shard a survey instead: its projects, one PROJECT[==VERSION] a "
                         "line (as survey --from-file); each shard lists its projects")  # fmt: skip


def command(state: State) -> int:
    args = state.args
    if not 1 <= args.max_jobs <= GITHUB_MAX_JOBS:
        raise HarnessError(f"--max-jobs must be between 1 and {GITHUB_MAX_JOBS}")
    if not math.isfinite(args.min_work) or args.min_work < 0:
        raise HarnessError(f"--min-work must be 0 or more seconds, not {args.min_work}")
    if args.survey is not None:
        return _survey(args)
    durations = recorded(args.durations)
    project = state.project or project_folder(Path("."))
    cells = matrix.select(project, state.envs, state.labels, state.adhoc)
    count = shard_count(cells, args.max_jobs, durations, args.min_work)
    listed = [
        {"shard": f"{number}/{count}", "groups": sorted({group_key(c) for c in members}),
         "cells": [c.name for c in members], "estimated_s": round(work(members, durations))}
        for number, members in enumerate(shards(cells, count), 1)
    ]  # fmt: skip
    return _printed(listed, args.list, lambda s: {"shard": s["shard"],
                    "groups": ", ".join(s["groups"]), "cells": len(s["cells"])})  # fmt: skip


def _survey(args) -> int:
    """The survey's projects as shards; each shard's ``projects`` are survey's arguments."""
    if not args.survey.is_file():
        raise HarnessError(f"--survey {args.survey}: no such file")
    wanted = [
        str(w)
        for w in dict.fromkeys(map(listing.wanted_of, listing.read_list(args.survey, "--survey")))
    ]
    if not wanted:
        raise HarnessError(f"--survey {args.survey} lists no project")
    durations = {}
    for path in args.durations:
        path = path / "survey.json" if path.is_dir() else path
        try:
            durations.update(survey_shards.recorded(survey_output.check(bounded.load_json(path))))
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--durations {path}: {exc}") from exc
    units = survey_shards.units(wanted)  # fine and fine==1.0: one unit, never split or twice
    count = survey_shards.count(units, args.max_jobs, durations, args.min_work)
    listed = [
        {"shard": f"{number}/{count}", "projects": [p for unit in members for p in unit],
         "releases": sum(map(survey_shards.releases, members)),
         "estimated_s": round(sum(survey_shards.work(u, durations) for u in members))}
        for number, members in enumerate(survey_shards.split(units, count, durations), 1)
    ]  # fmt: skip
    return _printed(listed, args.list, lambda s: {"shard": s["shard"],
                    "projects": " ".join(s["projects"]), "count": s["releases"]})  # fmt: skip


def _printed(listed: list, plain: bool, entry) -> int:
    """The shards as a plain JSON list, or as GitHub's matrix (one ``entry(shard)`` each)."""
    print(
        json.dumps(listed, indent=2) if plain else json.dumps({"include": list(map(entry, listed))})
    )
    return EXIT_OK


def recorded(paths: list) -> dict:
    """``{cell name: seconds}`` from the given reports; a cell in several keeps its longest."""
    found = {}
    for path in paths:
        path = path / "compat.json" if path.is_dir() else path
        try:
            results = reports.results_of(reports.load(path))
        except (OSError, ValueError) as exc:
            raise HarnessError(f"--durations {path}: {exc}") from exc
        for result in results:
            if result.duration_s > 0:
                name = result.cell.name
                found[name] = max(found.get(name, 0.0), result.duration_s)
    return found
