"""The harness (tox + tox-uv, hardlinked envs) against stock tox (virtualenv + pip) on one matrix.

    python benchmarks/matrix_vs_stock_tox.py [--label bench] [--workdir /tmp/matrix-bench]

Both run on a fresh copy of this repository with their own empty package caches, in turn,
on the same machine, in three states:

* cold        empty package cache, no envs: everything is downloaded and installed;
* warm-cache  cache filled, envs deleted: new cells whose wheels were seen before;
* warm-env    envs kept: the same cells run again.

For each it prints wall time per cell and in total, and the disk the envs and the cache
take together (hardlinks counted once). It also times bare pytest in each env, so the
harness's overhead per cell is measured rather than guessed. Needs ~25 GB free.
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
SUITE = ["tests/inference", "-p", "no:cacheprovider", "-q", "--cov=inference"]


def disk_kib(*paths: Path) -> int:
    existing = [str(p) for p in paths if p.exists()]
    if not existing:
        return 0
    out = subprocess.run(["du", "-skc", *existing], capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1].split()[0])


def cells_of(project: Path, label: str) -> list:
    out = subprocess.run(
        [sys.executable, "-m", "tox", "config", "-m", label, "-k", "deps", "--format", "json"],
        cwd=project, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return list(json.loads(out)["env"])


def run_harness(project: Path, label: str, env: dict, jobs: int) -> dict:
    reports = project / "reports"
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "harness", "run", "-m", label, "--jobs", str(jobs), "--skip-disk-check",
         "--reports", str(reports)],
        cwd=project, env=env, check=False, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    total = time.monotonic() - start
    report = json.loads((reports / "compat.json").read_text())
    per_cell = {c["cell"]["name"]: c["duration_s"] for c in report["cells"]}
    setup = {c["cell"]["name"]: c["install_s"] for c in report["cells"]}
    verdicts = {c["cell"]["name"]: c["verdict"] for c in report["cells"]}
    return {"total": total, "cells": per_cell, "setup": setup, "verdicts": verdicts}


def run_stock(project: Path, cells: list, workdir: Path, env: dict) -> dict:
    journal = workdir / "result.json"
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "tox", "run", "-e", ",".join(cells), "--workdir", str(workdir),
         "-x", "testenv.runner=virtualenv", "--result-json", str(journal)],
        cwd=project, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    total = time.monotonic() - start
    data = json.loads(journal.read_text())["testenvs"]
    setup = {name: sum(step["elapsed"] for step in data[name].get("setup", [])) for name in cells}
    return {
        "total": total,
        "cells": {name: data[name]["result"]["duration"] for name in cells},
        "setup": setup,
    }


def bare_install(project: Path, cell: str, target: Path, env: dict) -> float:
    """A hand-made env from the same lock and the same warm uv cache: uv venv + uv pip install."""
    uv = [sys.executable, "-m", "uv"]
    lock = project / "constraints" / f"{cell}.txt"
    start = time.monotonic()
    subprocess.run([*uv, "venv", "-q", str(target), "-p", sys.executable], env=env, check=True)
    subprocess.run([*uv, "pip", "install", "-q", "--python", str(target / "bin" / "python"), "-r", str(lock)],
                   env=env, check=True)  # fmt: skip
    return time.monotonic() - start


def bare_pytest(project: Path, env_dir: Path, env: dict) -> float:
    start = time.monotonic()
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pytest", *SUITE], cwd=project, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="bench")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/matrix-bench"))
    parser.add_argument(
        "--jobs", type=int, default=1, help="harness cells at once (stock tox runs one)"
    )
    args = parser.parse_args()
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    project = work / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".tox", ".venv", "reports", ".git", "__pycache__"),
    )
    cells = cells_of(project, args.label)
    uv_cache, pip_cache, stock_dir = work / "uv-cache", work / "pip-cache", work / "stock-tox"
    env = dict(os.environ, UV_CACHE_DIR=str(uv_cache), PIP_CACHE_DIR=str(pip_cache), CI="1")
    env.pop("PYTEST_ADDOPTS", None)
    rows = []
    for state in ("cold", "warm-cache", "warm-env"):
        if state == "warm-cache":
            shutil.rmtree(project / "reports" / "envs", ignore_errors=True)
            shutil.rmtree(stock_dir, ignore_errors=True)
        harness = run_harness(project, args.label, env, args.jobs)
        harness_disk = disk_kib(project / "reports" / "envs", uv_cache)
        stock = run_stock(project, cells, stock_dir, env)
        stock_disk = disk_kib(stock_dir, pip_cache)
        rows.append((state, harness, harness_disk, stock, stock_disk))
        print(
            f"{state}: harness {harness['total']:.0f}s, stock tox {stock['total']:.0f}s", flush=True
        )
    bare = {cell: bare_pytest(project, project / "reports" / "envs" / cell, env) for cell in cells}
    installs = {cell: bare_install(project, cell, work / "bare" / cell, env) for cell in cells}
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    print(f"cells ({args.label}): {', '.join(cells)}; harness --jobs {args.jobs}\n")
    print(
        "| state | total: harness / stock | per cell | env setup per cell | disk (envs + cache) |"
    )
    print("|---|---|---|---|---|")
    for state, harness, h_disk, stock, s_disk in rows:
        h_cell, s_cell = (sum(run["cells"].values()) / len(cells) for run in (harness, stock))
        h_setup, s_setup = (sum(run["setup"].values()) / len(cells) for run in (harness, stock))
        print(
            f"| {state} | {harness['total']:.1f}s / {stock['total']:.1f}s ({stock['total'] / harness['total']:.1f}x) "
            f"| {h_cell:.1f}s / {s_cell:.1f}s ({s_cell / h_cell:.1f}x) "
            f"| {h_setup:.2f}s / {s_setup:.2f}s ({s_setup / max(h_setup, 0.01):.0f}x) "
            f"| {h_disk / 2**20:.1f} / {s_disk / 2**20:.1f} GiB |"
        )
    warm_env, warm_cache = rows[2][1], rows[1][1]
    print(
        "\n| cell | verdict | bare pytest | harness cell (warm-env) | overhead | bare uv install | harness env setup (warm-cache) |"
    )
    print("|---|---|---|---|---|---|---|")
    for cell in cells:
        spent = warm_env["cells"][cell]
        print(
            f"| {cell} | {warm_env['verdicts'][cell]} | {bare[cell]:.1f}s | {spent:.1f}s | {spent - bare[cell]:+.1f}s "
            f"| {installs[cell]:.1f}s | {warm_cache['setup'][cell]:.1f}s |"
        )


if __name__ == "__main__":
    main()
