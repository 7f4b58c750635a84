"""The tool installs alone: its wheel in a fresh venv, no extras, runs a real cell.

The wheel is built from a copy of the tool's files (pyproject.toml, README.md, harness/), so
that the build writes nothing into the checkout; the venv holds that wheel and what it
depends on, nothing else. The harness then runs from that venv, with the dev venv off PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import harness
from harness.stages.lock import uv_binary

pytestmark = pytest.mark.integration  # builds a wheel, installs from the index, runs tox

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ("torch", "numpy", "pandas", "pillow")  # the inference service's, not the tool's
DEV = ("pytest", "pytest-cov", "ruff", "check-jsonschema")
MAX_BYTES = 100 * 1024 * 1024

TOX_INI = """
[tox]
env_list = pkg24
[testenv]
package = skip
deps =
    pytest
    packaging==24.1
commands = pytest {toxinidir}/tests
"""

TEST = """
import packaging


def test_packaging_is_pinned():
    assert packaging.__version__ == "24.1"
"""

LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json;"
    "print(json.dumps(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"
)


def run(command, cwd, env=None, timeout=600):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    """``(venv, env)``: a fresh venv holding the tool's wheel alone, and an environment to run
    it in where neither the dev venv nor the checkout can be reached."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "harness", source / "harness", ignore=shutil.ignore_patterns("__pycache__")
    )
    uv = uv_binary()
    built = run([uv, "build", "--wheel", "--out-dir", work / "dist", source], cwd=work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("*.whl")
    venv = work / "venv"
    made = run([uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=work)
    assert made.returncode == 0, made.stderr
    done = run([uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel],
               cwd=work)  # fmt: skip
    assert done.returncode == 0, done.stderr
    dev_bin = os.path.dirname(sys.executable)
    path = [str(venv / "bin")] + [
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry != dev_bin
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PATH"] = os.pathsep.join(path)
    return venv, env


def test_the_tool_reports_its_version(tool, tmp_path):
    venv, env = tool
    done = run([venv / "bin" / "harness", "--version"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"harness {harness.__version__}"
    helped = run([venv / "bin" / "harness", "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "run" in helped.stdout, helped.stderr


def test_the_tool_installs_nothing_but_itself_and_what_it_imports(tool, tmp_path):
    venv, env = tool
    python = venv / "bin" / "python"
    service = run([python, "-c", "import inference"], cwd=tmp_path, env=env)
    assert service.returncode != 0 and "No module named 'inference'" in service.stderr
    listed = run([python, "-c", LIST_DISTRIBUTIONS], cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    installed = set(json.loads(listed.stdout))
    assert "compat-harness" in installed
    assert {"tox", "tox-uv", "packaging", "rich", "jsonschema"} <= installed
    assert not installed & set(SERVICE), installed & set(SERVICE)
    assert not installed & set(DEV), installed & set(DEV)
    size = sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, names in os.walk(venv)
        for name in names
    )
    assert size < MAX_BYTES, f"the tool's venv holds {size / 2**20:.0f} MiB"


def test_the_tool_alone_runs_a_real_cell(tool, tmp_path):
    venv, env = tool
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text(textwrap.dedent(TOX_INI))
    (project / "tests" / "test_pinned.py").write_text(TEST)
    done = run([venv / "bin" / "harness", "run", "--project", project], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((project / ".harness" / "compat.json").read_text())
    (cell,) = report["cells"]
    assert cell["cell"]["name"] == "pkg24" and cell["verdict"] == "pass", cell
    assert cell["tests"]["passed"] == 1 and cell["tests"]["failed"] == 0
