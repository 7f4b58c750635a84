"""``harness survey`` on two small real projects from the index, across two packaging releases:
one tests itself with a dependency group (the harness writes its tox.ini), the other with its
own ``[tool.tox]``, the two measured side by side; then ``--resume`` keeps both rows without running a cell."""

import json
import subprocess
import sys

import pytest

from harness.survey import output

PROJECTS = ["pyproject-metadata==0.12.1", "dependency-groups==1.3.2"]
CELLS = ["--with", "packaging==24.2", "--with", "packaging==25.0", "--python", "3.11"]


def survey(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "survey", *arguments],
                          capture_output=True, text=True, timeout=1500)  # fmt: skip


@pytest.mark.integration
def test_a_survey_of_two_real_projects_then_resumed(tmp_path):
    reports = tmp_path / "survey"
    done = survey(*PROJECTS, *CELLS, "--reports", str(reports), "--parallel", "2")
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
        assert len(row["sdist"]["sha256"]) == 64
        assert not (reports / row["evidence"]).parent.joinpath("envs").exists()  # removed once done
    assert doc["summary"]["works"] == 2 and "2 works" in (reports / "survey.md").read_text()
    again = survey(*PROJECTS, *CELLS, "--reports", str(reports), "--resume")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr.count(": kept (works)") == 2 and "locking" not in again.stderr
