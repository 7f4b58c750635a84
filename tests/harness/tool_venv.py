"""The tool installed alone, for the integration tests that run it as its users do.

Its wheel is built from a copy of the tool's files (pyproject.toml, README.md, harness/), so that
the build writes nothing into the checkout. A venv of the chosen Python holds that wheel and
what it depends on, nothing else; the harness then runs from it with the dev venv off PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness.stages import interpreters
from harness.stages.lock import uv_binary

ROOT = Path(__file__).resolve().parents[2]


def run(command, cwd, env=None, timeout=600):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def copy_of_the_tool(folder: Path, names=("pyproject.toml", "README.md")) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        shutil.copyfile(ROOT / name, folder / name)
    ignored = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "harness", folder / "harness", ignore=ignored)
    return folder


def wheel(work: Path) -> Path:
    """The tool's wheel, built from a copy of its files."""
    source = copy_of_the_tool(work / "source")
    built = run([uv_binary(), "build", "--wheel", "--out-dir", work / "dist", source], cwd=work)
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("*.whl")
    return found


def python(minor: str) -> str:
    """An installed CPython ``minor`` (PATH, pyenv, uv's), or "" when there is none."""
    found = interpreters.find(interpreters.parse(minor), uv_binary())
    return found.path if found else ""


def tool(work: Path, interpreter: str, built: Path) -> tuple:
    """``(venv, env)``: a fresh venv of ``interpreter`` holding the tool's wheel alone, and an
    environment to run it in where neither the dev venv nor the checkout can be reached."""
    uv, venv = uv_binary(), work / "venv"
    made = run([uv, "venv", "--quiet", "--python", interpreter, venv], cwd=work)
    assert made.returncode == 0, made.stderr
    done = run([uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", built],
               cwd=work)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return venv, environment(venv / "bin")


def environment(first: Path) -> dict:
    """This process's environment with ``first`` leading PATH, the dev venv left out."""
    dev_bin = os.path.dirname(sys.executable)
    path = [str(first)] + [
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry != dev_bin
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PATH"] = os.pathsep.join(path)
    return env
