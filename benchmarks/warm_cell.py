"""What a warm cell costs beyond its tests: ``harness run`` and ``harness probe`` on one env
whose env is in place, against the floor, pytest run by hand in that env with the same command,
and against plain ``tox run`` of the same env.

    python benchmarks/warm_cell.py [-e ENV] [--pairs N] [--workdir DIR]

After one run that builds the env (not timed), it times N rounds; each round runs every
variant once, in an order that alternates from round to round, so a slow minute of a shared
machine falls on both sides of a ratio. It prints each variant's median wall and CPU seconds
(its processes' user + system), and each ratio to its floor as the median of the rounds'
ratios, with the extra seconds. The bare runs get the environment tox gives the tests.

Then it times ``harness probe`` on the default matrix (its cells a minute) and ``harness
gate`` on the project as it is (no dependency changed), and splits one warm ``harness run``
into its parts, each timed in this process the way the command calls it: start-up (a new
``harness --version``), tox's import (which the command runs beside its own start-up, in the
host it prestarts: ``harness/toxhost.py``), the config (tox's answer), selection with the lock
check, tox's own time around the env's commands once its host has imported tox (its config,
the env check), the commands (the tests, with the probe recording each session) and the
reports with the tools' versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-m", "harness"]
HEAD_START_S = 1.0  # what the split gives tox's prestarted host before its cell (see split)


def timed(command: list, env: dict, cwd: Path = ROOT) -> tuple:
    """``(wall, cpu)`` seconds of a command and all it started (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def wall(command: list, env: dict, cwd: Path = ROOT) -> float:
    return timed(command, env, cwd)[0]


def variants(env_name: str, work: Path, env: dict) -> dict:
    """``{name: (command, cwd)}``; the bare ones run the env's own commands, as tox would."""
    reports, toxdir = work / "reports", work / "tox"
    python = next(reports_envs(reports).glob(f"{env_name}/bin/python"))
    cov = ["--cov=inference"]
    bare = [str(python), "-m", "pytest", str(ROOT / "tests/inference"), "-p", "no:cacheprovider",
            f"--rootdir={ROOT}", *cov]  # fmt: skip
    checks = python.parent.parent / ".harness-probe" / "stack_checks.py"
    common = ["-e", env_name, "--project", str(ROOT), "--reports", str(reports)]
    return {
        "harness run": [*HARNESS, "run", *common],
        "bare pytest": bare,
        "tox run": [sys.executable, "-m", "tox", "run", "-e", env_name, "--workdir", str(toxdir)],
        "harness probe": [*HARNESS, "probe", *common],
        "bare probe checks": [
            str(python),
            "-m",
            "pytest",
            str(checks),
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(checks.parent / "pytest.ini"),
        ],  # fmt: skip
    }


def reports_envs(reports: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from harness.store import Store

    return Store(reports).envs


def tests_env(env: dict) -> dict:
    """What tox hands the tests: it does not pass ``PYTHONDONTWRITEBYTECODE``, so pytest
    keeps its rewritten test modules; the bare runs get the same."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def against(other: Path, env_name: str, work: Path) -> tuple:
    """``harness run`` of another checkout (its own .venv, its own reports folder), run from
    its folder so that its own code is imported."""
    command = [str(other / ".venv/bin/python"), "-m", "harness", "run", "-e", env_name,
               "--project", str(ROOT), "--reports", str(work / "reports-against")]  # fmt: skip
    return command, other


def pairs(commands: dict, rounds: int, env: dict) -> tuple:
    """``({variant: [wall s]}, {variant: [cpu s]})``, one of each a round."""
    times, cpus = {name: [] for name in commands}, {name: [] for name in commands}
    names = list(commands)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            command, cwd = (
                commands[name] if isinstance(commands[name], tuple) else (commands[name], ROOT)
            )
            took, cpu = timed(command, tests_env(env) if name.startswith("bare") else env, cwd)
            times[name].append(took)
            cpus[name].append(cpu)
        print(f"  round {number + 1}: " + ", ".join(
            f"{n} {t[-1]:.2f} ({cpus[n][-1]:.2f} cpu)" for n, t in times.items()), flush=True)  # fmt: skip
    return times, cpus


def split(env_name: str, work: Path, env: dict) -> dict:
    """One warm ``harness run``, part by part, in this process (the command's own calls)."""
    os.environ.update(env)
    from harness import toxhost
    from harness.commands import run as command
    from harness.report import publish
    from harness.stages import collect, pipeline, prepare
    from harness.stages import select as matrix
    from harness.stages.execute import CellRun, run_cell
    from harness.store import Store

    parts = {"start-up (harness --version)": wall([*HARNESS, "--version"], env)}
    importing = [sys.executable, "-c", "import tox.run"]
    parts["tox's import, beside the start-up (not added)"] = wall(importing, env) - wall(
        [sys.executable, "-c", "pass"], env
    )
    reports = work / "reports"
    options = pipeline.RunOptions(project=ROOT, reports=reports, envs=[env_name])
    store = Store(reports)
    start = time.monotonic()
    matrix.select(ROOT, [env_name])
    parts["config (tox's answer)"] = time.monotonic() - start
    start = time.monotonic()
    todo = prepare.plan(options, store, pipeline.Silent())
    parts["selection and lock check (config kept)"] = time.monotonic() - start
    (cell,) = todo.cells
    folder = work / "split"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    run = CellRun(cell, ROOT, folder, todo.paths[cell.name], todo.pythons[cell.name],
                  workdir=store.envs)  # fmt: skip
    toxhost.prestart(str(ROOT))  # as the command starts its first cell's tox, beside its own
    time.sleep(HEAD_START_S)  # longer than its import, which is timed on its own above
    ran = run_cell(run, 1800)
    journal = json.loads((folder / "tox-result.json").read_text())["testenvs"][env_name]
    tests = sum(step["elapsed"] for step in journal.get("test", []))
    parts["tox around the commands (its config, env check)"] = ran.duration_s - tests
    parts["the tests, inside tox (probe recording)"] = tests
    collect.sessions(run.sessions)
    start = time.monotonic()
    command.tools(ROOT)
    publish.publish(store, ROOT, [], False, command.tools(ROOT))
    parts["reports and tool versions"] = time.monotonic() - start
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-e", dest="env", default="torch21-numpy126")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/warm-cell-bench"))
    parser.add_argument("--against", type=Path, help="another checkout, to time its harness run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "COVERAGE_FILE": str(args.workdir / ".coverage"),
        "HARNESS_STACK": "numpy,torch",
    }  # the probe's checks: the cell's pins, as it sets them
    load = os.getloadavg()[0]
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load {load:.1f}; "
          f"Python {platform.python_version()}; bytecode written: "
          f"{not os.environ.get('PYTHONDONTWRITEBYTECODE')}")  # fmt: skip
    reports = ["--project", str(ROOT), "--reports", str(args.workdir / "reports")]
    for mode in ("run", "probe"):  # warm: the env, the probe, the kept config
        wall([*HARNESS, mode, "-e", args.env, *reports], env)
    commands = variants(args.env, args.workdir, env)
    wall(commands["tox run"], env)  # tox's own env, built once
    if args.against:
        commands["harness run (against)"] = against(args.against.resolve(), args.env, args.workdir)
        wall(*commands["harness run (against)"][:1], env, args.against.resolve())
    times, cpus = pairs(commands, args.pairs, env)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{'variant':<22} {'wall s':>7} {'cpu s':>6}  against            "
          "wall ratio  extra s  cpu ratio  extra cpu s")  # fmt: skip
    for name, floor in (("harness run", "bare pytest"), ("tox run", "bare pytest"),
                        ("harness probe", "bare probe checks"), ("bare pytest", None),
                        ("bare probe checks", None),
                        *([("harness run (against)", "bare pytest")] if args.against else [])):  # fmt: skip
        line = f"{name:<22} {median[name]:7.2f} {statistics.median(cpus[name]):6.2f}"
        for kind in (times, cpus) if floor else ():
            ratios = [a / b for a, b in zip(kind[name], kind[floor])]
            extra = [a - b for a, b in zip(kind[name], kind[floor])]
            line += (f"  {floor:<18}" if kind is times else "") + (
                f" {statistics.median(ratios):9.2f}x {statistics.median(extra):+8.2f}"
            )
        print(line)
    print(f"harness probe: {60 / median['harness probe']:.0f} cells a minute, one cell a run")
    default = [*HARNESS, "probe", *reports]  # the default matrix, its env_list
    wall(default, env)
    took = statistics.median(wall(default, env) for _ in range(args.pairs))
    cells = len(json.loads((args.workdir / "reports" / "compat.json").read_text())["cells"])
    print(f"harness probe, default matrix: {cells} cells in {took:.2f} s (median of "
          f"{args.pairs}) = {60 * cells / took:.0f} cells a minute")  # fmt: skip
    gate = [*HARNESS, "gate", *reports]  # the working tree's dependencies are HEAD's
    took = statistics.median(wall(gate, env) for _ in range(args.pairs))
    print(f"harness gate, unchanged dependencies: {took:.2f} s (median of {args.pairs})")
    print("\none warm harness run, part by part:")
    for part, seconds in split(args.env, args.workdir, env).items():
        print(f"  {part:<48} {seconds:6.2f} s")
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
