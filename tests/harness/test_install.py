"""The tool installs alone: its wheel in a fresh venv, no extras, runs a real cell; the set-up
(scripts/bootstrap.sh) works whichever Python ``python3`` is.

The venvs are built by ``tool_venv``: from a copy of the tool's files, so that nothing is
written into the checkout, and run with the dev venv off PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import harness
from harness.stages.lock import uv_binary

from . import tool_venv
from .tool_venv import run

SERVICE = ("torch", "numpy", "pandas", "pillow")  # the inference service's, not the tool's
DEV = ("pytest", "pytest-cov", "ruff", "check-jsonschema", "lxml")
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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return tool_venv.wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def tool(tmp_path_factory, wheel):
    """``(venv, env)``: the tool's wheel alone in a fresh venv of this Python."""
    return tool_venv.tool(tmp_path_factory.mktemp("install"), sys.executable, wheel)


@pytest.mark.integration  # builds a wheel, installs from the index, runs tox
def test_the_tool_reports_its_version(tool, tmp_path):
    venv, env = tool
    done = run([venv / "bin" / "harness", "--version"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"harness {harness.__version__}"
    helped = run([venv / "bin" / "harness", "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "run" in helped.stdout, helped.stderr


@pytest.mark.integration  # builds a wheel, installs from the index, runs tox
def test_the_tool_installs_nothing_but_itself_and_what_it_imports(tool, tmp_path):
    venv, env = tool
    python = venv / "bin" / "python"
    service = run([python, "-c", "import inference"], cwd=tmp_path, env=env)
    assert service.returncode != 0 and "No module named 'inference'" in service.stderr
    listed = run([python, "-c", LIST_DISTRIBUTIONS], cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    installed = set(json.loads(listed.stdout))
    assert "compat-harness" in installed
    assert {"tox", "tox-uv", "packaging", "rich", "jsonschema", "junitparser"} <= installed
    assert not installed & set(SERVICE), installed & set(SERVICE)
    assert not installed & set(DEV), installed & set(DEV)
    size = sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, names in os.walk(venv)
        for name in names
    )
    assert size < MAX_BYTES, f"the tool's venv holds {size / 2**20:.0f} MiB"


@pytest.mark.integration  # builds a wheel, installs from the index, runs tox
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


@pytest.mark.integration  # installs from the index
@pytest.mark.parametrize("minor", ["3.10", "3.11", "3.13"])  # its oldest, .venv's, its newest
def test_the_set_up_works_on_each_python_the_tool_supports(minor, tmp_path):
    """What scripts/bootstrap.sh does, the service's requirements (torch) aside: a fresh venv
    of that Python, the tool with its dev extra, editable; then the command answers."""
    interpreter = tool_venv.python(minor)
    if not interpreter:
        pytest.skip(f"no Python {minor} installed (PATH, pyenv, uv's)")
    source = tool_venv.copy_of_the_tool(tmp_path / "source")
    uv, venv = uv_binary(), tmp_path / "venv"
    made = run([uv, "venv", "--quiet", "--python", interpreter, venv], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    done = run([uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python",
                "-e", f"{source}[dev]"], cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = tool_venv.environment(venv / "bin")
    answered = run([venv / "bin" / "harness", "--version"], cwd=tmp_path, env=env)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == f"harness {harness.__version__}"
    version = run([venv / "bin" / "python", "-c", "import sys; print(*sys.version_info[:2])"],
                  cwd=tmp_path, env=env)  # fmt: skip
    assert version.stdout.split() == minor.split(".")
    helped = run([venv / "bin" / "harness", "run", "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "--with" in helped.stdout, helped.stderr


@pytest.mark.integration  # builds a wheel, installs from the index, runs tox
def test_bootstrap_gives_way_to_a_python_the_requirements_have_wheels_for(tmp_path):
    """``python3`` is a 3.12 or 3.13, and the requirements pin a release with wheels up to
    cp311 and no sdist: .venv gets an installed 3.11 or 3.10, and says why in one line."""
    newest = next(filter(None, map(tool_venv.python, ("3.13", "3.12"))), "")
    if not newest or not any(map(tool_venv.python, ("3.11", "3.10"))):
        pytest.skip("needs a Python 3.12 or 3.13 and a 3.11 or 3.10 (PATH, pyenv, uv's)")
    root = tool_venv.copy_of_the_tool(tmp_path / "checkout")
    shutil.copytree(tool_venv.ROOT / "scripts", root / "scripts")
    (root / "requirements.txt").write_text("tensorflow-io-gcs-filesystem==0.34.0\n")
    first = tmp_path / "bin"
    first.mkdir()
    (first / "python3").symlink_to(newest)
    script = "source scripts/bootstrap.sh && harness --version && python -c 'import sys; print(sys.version)'"
    narrow = {**tool_venv.environment(first), "COLUMNS": "60"}  # uv wraps its reasons at 60
    done = run(["bash", "-c", script], cwd=root, env=narrow, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("bootstrap: ")]
    assert len(said) == 1, done.stderr
    chosen = re.match(r"bootstrap: \.venv uses Python (3\.1[01])\.\d+ \((\S+)\), not Python "
                      r"3\.1[23]\.\d+ \(python3\): tensorflow-io-gcs-filesystem==0\.34\.0 has no "
                      r"wheels with a matching Python ABI tag", said[0])  # fmt: skip
    assert chosen, said[0]
    lines = done.stdout.splitlines()
    assert lines[0] == f"harness {harness.__version__}" and lines[1].startswith(chosen.group(1))
    assert os.path.realpath(root / ".venv" / "bin" / "python") != os.path.realpath(newest)


@pytest.mark.parametrize(
    "recorded, wanted",
    [
        (["abi-range"], "3.11"),  # torch>=2.1,<2.2 on 3.13: wheels up to cp311
        (["requires-python"], "3.11"),  # numpy==2.3.0 on 3.10: Python>=3.11
        (["abi-small", "requires-python-old"], "3.11"),
        (["no-python-fits-11", "no-python-fits-12"], ""),  # cp311 at most, and >=3.12
        (["platform"], ""),  # not about the Python
    ],
)
def test_bootstrap_names_the_python_to_install_from_uv_s_reasons(recorded, wanted, tmp_path):
    script = (tool_venv.ROOT / "scripts" / "bootstrap.sh").read_text()
    function = re.search(r"^_bootstrap_wanted\(\) \{\n.*?^\}\n", script, re.S | re.M).group(0)
    said = "".join((Path(__file__).parent / "fixtures" / "uv-python" / f"{n}.txt").read_text()
                   for n in recorded)  # fmt: skip
    (tmp_path / "said.txt").write_text(said)
    done = run(["bash", "-c", function + '_bootstrap_uv_said=$(cat said.txt); _bootstrap_wanted'],
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == wanted, done.stdout + done.stderr


@pytest.mark.integration  # builds from a git URL, installs from the index
def test_uv_tool_uvx_and_pipx_install_it_from_a_git_url(tmp_path):
    """The install lines of docs/install.md, with a ``git+file://`` URL of this repository's commit in
    place of the hosted one: each gives a ``harness`` that prints its version."""
    uv = uv_binary()
    head = run(["git", "rev-parse", "HEAD"], cwd=tool_venv.ROOT).stdout.strip()
    url = f"git+file://{tool_venv.ROOT}@{head}"
    env = {**os.environ, "UV_TOOL_DIR": str(tmp_path / "tools"),
           "UV_TOOL_BIN_DIR": str(tmp_path / "bin"), "PIPX_HOME": str(tmp_path / "pipx"),
           "PIPX_BIN_DIR": str(tmp_path / "pipx-bin")}  # fmt: skip
    installed = run([uv, "tool", "install", "--quiet", url], cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr
    answers = [run([tmp_path / "bin" / "harness", "--version"], cwd=tmp_path, env=env)]
    answers.append(run([uv, "tool", "run", "--from", url, "harness", "--version"], cwd=tmp_path,
                       env=env))  # fmt: skip
    piped = run([uv, "tool", "run", "pipx", "install", "--quiet", url], cwd=tmp_path, env=env)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    answers.append(run([tmp_path / "pipx-bin" / "harness", "--version"], cwd=tmp_path, env=env))
    for answer in answers:
        assert (
            answer.returncode == 0 and answer.stdout.strip() == f"harness {harness.__version__}"
        ), answer.stdout + answer.stderr
