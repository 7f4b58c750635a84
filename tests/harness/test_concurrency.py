"""Two harness runs on one project at once never mix: each matches a run made alone."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

ENVS = "pkg23-ok,pkg24-ok,pkg24-fail"
ROUNDS = 3


def start(project, reports):
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--project", str(project), "-e", ENVS,
         "--reports", str(reports), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def measured(reports) -> dict:
    cells = json.loads((reports / "compat.json").read_text())["cells"]
    return {
        c["cell"]["name"]: (c["verdict"], c["tests"]["passed"], c["tests"]["failed"],
                            c["versions"]["packaging"], len(c["invocations"]))
        for c in cells
    }  # fmt: skip


def test_concurrent_runs_on_one_project_each_match_a_solo_run(tiny_project, tmp_path):
    solo = start(tiny_project, tmp_path / "solo")
    assert solo.wait(timeout=600) == 1, solo.stdout.read()  # pkg24-fail is not declared
    alone = measured(tmp_path / "solo")
    assert alone == {
        "pkg23-ok": ("pass", 2, 0, "23.2", 1),
        "pkg24-ok": ("pass", 2, 0, "24.1", 1),
        "pkg24-fail": ("fail", 1, 1, "24.1", 1),
    }
    for round_ in range(ROUNDS):
        folders = [tmp_path / f"r{round_}-{side}" for side in ("a", "b")]
        runs = [start(tiny_project, folder) for folder in folders]
        for run in runs:
            assert run.wait(timeout=600) == 1, run.stdout.read()
        for folder in folders:
            assert measured(folder) == alone, f"round {round_}: {folder.name}"
