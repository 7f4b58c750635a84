"""The NumPy 2 survey of ``benchmarks/numpy2-projects.txt``: its figures for docs/results/numpy2-survey.md.

    python benchmarks/numpy2_survey.py --check                 # every entry exists, with an sdist
    python benchmarks/numpy2_survey.py [--reports DIR] [--only N] [--first-compatible] [--resume]

The run is ``harness survey --from-file LIST --with numpy==1.26.4 --with numpy==2.2.6
--python 3.11``; it prints the machine, the wall time, projects per hour and the summary
counts, then the table's head from ``survey.md``. ``--only N`` surveys the first N entries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "benchmarks" / "numpy2-projects.txt"
CELLS = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6", "--python", "3.11"]


def entries(path: Path) -> list:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def check(path: Path) -> int:
    """Each entry on the index, with an sdist; exit 1 naming those that are not."""
    sys.path.insert(0, str(ROOT))
    from harness.survey import fetch
    from harness.survey.row import Unmeasurable

    bad = 0
    for entry in entries(path):
        name, _, version = entry.partition("==")
        try:
            sdist = fetch.choose(fetch.release(name, version or None))
            print(f"ok   {entry:<28} {sdist.filename}  sha256 {sdist.sha256[:12]}…")
        except Unmeasurable as exc:
            bad += 1
            print(f"FAIL {entry:<28} {exc.reason}")
    print(f"{len(entries(path)) - bad} of {len(entries(path))} entries exist with an sdist")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify the list")
    parser.add_argument("--list", type=Path, default=LIST)
    parser.add_argument("--reports", type=Path, default=None, help="the survey's folder")
    parser.add_argument("--only", type=int, default=0, help="survey the first N entries")
    parser.add_argument("--first-compatible", action="store_true")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--timeout", default="1200", help="seconds per cell")
    parser.add_argument("--parallel", default="0", help="projects at once (0: one per CPU)")
    args = parser.parse_args()
    if args.check:
        return check(args.list)
    listed = args.list
    if args.only:
        listed = Path(tempfile.mkdtemp(prefix="survey-list-")) / "list.txt"
        listed.write_text("\n".join(entries(args.list)[: args.only]) + "\n")
    reports = args.reports or Path(tempfile.mkdtemp(prefix="numpy2-survey-"))
    command = [sys.executable, "-m", "harness", "survey", "--from-file", str(listed), *CELLS,
               "--reports", str(reports), "--timeout", args.timeout, "--parallel", args.parallel,
               *(["--first-compatible"] if args.first_compatible else []),
               *(["--resume"] if args.resume else [])]  # fmt: skip
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("$ " + " ".join(command[2:]))
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT)
    wall = time.monotonic() - start
    if not (reports / "survey.json").is_file() or done.returncode not in (0, 1, 3, 130):
        print(f"exit {done.returncode}: no survey to report", file=sys.stderr)
        return done.returncode or 1
    doc = json.loads((reports / "survey.json").read_text())
    summary = doc["summary"]
    print(f"exit {done.returncode}; wall {wall / 60:.1f} min for {summary['projects']} projects: "
          f"{summary['projects'] / (wall / 3600):.1f} projects per hour")  # fmt: skip
    steps = [step["seconds"] for row in doc["rows"]
             for step in (row.get("first_compatible_search") or {}).get("steps", [])]  # fmt: skip
    print(f"rows' own times, added: {summary['measured_s'] / 60:.1f} min; "
          f"bisection steps, added: {sum(steps) / 60:.1f} min ({len(steps)} steps)")  # fmt: skip
    print(json.dumps(summary, indent=2))
    print((reports / "survey.md").read_text())
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
