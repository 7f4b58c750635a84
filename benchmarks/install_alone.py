"""The tool installed alone: ``uv tool install`` from this checkout, cold and warm, and
``uvx --from`` twice, each into folders of its own; the venv's size and what it holds.

    python benchmarks/install_alone.py [--workdir DIR]

Cold means an empty uv cache of the benchmark's own; warm reuses it. The checkout is copied
first (setuptools leaves ``build/`` and ``*.egg-info`` in the folder it builds from).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "numpy", "pandas", "pillow", "inference")


def uv() -> str:
    return shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")


def timed(command: list, env: dict) -> float:
    start = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.monotonic() - start


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="install-alone-"))
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tox", ".harness", "reports", "build", "*.egg-info", "__pycache__"))  # fmt: skip
    env = {**os.environ, "UV_CACHE_DIR": str(work / "cache")}
    for state in ("cold", "warm"):
        tools, bins = work / f"tools-{state}", work / f"bin-{state}"
        run_env = {**env, "UV_TOOL_DIR": str(tools), "UV_TOOL_BIN_DIR": str(bins)}
        seconds = timed([uv(), "tool", "install", str(source)], run_env)
        (venv,) = [p for p in tools.iterdir() if p.is_dir()]
        listed = subprocess.run([uv(), "pip", "list", "--python", str(venv / "bin" / "python")],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        names = {line.split()[0].lower() for line in listed.splitlines()[2:] if line.strip()}
        version = subprocess.run([str(bins / "harness"), "--version"], capture_output=True,
                                 text=True, check=True).stdout.strip()  # fmt: skip
        print(f"uv tool install, {state} cache: {seconds:.1f} s, venv {size_mb(venv):.0f} MB, "
              f"{len(names)} packages, heavy ones: {sorted(names & set(HEAVY)) or 'none'}; "
              f"{version}", flush=True)  # fmt: skip
    for attempt in ("first", "second"):
        seconds = timed([uv(), "tool", "run", "--from", str(source), "harness", "--version"], env)
        print(f"uvx --from, {attempt}: {seconds:.1f} s", flush=True)
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
