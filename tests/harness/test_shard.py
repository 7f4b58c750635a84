"""Shards over CI runners: plan, one process per shard with its own reports folder, merge."""

import json
import os
import subprocess
import sys

import pytest

from harness.cli import main
from harness.commands import plan
from harness.errors import HarnessError
from harness.model import Cell, CellResult
from harness.report import compat
from harness.stages.shard import DEFAULT_CELL_S, MIN_SHARD_S, parse, shard_count, shards


def harness(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          timeout=900, cwd=cwd, env=dict(os.environ))  # fmt: skip


def matrix(torches=("2.0.1", "2.1.2", "2.2.2"), numpys=("1.26.4", "2.2.6")):
    return [
        Cell(f"t{t}-n{n}", {"torch": f"=={t}", "numpy": f"=={n}"}) for t in torches for n in numpys
    ]


def test_cells_sharing_a_torch_release_stay_on_one_runner():
    cells = matrix()
    assert shard_count(cells, min_work=0) == 3 and shard_count(cells, limit=2, min_work=0) == 2
    two = shards(cells, 2)
    for shard in two:
        torches = {c.pins["torch"] for c in shard}
        assert all(sum(c.pins["torch"] == t for c in shard) == 2 for t in torches)
    assert sorted(c.name for s in two for c in s) == sorted(c.name for c in cells)
    assert shards(cells, 2) == two  # every runner computes the same shards


def test_no_more_shards_than_the_work_warrants():
    two = [Cell("a", {"torch": "==2.1.2"}), Cell("b", {"torch": "==2.2.2"})]
    assert shard_count(two, durations={"a": 15, "b": 15}) == 1  # 30 s: one runner
    assert shard_count(two) == 1  # never measured: 2 x DEFAULT_CELL_S is under MIN_SHARD_S
    assert 2 * DEFAULT_CELL_S < MIN_SHARD_S
    assert shard_count(two, durations={"a": 900, "b": 900}) == 2  # 30 min: a runner each
    assert shard_count(two, durations={"a": 900, "b": 15}) == 1  # 915 s: one shard's worth
    six = matrix()  # 3 torch groups of 2 cells
    assert shard_count(six) == 1  # 6 x 120 s = 12 min: one shard's worth
    long = {c.name: 400 for c in six}  # 40 min in all: four shards' worth, but only 3 groups
    assert shard_count(six, durations=long) == 3 and shard_count(six, 2, durations=long) == 2
    assert shard_count(six, durations=long, min_work=1200) == 2
    assert shard_count([]) == 1
    full = matrix(torches=[f"2.{m}.0" for m in range(16)], numpys=("1", "2", "3", "4"))
    assert shard_count(full) == 64 * DEFAULT_CELL_S // MIN_SHARD_S == 12  # of 16 groups
    assert len(shards(full, 12)) == 12  # whole groups still: 4 shards hold 2 releases
    assert sorted(len({c.pins["torch"] for c in s}) for s in shards(full, 12)) == [1] * 8 + [2] * 4


def report_of(tmp_path, seconds: dict):
    results = [CellResult(Cell(name, {}), "pass", duration_s=s) for name, s in seconds.items()]
    path = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    path.write_text(json.dumps(compat.build(results, tmp_path, [], False, {})))
    return path


def test_plan_takes_recorded_durations_from_reports(tmp_path, monkeypatch, capsys):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    cells = matrix()  # 3 groups, 6 cells
    monkeypatch.setattr(plan.matrix, "select", lambda *args: cells)

    def planned(*args):
        assert main(["plan", "--project", str(tmp_path), "--list", *args]) == 0
        return json.loads(capsys.readouterr().out)

    assert [s["shard"] for s in planned()] == ["1/1"]
    assert planned()[0]["estimated_s"] == 6 * DEFAULT_CELL_S
    slow = report_of(tmp_path, {c.name: 700 for c in cells[:4]})  # two groups measured slow
    folder = tmp_path / "measured"
    folder.mkdir()
    report_of(tmp_path, {cells[0].name: 1000}).rename(folder / "compat.json")
    listed = planned("--durations", str(slow), "--durations", str(folder))
    assert [s["shard"] for s in listed] == ["1/3", "2/3", "3/3"]  # 4340 s: 3 groups' worth
    assert sum(s["estimated_s"] for s in listed) == 1000 + 3 * 700 + 2 * DEFAULT_CELL_S
    assert [s["shard"] for s in planned("--min-work", "0")] == ["1/3", "2/3", "3/3"]
    assert main(["plan", "--project", str(tmp_path), "--max-jobs", "2", "--min-work", "0"]) == 0
    matrix_json = json.loads(capsys.readouterr().out)
    assert [s["shard"] for s in matrix_json["include"]] == ["1/2", "2/2"]


@pytest.mark.parametrize(
    "bad, message",
    [(["--min-work", "-1"], "--min-work must be 0 or more"), (["--min-work", "nan"], "--min-work"),
     (["--durations", "missing.json"], "--durations missing.json"),
     (["--durations", "other.json"], "is not a harness compat report"),
     (["--max-jobs", "0"], "--max-jobs")],
)  # fmt: skip
def test_plan_refuses_bad_input(tmp_path, monkeypatch, capsys, bad, message):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    (tmp_path / "other.json").write_text('{"schema": "harness.gate/1"}')
    monkeypatch.setattr(plan.matrix, "select", lambda *args: matrix())
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--project", str(tmp_path), *bad]) == 2
    assert message in capsys.readouterr().err


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
    planned = harness(
        "plan", "--project", str(tiny_project), "-e", ENVS, "--list", "--min-work", "0"
    )
    listed = json.loads(planned.stdout)
    assert [s["shard"] for s in listed] == ["1/4", "2/4", "3/4", "4/4"]
    matrix_json = json.loads(
        harness("plan", "--project", str(tiny_project), "-e", ENVS, "--min-work", "0").stdout
    )
    assert len(matrix_json["include"]) == 4 and matrix_json["include"][0]["shard"] == "1/4"
    warranted = json.loads(harness("plan", "--project", str(tiny_project), "-e", ENVS).stdout)
    assert [s["shard"] for s in warranted["include"]] == ["1/1"]  # 4 small cells: one runner
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
    partial = harness("merge", *(str(tmp_path / f"shard{n}") for n in range(3)),
                      "--reports", str(tmp_path / "partial"))  # fmt: skip
    assert partial.returncode == 3, partial.stdout + partial.stderr  # shard 4/4 never uploaded
    assert partial.stderr.count("no shard answered the planned cell") == 1, partial.stderr
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
