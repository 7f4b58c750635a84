"""``harness plan`` prints the selection as CI shards; ``harness merge`` joins what they uploaded."""

from __future__ import annotations

import json

from harness.errors import EXIT_OK, HarnessError
from harness.stages import select as matrix
from harness.stages.shard import GITHUB_MAX_JOBS, group_key, shard_count, shards
from harness.state import SELECTION, State, add


def add_parser(commands) -> None:
    planner = commands.add_parser("plan", help="print the selection as CI shards (JSON only)")
    add(planner, *SELECTION)
    planner.set_defaults(handler=command)
    planner.add_argument(
        "--list", action="store_true", help="a plain JSON list, not GitHub's matrix"
    )
    planner.add_argument("--max-jobs", type=int, default=GITHUB_MAX_JOBS, metavar="N",
                         help=f"at most N shards (default and most: {GITHUB_MAX_JOBS})")  # fmt: skip


def command(state: State) -> int:
    if not 1 <= state.args.max_jobs <= GITHUB_MAX_JOBS:
        raise HarnessError(f"--max-jobs must be between 1 and {GITHUB_MAX_JOBS}")
    cells = matrix.select(state.project, state.envs, state.labels, state.adhoc)
    count = shard_count(cells, state.args.max_jobs)
    listed = [
        {"shard": f"{number}/{count}", "groups": sorted({group_key(c) for c in members}),
         "cells": [c.name for c in members]}
        for number, members in enumerate(shards(cells, count), 1)
    ]  # fmt: skip
    if state.args.list:
        print(json.dumps(listed, indent=2))
    else:
        print(json.dumps({"include": [{"shard": s["shard"], "groups": ", ".join(s["groups"]),
                                       "cells": len(s["cells"])} for s in listed]}))  # fmt: skip
    return EXIT_OK
