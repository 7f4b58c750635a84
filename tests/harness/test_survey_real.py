"""``harness survey`` on two small real projects from the index, across two packaging releases:
one tests itself with a dependency group (the harness writes its tox.ini), the other with its
own ``[tool.tox]``, the two measured side by side; then ``--resume`` keeps both rows without running a cell."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from harness.survey import output

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ["pyproject-metadata==0.12.1", "dependency-groups==1.3.2"]
CELLS = ["--with", "packaging==24.2", "--with", "packaging==25.0", "--python", "3.11"]


def survey(*arguments, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "survey", *arguments],
                          capture_output=True, text=True, timeout=1500,
                          env={**os.environ, **env})  # fmt: skip


@pytest.mark.integration
def test_a_survey_of_two_real_projects_then_resumed(tmp_path):
    reports = tmp_path / "survey"
    summary = tmp_path / "step-summary.md"  # under GitHub Actions: no project's page goes there
    summary.write_text("")
    done = survey(*PROJECTS, *CELLS, "--reports", str(reports), "--parallel", "2",
                  GITHUB_STEP_SUMMARY=str(summary))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    for number, project in enumerate(PROJECTS, 1):  # side by side, each line saying whose
        assert f"[{number}/2] {project}: [2/2] " in done.stderr, done.stderr
    doc = output.check(json.loads((reports / "survey.json").read_text()))
    rows = {row["project"]: row for row in doc["rows"]}
    assert sorted(rows) == ["dependency-groups", "pyproject-metadata"]
    assert rows["pyproject-metadata"]["setup"]["kind"] == "group"  # tox.ini written for it
    assert rows["dependency-groups"]["setup"]["source"] == "pyproject.toml [tool.tox]"
    for row in rows.values():
        assert row["outcome"] == "works", row
        control, change = row["cells"]
        assert (control["role"], control["versions"]["packaging"]) == ("control", "24.2")
        assert (change["role"], change["versions"]["packaging"]) == ("change", "25.0")
        assert control["tests"]["passed"] > 10 and control["tests"]["failed"] == 0
        assert control["interpreter"].startswith("cpython 3.11")
        assert (reports / row["evidence"]).is_file()
        page = (reports / row["evidence"]).with_suffix(".md").read_text()
        assert f"Against the control (`{control['cell']}`)" in page
        assert len(row["sdist"]["sha256"]) == 64
        assert not (reports / row["evidence"]).parent.joinpath("envs").exists()  # removed once done
    assert doc["summary"]["works"] == 2 and "2 works" in (reports / "survey.md").read_text()
    assert summary.read_text() == ""
    again = survey(*PROJECTS, *CELLS, "--reports", str(reports), "--resume")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr.count(": kept (works)") == 2 and "locking" not in again.stderr


def step(workflow: dict, job: str, name: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("name") == name)


def bash(script: str, cwd, **env) -> subprocess.CompletedProcess:
    """A workflow step's `run:` text, as the runner runs it (bash -e), the venv's harness on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PATH": path, **env}, timeout=1500)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.integration
def test_the_survey_workflow_plans_shards_surveys_each_and_merges(tmp_path):
    """harness-survey.yml's own steps, in order, as a runner would run them: plan (one shard a
    project), a survey per shard, merge; the merged survey has every row and its evidence."""
    workflow = YAML(typ="safe").load((ROOT / ".github/workflows/harness-survey.yml").read_text())
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "projects.txt").write_text("\n".join(PROJECTS) + "\n")
    outputs = tmp_path / "github-output"
    bash(step(workflow, "plan", "Plan the shards")["run"], tmp_path, PROJECTS_FILE="projects.txt",
         MAX_JOBS="256", MIN_WORK="0", GITHUB_OUTPUT=str(outputs))  # fmt: skip
    matrix = json.loads(outputs.read_text().split("matrix=", 1)[1])
    assert [s["shard"] for s in matrix["include"]] == ["1/2", "2/2"]
    for index, shard in enumerate(matrix["include"]):
        runner = tmp_path / f"runner-{index}"
        runner.mkdir()
        bash(step(workflow, "shard", "Survey this shard's projects")["run"], runner,
             PROJECTS=shard["projects"], CONTROL=CELLS[1], CHANGE=CELLS[3], PYTHON="3.11",
             FIRST_COMPATIBLE="false", TIMEOUT="600")  # fmt: skip
        (tmp_path / "shards").mkdir(exist_ok=True)  # what download-artifact makes of the uploads
        (runner / "shard-survey").rename(tmp_path / "shards" / f"survey-shard-{index}")
    summary = tmp_path / "summary.md"
    bash(step(workflow, "merge", "Merge the shards into one survey")["run"], tmp_path,
         ARTIFACT="survey-survey", GITHUB_STEP_SUMMARY=str(summary),
         PLAN=json.dumps(matrix))  # fmt: skip
    doc = output.check(json.loads((tmp_path / "merged" / "survey.json").read_text()))
    assert sorted(r["project"] for r in doc["rows"]) == ["dependency-groups", "pyproject-metadata"]
    for row in doc["rows"]:
        assert row["outcome"] == "works" and (tmp_path / "merged" / row["evidence"]).is_file()
    assert "| dependency-groups | 1.3.2 |" in summary.read_text()
