"""The example GitHub workflows, validated offline against GitHub's workflow schema (vendored
by check-jsonschema) and linted by actionlint."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def check(path):
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lint = subprocess.run(
        [str(BIN / "actionlint"), str(path)], capture_output=True, text=True, timeout=120
    )
    return schema, lint


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
@pytest.mark.integration
def test_workflow_is_valid_and_lints_clean(workflow):
    schema, lint = check(workflow)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.integration
def test_the_checks_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        (ROOT / ".github" / "workflows" / "compat-gate.yml")
        .read_text()
        .replace("runs-on:", "runs_on:")
    )
    schema, lint = check(broken)
    assert schema.returncode != 0 and lint.returncode != 0


def test_the_gate_workflow_runs_the_gate_and_caches_uv():
    text = (ROOT / ".github" / "workflows" / "compat-gate.yml").read_text()
    assert "harness gate --base" in text and "~/.cache/uv" in text and "fetch-depth: 0" in text
    for path in ("requirements*.txt", "constraints/**", "pyproject.toml", "tox.ini"):
        assert f'"{path}"' in text
