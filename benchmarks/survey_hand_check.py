"""A survey's rows checked by hand: each cell rebuilt from its lock without tox or the harness,
its commands run with plain pytest, and the outcome compared with the row test by test.

    python benchmarks/survey_hand_check.py SURVEY_DIR [--sample N] [--seed S] [--changed]
                                           [--row NAME==VERSION ...] [--work DIR]
                                           [--shards DIR ...]

For each chosen row and each of its measured cells: a fresh ``uv venv`` on the cell's Python,
``uv pip install --no-deps -r`` the cell's lock (the lock is complete, so nothing else is
resolved), the project from the row's unpacked sdist as the env installs it (editable or not,
``--no-deps``), then ``uv pip freeze`` compared with the lock, and the env's commands (as the
cell recorded them) run in the project's folder with the venv first on ``PATH`` and the env's
``set_env`` (read from tox's config of the row's base env). pytest commands get ``-rA`` (every
test's id in the summary) and, as the survey's cells do, ``--continue-on-collection-errors``.
The ids that passed, failed and errored by hand are compared with the cell's recorded outcomes.

``--sample N --seed S`` draws N rows at random among those with a measured control; ``--changed``
adds every row that the survey's own fallbacks made measurable or set apart: measured as of a
date, a setup the harness found or fell back to (test paths, setup.py's requirements, CI files'
requirements, a tox config set aside), or a declared cap. Prints one line per cell and
a table row per project; exit 1 when any cell disagrees.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path

UV = [sys.executable, "-m", "uv"]
SEEDED = {"pip", "setuptools", "wheel"}
SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|XPASS|XFAIL) (.+)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SKIPS = re.compile(r"^SKIPPED \[(\d+)\]")
ORDER = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
HAND = {"PASSED": "passed", "FAILED": "failed", "ERROR": "errors", "XPASS": "xpassed",
        "XFAIL": "xfailed"}  # fmt: skip


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict:
    found = {}
    for line in lock.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, _, version = line.partition("==")
            found[norm(name.split("[")[0])] = version.split(";")[0].strip()
    return found


def changed(row: dict) -> bool:
    setup = row.get("setup") or {}
    found = setup.get("found_by") or setup.get("instead") or setup.get("why")
    return bool(row.get("as_of") or row.get("declared_caps") or found
                or "setup.py" in setup.get("source", ""))  # fmt: skip


def choose(rows: list, sample: int, seed: int, named: list, with_changed: bool) -> list:
    measured = [r for r in rows if r["cells"] and r["cells"][0]["tests"]["passed"]]
    chosen = random.Random(seed).sample(measured, min(sample, len(measured))) if sample else []
    chosen += [r for r in rows if f"{r['project']}=={r['version']}" in named]
    chosen += [r for r in measured if with_changed and changed(r)]
    unique = {(r["project"], r["version"]): r for r in chosen}
    return list(unique.values())


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def set_env(source: Path, env: str) -> dict:
    """The env's ``set_env`` as tox reads it (``{}`` when tox cannot say)."""
    shown = run([sys.executable, "-m", "tox", "config", "-e", env, "-k", "set_env", "-q"],
                cwd=source)  # fmt: skip
    values, inside = {}, False
    for line in shown.stdout.splitlines():
        if line.startswith("set_env"):
            inside = True
            line = line.partition("=")[2]
        elif not line.startswith((" ", "\t")):
            inside = False
        if inside and "=" in line:
            key, _, value = line.strip().partition("=")
            if key and not key.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "TOX_", "PYTHONHASHSEED")):
                values[key] = value
    return values


def test_id(rest: str, known: dict) -> str:
    """The id in a ``-rA`` line's rest (``ID`` or ``ID - message``; an id may hold spaces)."""
    if rest in known:
        return rest
    ids = [k for k in known if rest.startswith(k + " - ")]
    return max(ids, key=len) if ids else rest.split(" - ")[0]


def check_cell(folder: Path, row: dict, summary: dict, work: Path) -> dict:
    record = json.loads((folder / "reports" / "cells" / f"{summary['cell']}.json").read_text())
    cell, source = record["cell"], folder / "src"
    venv = work / f"{row['project']}-{row['version']}" / summary["cell"]
    python = record["versions"]["python"]
    run([*UV, "venv", "-q", "--clear", "-p", python, str(venv)], check=True)
    exe = str(venv / "bin" / "python")
    lock = Path(record["lock"])
    installed = run([*UV, "pip", "install", "-q", "--no-deps", "--python", exe, "-r", str(lock)])
    if installed.returncode:
        return {"cell": summary["cell"], "agree": False, "why": installed.stderr[-400:]}
    editable = ["-e"] if cell["package"] == "editable" else []
    target = str(source) + (f"[{','.join(cell['extras'])}]" if cell["extras"] else "")
    if cell["package"] != "skip":
        built = run([*UV, "pip", "install", "-q", "--no-deps", "--python", exe, *editable, target])
        if built.returncode:
            return {"cell": summary["cell"], "agree": False, "why": built.stderr[-400:]}
    frozen = run([*UV, "pip", "freeze", "--python", exe]).stdout
    have = {norm(n): v for n, _, v in (line.partition("==") for line in frozen.splitlines()) if v}
    want = pins(lock)
    own = norm(row["project"])
    differ = {n: (want.get(n), have.get(n)) for n in set(want) | set(have)
              if n not in SEEDED and n != own and want.get(n) != have.get(n)}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE_"))}
    if not row["setup"].get("generated"):  # the harness's own configs set no variable
        env.update(set_env(source, cell["base_env"]))
    env.update(PATH=f"{venv / 'bin'}:{env['PATH']}", VIRTUAL_ENV=str(venv))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    outcomes: dict = {}
    skipped, said, exits, lines = 0, "", [], []
    for line in [*cell["commands"]["commands_pre"], *cell["commands"]["commands"]]:
        argv = shlex.split(line)
        runs_pytest = Path(argv[0]).name in ("pytest", "py.test") if argv else False
        if runs_pytest or any(argv[i : i + 2] == ["-m", "pytest"] for i in range(len(argv))):
            argv += ["-rA", "-p", "no:cacheprovider", "--continue-on-collection-errors"]
        done = run(argv, cwd=source, env=env)
        said, exits = said + done.stdout + done.stderr, [*exits, done.returncode]
        plain = ANSI.sub("", done.stdout)  # a project's addopts may say --color=yes
        summary_lines = plain.partition("short test summary info")[2]  # not captured logs
        for text in summary_lines.splitlines():
            if match := SUMMARY.match(text):
                outcomes[test_id(match.group(2), record["outcomes"])] = HAND[match.group(1)]
                lines.append(HAND[match.group(1)])  # an id collected twice counts twice
            elif match := SKIPS.match(text):
                skipped += int(match.group(1))
    recorded = {k: "errors" if v == "error" else v for k, v in record["outcomes"].items()
                if v != "skipped"}  # fmt: skip
    mismatched = sorted(t for t in set(recorded) | set(outcomes)
                        if recorded.get(t) != outcomes.get(t))  # fmt: skip
    counts = {o: lines.count(o) for o in ORDER}
    counts["skipped"] = skipped
    same_counts = all(counts[k] == summary["tests"][k] for k in ORDER)
    problem = (record.get("problem") or {}).get("evidence", "")
    shown = problem.removeprefix("E").strip().removeprefix("ConftestImportFailure: ")
    shown = shown.splitlines()[0][:50] if shown else ""
    seen = not shown or shown in said  # a cell that ran no test: the same error by hand
    return {"cell": summary["cell"], "exits": exits, "problem_seen": seen,
            "agree": not mismatched and not differ and same_counts and seen,
            "hand": {k: v for k, v in counts.items() if v},
            "harness": {k: v for k, v in summary["tests"].items() if v and k != "total"},
            "mismatched": mismatched[:10], "versions_differ": differ,
            "numpy": have.get("numpy"), "python": python}  # fmt: skip


def counted(counts: dict) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "no test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("survey", type=Path)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--row", action="append", default=[])
    parser.add_argument("--changed", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/survey-hand-check"))
    parser.add_argument("--shards", type=Path, nargs="*", default=[],
                        help="the shards' folders, where a merged survey's projects were measured")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write the checks here")
    args = parser.parse_args()
    survey = json.loads((args.survey / "survey.json").read_text())
    rows = choose(survey["rows"], args.sample, args.seed, args.row, args.changed)
    results, bad = [], 0
    for row in rows:
        name = f"{row['project']}-{row['version']}".replace("!", "_")
        folders = [d / "projects" / name for d in [args.survey, *args.shards]]
        folder = next((f for f in folders if (f / "src").is_dir()), folders[0])
        cells = [check_cell(folder, row, c, args.work) for c in row["cells"]
                 if c["verdict"] in ("pass", "fail")]  # fmt: skip
        agree = all(c["agree"] for c in cells)
        bad += not agree
        results.append({"project": row["project"], "version": row["version"],
                        "outcome": row["outcome"], "agree": agree, "cells": cells})  # fmt: skip
        for c in cells:
            print(json.dumps({"project": f"{row['project']}=={row['version']}", **c}), flush=True)
    print("\n| project | version | outcome | harness (control / change) | by hand | agree |")
    print("|---|---|---|---|---|---|")
    for r in results:
        harness = " / ".join(counted(c.get("harness", {})) for c in r["cells"])
        hand = " / ".join(counted(c["hand"]) if "hand" in c else c["why"] for c in r["cells"])
        print(f"| {r['project']} | {r['version']} | {r['outcome']} | {harness} | {hand} | "
              f"{'yes' if r['agree'] else 'NO'} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
