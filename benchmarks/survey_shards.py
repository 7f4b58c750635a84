"""A survey run whole in shards, as the survey workflow runs it: its wall time, projects per
hour, and the survey's own cost against the projects' test time.

    python benchmarks/survey_shards.py OUT [--list FILE] [--at-once K] [--min-work S]
                                       [--durations SURVEY] [--timeout S]

The steps are the workflow's (``.github/workflows/harness-survey.yml``): ``harness plan --survey
LIST --list`` cuts the list into shards; each shard is one ``harness survey PROJECTS --with
numpy==1.26.4 --with numpy==2.2.6 --python 3.11`` process with caches of its own (a new
``XDG_CACHE_HOME``: uv's cache, the sdists and the envs start empty, as on a fresh runner, and
are deleted when the shard ends); ``harness merge --plan`` joins the shards' folders into
``OUT/merged``. K shards run at once (default: one per CPU), as K runners would.

The test time is what tox recorded for each env command of every run of every cell (the
``test`` entries of each ``tox-result.json``: pytest's own wall time, in the same envs, repeats
and re-measurements included). The rest of a project's wall time is the survey's own cost:
fetching and unpacking the sdist, finding its setup, locking, building the envs and the
package, tox's and the harness's start. Prints the per-shard table, the totals and the ratio,
and writes ``OUT/figures.json``.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness"]
CELLS = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6", "--python", "3.11"]


def plan(args: argparse.Namespace) -> list:
    command = [*HARNESS, "plan", "--survey", str(args.list), "--list", "--min-work",
               str(args.min_work)]  # fmt: skip
    command += ["--durations", str(args.durations)] if args.durations else []
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def shard(entry: dict, out: Path, timeout: str) -> dict:
    number = entry["shard"].split("/")[0]
    folder, cache = out / f"shard-{number}", out / f"cache-{number}"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    env.pop("UV_CACHE_DIR", None)
    projects = entry["projects"]
    projects = projects.split() if isinstance(projects, str) else projects
    command = [*HARNESS, "survey", *projects, *CELLS, "--timeout", timeout,
               "--parallel", "1", "--reports", str(folder)]  # fmt: skip
    start = time.monotonic()
    with open(out / f"shard-{number}.log", "w") as log:
        done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file() and not f.is_symlink())
    shutil.rmtree(cache, ignore_errors=True)
    print(f"shard {entry['shard']}: exit {done.returncode}, {wall / 60:.1f} min, "
          f"{len(projects)} project(s), cache {size / 2**30:.1f} GiB", flush=True)  # fmt: skip
    return {"shard": entry["shard"], "projects": entry["projects"], "count": len(projects),
            "exit": done.returncode, "wall_s": round(wall, 1), "cache_gib": round(size / 2**30, 2)}  # fmt: skip


def test_seconds(project: Path) -> float:
    """pytest's own time in every run of every cell of one project (tox's ``test`` entries)."""
    total = 0.0
    for result in project.glob("reports*/runs/*/*/tox-result.json"):
        for name, env in json.loads(result.read_text()).get("testenvs", {}).items():
            if name != ".pkg":
                total += sum(entry.get("elapsed", 0.0) for entry in env.get("test", []))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--list", type=Path, default=ROOT / "benchmarks" / "numpy2-projects.txt")
    parser.add_argument("--at-once", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-work", default="600")
    parser.add_argument("--durations", type=Path, default=None)
    parser.add_argument("--timeout", default="1200")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=False)
    start = time.monotonic()
    shards = plan(args)
    (args.out / "plan.json").write_text(json.dumps(shards))
    print(f"{len(shards)} shards, {args.at_once} at once", flush=True)
    with ThreadPoolExecutor(args.at_once) as pool:
        done = list(pool.map(lambda entry: shard(entry, args.out, args.timeout), shards))
    folders = [str(args.out / f"shard-{d['shard'].split('/')[0]}") for d in done]
    merged = subprocess.run([*HARNESS, "merge", "--plan", str(args.out / "plan.json"),
                             "--reports", str(args.out / "merged"), *folders])  # fmt: skip
    wall = time.monotonic() - start
    rows = json.loads((args.out / "merged" / "survey.json").read_text())["rows"]
    tests = {f"{r['project']}=={r['version']}": test_seconds(
        Path(f) / "projects" / f"{r['project']}-{r['version']}".replace("!", "_"))
        for r in rows for f in folders
        if (Path(f) / "projects" / f"{r['project']}-{r['version']}".replace("!", "_")).is_dir()}  # fmt: skip
    row_s = sum(r["duration_s"] for r in rows)
    test_s = sum(tests.values())
    figures = {
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
        "shards": done, "at_once": args.at_once, "merge_exit": merged.returncode,
        "projects": len(rows), "wall_s": round(wall, 1),
        "projects_per_hour": round(len(rows) / (wall / 3600), 1),
        "shard_wall_s_sum": round(sum(d["wall_s"] for d in done), 1),
        "rows_s": round(row_s, 1), "tests_s": round(test_s, 1),
        "own_cost_s": round(row_s - test_s, 1),
        "own_cost_per_test_s": round((row_s - test_s) / test_s, 2) if test_s else None,
        "per_project": {k: round(v, 1) for k, v in tests.items()},
    }  # fmt: skip
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps({k: v for k, v in figures.items() if k not in ("shards", "per_project")},
                     indent=1))  # fmt: skip
    return merged.returncode


if __name__ == "__main__":
    sys.exit(main())
