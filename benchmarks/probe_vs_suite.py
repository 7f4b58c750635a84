"""``harness probe`` against ``harness run`` on the same cells, side by side.

    python benchmarks/probe_vs_suite.py [-e ENVS | -m LABEL] [--workdir DIR]

On a fresh clone with a uv cache of its own it times, in this order:

* probe, cold:       empty cache, no envs (everything is downloaded);
* probe, warm cache: cache filled, envs deleted (what a CI runner with a cached uv has);
* suite, warm cache: the same, running each env's own test commands;
* probe, warm envs and suite, warm envs: envs kept, both again;
* probe, warm cache, with 3 and 4 jobs on new envs;
* importing torch and pandas in a warm env: the floor of a probe.

It prints cells per minute for each, and per cell the probe's time against the suite's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(
    command: str, selection: list, project: Path, reports: Path, env: dict, jobs: int = 2
) -> tuple:
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "harness", command, *selection, "--jobs", str(jobs), "--project", str(project),
         "--reports", str(reports), "--skip-disk-check", "--fresh"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.monotonic() - start
    report = json.loads((reports / "compat.json").read_text())
    mode = "probe" if command == "probe" else "suite"
    cells = {c["cell"]["name"]: c for c in report["cells"]}
    per_cell = {n: c["duration_s"] for n, c in cells.items() if c.get("mode", "suite") == mode}
    if mode == "probe":  # a cell with both keeps its suite result on top; read the probe's own
        per_cell = {}
        for path in (reports / "cells").glob("*@probe.json"):
            data = json.loads(path.read_text())
            per_cell[data["cell"]["name"]] = data["duration_s"]
    verdicts = {n: (c["probe"]["verdict"] if mode == "probe" and c.get("probe") else c["verdict"])
                for n, c in cells.items()}  # fmt: skip
    return wall, per_cell, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-e", dest="envs", default="")
    parser.add_argument("-m", dest="label", default="bench")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/probe-bench"))
    args = parser.parse_args()
    selection = ["-e", args.envs] if args.envs else ["-m", args.label]
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    project = args.workdir / "project"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True)
    env = {**os.environ, "UV_CACHE_DIR": str(args.workdir / "uv-cache"), "CI": "1"}
    reports = args.workdir / "reports"
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; selection {' '.join(selection)}")
    rows = {}
    for name, command, drop_envs in (
        ("probe, cold", "probe", True), ("probe, warm cache", "probe", True),
        ("suite, warm cache", "run", True), ("probe, warm envs", "probe", False),
        ("suite, warm envs", "run", False),
    ):  # fmt: skip
        if drop_envs:
            shutil.rmtree(reports / "envs", ignore_errors=True)
        wall, per_cell, verdicts = timed(command, selection, project, reports, env)
        rows[name] = per_cell
        print(f"{name:<18} {len(per_cell)} cells in {wall:6.1f} s = {60 * len(per_cell) / wall:5.1f} cells/min; "
              f"verdicts {sorted(set(verdicts.values()))}", flush=True)  # fmt: skip
    for jobs in (3, 4):  # more jobs than cores, on new envs from the warm cache
        shutil.rmtree(reports / "envs", ignore_errors=True)
        wall, per_cell, _ = timed("probe", selection, project, reports, env, jobs)
        print(
            f"probe, warm cache, {jobs} jobs: {60 * len(per_cell) / wall:5.1f} cells/min",
            flush=True,
        )
    python = next((reports / "envs").glob("*/bin/python"))
    for module in ("torch", "pandas"):  # the floor of a probe: importing the stack
        times = []
        for _ in range(3):
            start = time.monotonic()
            subprocess.run([str(python), "-c", f"import {module}"], check=True)
            times.append(time.monotonic() - start)
        print(f"import {module}: {sorted(times)[1]:.2f} s (median of 3, a warm env)")
    for cell in sorted(rows["suite, warm envs"]):
        probe, suite = rows["probe, warm envs"].get(cell), rows["suite, warm envs"][cell]
        if probe:
            print(
                f"  {cell:<22} probe {probe:5.1f} s  suite {suite:5.1f} s  ({suite / probe:4.1f}x)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
