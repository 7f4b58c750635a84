"""scripts/simulate_ci.sh: a new user's first pull request (NumPy 1.26.4 -> 2.2.6 in
requirements.txt, a test on np.float_) through actions/checkout and the action, each with
its defaults, as GitHub's runner runs them; the gate must answer "regression" on the
requirement line, the job summary holding its report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "simulate_ci.sh"
BIN = Path(sys.executable).parent  # uv, as setup-uv puts it on PATH


def test_the_script_parses_and_lints_clean():
    checker = shutil.which("shellcheck")
    command = [checker, str(SCRIPT)] if checker else ["bash", "-n", str(SCRIPT)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "mine").write_text("")
    done = subprocess.run(["bash", str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (2, f"simulate_ci: {tmp_path} is not empty\n")
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


@pytest.mark.integration
@pytest.mark.parametrize(("depth", "project", "hashes"), [
    ("0", ".", "0"),  # fetch-depth: 0, the package at the repository's root
    # actions/checkout's default (a depth-1 merge commit), the package in a folder of a
    # monorepo, its requirements.txt hash-pinned (uv pip compile --generate-hashes)
    ("1", "services/floaty", "1"),
])  # fmt: skip
def test_a_new_users_pull_request_fails_the_gate_on_the_requirement_line(
    tmp_path, depth, project, hashes
):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    variables = {"SIMULATE_FETCH_DEPTH": depth, "SIMULATE_PROJECT": project,
                 "SIMULATE_HASHES": hashes}  # fmt: skip
    done = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "ci")], capture_output=True,
                          text=True, timeout=600, env={**env, **variables})  # fmt: skip
    work = tmp_path / "ci"
    log = (work / "run.log").read_text() if (work / "run.log").exists() else done.stdout
    assert done.returncode == 1, log + done.stderr
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    # GitHub reads file= from the repository's root
    where = "requirements.txt" if project == "." else f"{project}/requirements.txt"
    assert len(errors) == 1 and errors[0].startswith(f"::error file={where},line=1::"), errors
    assert "tests/test_floaty.py::test_mean: numpy2-removed-name" in errors[0]
    outputs = dict(
        line.split("=", 1) for line in (work / "runner/temp/run-output").read_text().splitlines()
    )
    assert outputs["result"] == "regression" and outputs["verdicts"] == '{"fail": 1, "pass": 1}'
    summary = (work / "runner/temp/summary.md").read_text()
    assert summary == Path(outputs["summary"]).read_text()
    assert summary.startswith("## Dependency gate: regression")
    assert "\n=== exit code: 1\n" in done.stdout
