"""Shards over CI runners: plan, one process per shard with its own reports folder, merge."""

import json
import os
import subprocess
import sys

import pytest

from harness.errors import HarnessError
from harness.model import Cell
from harness.stages.shard import parse, shard_count, shards


def harness(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          timeout=900, cwd=cwd, env=dict(os.environ))  # fmt: skip


def matrix(torches=("2.0.1", "2.1.2", "2.2.2"), numpys=("1.26.4", "2.2.6")):
    return [
        Cell(f"t{t}-n{n}", {"torch": f"=={t}", "numpy": f"=={n}"}) for t in torches for n in numpys
    ]


def test_cells_sharing_a_torch_release_stay_on_one_runner():
    cells = matrix()
    assert shard_count(cells) == 3 and shard_count(cells, limit=2) == 2
    two = shards(cells, 2)
    for shard in two:
        torches = {c.pins["torch"] for c in shard}
        assert all(sum(c.pins["torch"] == t for c in shard) == 2 for t in torches)
    assert sorted(c.name for s in two for c in s) == sorted(c.name for c in cells)
    assert shards(cells, 2) == two  # every runner computes the same shards


def test_shard_arguments():
    assert parse("2/8") == (2, 8) and parse(None) is None
    for bad in ("0/3", "4/3", "x", "1/"):
        with pytest.raises(HarnessError, match="--shard"):
            parse(bad)


ENVS = "pkg23-ok,pkg24-ok,pkg24-fail,pkg23-empty"


def comparable(folder):
    report = json.loads((folder / "compat.json").read_text())
    return {c["cell"]["name"]: (c["verdict"], c["tests"], sorted(f["test"] for f in c["failures"]))
            for c in report["cells"]}  # fmt: skip


@pytest.mark.integration
def test_plan_shards_merge_equals_one_local_run(tiny_project, tmp_path):
    single = harness(
        "run", "--project", str(tiny_project), "-e", ENVS, "--reports", str(tmp_path / "one")
    )
    assert single.returncode == 3, single.stdout + single.stderr  # pkg23-empty is not measured
    planned = harness("plan", "--project", str(tiny_project), "-e", ENVS, "--list")
    listed = json.loads(planned.stdout)
    assert [s["shard"] for s in listed] == ["1/4", "2/4", "3/4", "4/4"]
    matrix_json = json.loads(harness("plan", "--project", str(tiny_project), "-e", ENVS).stdout)
    assert len(matrix_json["include"]) == 4 and matrix_json["include"][0]["shard"] == "1/4"
    runners = [
        subprocess.Popen([sys.executable, "-m", "harness", "run", "--project", str(tiny_project), "-e", ENVS,
                          "--shard", s["shard"], "--reports", str(tmp_path / f"shard{n}")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n, s in enumerate(listed)
    ]  # fmt: skip
    for runner in runners:
        runner.communicate(timeout=900)
    merged = harness(
        "merge",
        *(str(tmp_path / f"shard{n}") for n in range(4)),
        "--reports",
        str(tmp_path / "merged"),
    )
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert comparable(tmp_path / "merged") == comparable(tmp_path / "one")
    assert (tmp_path / "merged" / "compat.html").is_file()
    log = json.loads((tmp_path / "merged" / "compat.json").read_text())["cells"][0]["log"]
    assert (tmp_path / "merged" / log).is_file()  # the run folders came along


@pytest.mark.integration
def test_conflicting_duplicates_are_reported_never_written_over(tiny_project, tmp_path):
    for folder in ("a", "b"):
        harness(
            "run",
            "--project",
            str(tiny_project),
            "-e",
            "pkg23-ok",
            "--reports",
            str(tmp_path / folder),
        )
    stored = tmp_path / "b" / "cells" / "pkg23-ok.json"
    data = json.loads(stored.read_text())
    data["verdict"], data["tests"]["failed"] = "fail", 1
    stored.write_text(json.dumps(data))
    merged = harness(
        "merge", str(tmp_path / "a"), str(tmp_path / "b"), "--reports", str(tmp_path / "m")
    )
    assert merged.returncode == 3 and "pkg23-ok conflicts" in merged.stderr
    assert comparable(tmp_path / "m")["pkg23-ok"][0] == "pass"
