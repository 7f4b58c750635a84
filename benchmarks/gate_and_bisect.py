"""The seed's incident through ``harness gate``, and ``harness bisect`` over torch releases.

    python benchmarks/gate_and_bisect.py [--workdir DIR]

On a fresh clone whose requirements.txt says ``numpy>=2`` instead of ``numpy<2.0``, with a
uv cache of its own, it times:

* gate, cold:        empty cache, no envs;
* gate, warm cache:  cache filled, envs and stored results deleted;
* gate, warm:        both cells stored: reused;
* gate --try-fixes 4: the candidate cells measured as well;
* bisect torch ">=2.0,<2.6" --with numpy==2.2.6 (probe steps), with the time of each step.

It prints each gate's exit code and the fixes it measured, and the bisect's steps against
the bound ceil(log2 n) + 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def harness(*args, env: dict) -> tuple:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    return done, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/gate-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    project, reports = args.workdir / "project", args.workdir / "reports"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True)
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("numpy<2.0", "numpy>=2"))
    env = {**os.environ, "UV_CACHE_DIR": str(args.workdir / "uv-cache"), "CI": "1"}
    gate = ["gate", "--project", str(project), "--reports", str(reports)]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for name in ("cold", "warm cache", "warm", "--try-fixes 4"):
        if name == "warm cache":
            shutil.rmtree(reports, ignore_errors=True)
        extra = ["--try-fixes", "4"] if name.startswith("--try") else []
        done, seconds = harness(*gate, *extra, env=env)
        doc = json.loads((reports / "gate" / "gate.json").read_text())
        fixes = [f["requirement"] for f in doc["fixes"] if f["verified"]]
        print(f"gate, {name:<14} exit {done.returncode}  {seconds:6.1f} s  {len(doc['regressions'])} "
              f"broken  measured fixes: {', '.join(fixes)}", flush=True)  # fmt: skip
    done, seconds = harness("bisect", "torch", ">=2.0,<2.6", "--with", "numpy==2.2.6", "--project",
                            str(project), "--reports", str(args.workdir / "bisect"), env=env)  # fmt: skip
    steps = re.findall(r"^  torch (\S+)\s+(\S+).*?(\d+)s$", done.stdout, re.MULTILINE)
    count = int(re.search(r"(\d+) torch releases", done.stdout).group(1))
    print(f"bisect: {len(steps)} steps for {count} releases (bound {math.ceil(math.log2(count)) + 1}), "
          f"{seconds:.0f} s in all")  # fmt: skip
    for version, verdict, step_seconds in steps:
        print(f"  torch {version:<8} {verdict:<6} {step_seconds:>4} s")
    print("  " + done.stdout.strip().splitlines()[-1])
    shutil.rmtree(args.workdir / "uv-cache", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
