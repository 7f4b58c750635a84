"""The gate on each common layout (tests/harness/layouts.py), as a maintainer runs it: a NumPy 2
bump that breaks one test, then its revert. Prints one Markdown row per layout: the exit codes,
the wall time of each gate, and which fix it measured and where it belongs.

    python benchmarks/gate_layouts.py [--workdir DIR] [LAYOUT ...]

Each layout is a fresh repository with a reports folder of its own; uv's cache is the user's
(warm after the first run: the figures are the gate's own work, not downloads). The revert
reuses the baseline cell measured by the first gate, as a CI rerun on the base branch would.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import layouts  # noqa: E402  (the layouts the tests use)


def gate(project: Path) -> tuple:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", "gate", "--project", str(project),
                           "--json"], capture_output=True, text=True)  # fmt: skip
    elapsed = time.monotonic() - start
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        sys.exit(
            f"{project.name}: the gate printed no JSON (exit {done.returncode}):\n{done.stderr}"
        )
    return done.returncode, elapsed, doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("names", nargs="*", default=[layout.name for layout in layouts.LAYOUTS])
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gate-layouts-"))
    uv = shutil.which("uv", path=os.path.dirname(sys.executable)) or "uv"
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("| layout | bump: exit | bump: s | broken | revert: exit | revert: s | measured fix |")
    print("|---|---|---|---|---|---|---|")
    for name in args.names:
        layout = layouts.BY_NAME[name]
        project = layouts.make(layout, workdir / name, uv)
        layouts.bump(layout, project, uv)
        code, bumped, doc = gate(project)
        broken = ", ".join(f"{r['test'].split('::')[-1]} ({r['signature']})"
                           for r in doc["regressions"])  # fmt: skip
        fix = next((f"`{f['requirement']}` in {f['write_to']}" for f in doc["fixes"]
                    if f["verified"]), "none")  # fmt: skip
        layouts.revert(project)
        back, reverted, _ = gate(project)
        print(f"| {name} | {code} | {bumped:.0f} | {broken} | {back} | {reverted:.0f} | {fix} |")


if __name__ == "__main__":
    main()
