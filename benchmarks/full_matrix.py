"""The full matrix in one command, under disk budgets, from a cold cache.

    python benchmarks/full_matrix.py [--label full] [--budget 14G --budget 50G] [--workdir DIR]

For each budget, on a fresh clone of this repository with an empty uv cache of its own
(``UV_CACHE_DIR`` under the workdir), it runs ``harness run -m LABEL --disk-budget B`` and
prints the wall time, the verdicts, the evictions, each group's use against its prediction
(the lowest and highest ratio), and the peak footprint (uv's cache plus the envs) twice: as
the harness's own meter saw it, and as this script sampled it every second from the outside (the growth of the filesystem's used space since the start). The two runs
happen one after the other on the same machine, so their times can be set side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.stages.budget import parse_size  # noqa: E402

GB = 1024**3


class Sampler:
    def __init__(self, path: Path) -> None:
        self.path, self.start = path, shutil.disk_usage(path).used
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.peak = max(self.peak, shutil.disk_usage(self.path).used - self.start)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def one(label: str, budget: str, workdir: Path) -> dict:
    home = workdir / f"budget-{budget}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    project = home / "project"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True)
    env = {**os.environ, "UV_CACHE_DIR": str(home / "uv-cache"), "CI": "1"}
    sampler = Sampler(home)
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "-m", label, "--disk-budget", budget, "--jobs", "2",
         "--reports", str(home / "reports"), "--project", str(project)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.monotonic() - start
    outside = sampler.stop()
    (home / "stdout.txt").write_text(done.stdout + done.stderr)
    report = json.loads((home / "reports" / "compat.json").read_text())
    disk = report.get("disk", {})
    groups = disk.get("groups", [])
    evictions = sum(1 for g in groups if g.get("evicted"))
    used_over_predicted = [
        (g["peak"] - g["start"]) / g["predicted"] for g in groups if g["predicted"]
    ]
    result = {
        "budget": budget, "exit": done.returncode, "wall_min": round(wall / 60, 1),
        "cells": len(report["cells"]), "summary": report["summary"],
        "peak_meter_gb": round(disk.get("peak", 0) / GB, 2), "peak_outside_gb": round(outside / GB, 2),
        "groups": len(groups), "groups_with_evictions": evictions,
        "used_over_predicted": [round(min(used_over_predicted, default=0), 2),
                                round(max(used_over_predicted, default=0), 2)],
        "groups_above_prediction": sum(1 for r in used_over_predicted if r > 1),
        "within_budget": outside <= parse_size(budget),
    }  # fmt: skip
    shutil.rmtree(home / "uv-cache", ignore_errors=True)
    shutil.rmtree(home / "reports" / "envs", ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="full")
    parser.add_argument("--budget", action="append", default=[])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/full-matrix-bench"))
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for budget in args.budget or ["14G"]:
        print(json.dumps(one(args.label, budget, args.workdir)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
