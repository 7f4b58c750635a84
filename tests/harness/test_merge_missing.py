"""``harness merge`` names every planned cell or project that no shard answered, and exits 3:
a sharded run records its whole selection (``plan.json``), and ``--plan`` takes what ``harness
plan`` printed. Fast: in-process, shard folders as runners leave them."""

import json

from harness import planned
from harness.cli import main
from harness.survey import row as rows

from .test_survey_merge import shard
from .test_survey_output import breaking_row
from .test_untrusted_input import store_in

CELLS = ["a", "b", "c", "d"]


def run_shards(tmp_path) -> list:
    folders = []
    for number, name in enumerate(CELLS, 1):
        folder = store_in(tmp_path / f"shard{number}", name)
        planned.record(folder, (number, len(CELLS)), CELLS)  # as `run --shard K/4` does
        folders.append(str(folder))
    return folders


def test_three_of_four_run_shards_name_the_missing_cell_and_exit_3(tmp_path, capsys):
    folders = run_shards(tmp_path)
    assert main(["merge", *folders[:3], "--reports", str(tmp_path / "partial")]) == 3
    err = capsys.readouterr().err
    assert "no shard answered the planned cell d" in err and "1 planned cell(s) missing" in err
    assert "cell a" not in err and "cell b" not in err
    assert main(["merge", *folders, "--reports", str(tmp_path / "whole")]) == 0
    assert "no shard answered" not in capsys.readouterr().err


def test_a_tampered_plan_record_is_named_and_not_followed(tmp_path, capsys):
    folders = run_shards(tmp_path)
    record = tmp_path / "shard1" / planned.FILE
    record.write_text(json.dumps({"harness": "plan", "planned": ["../../etc/passwd"]}))
    assert main(["merge", *folders, "--reports", str(tmp_path / "merged")]) == 3
    err = capsys.readouterr().err
    assert f"cannot read {record}" in err and "internal" not in err, err


def test_a_survey_merge_names_the_planned_projects_no_shard_answered(tmp_path, capsys):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    shard(tmp_path / "two", [rows.Row("tabulate", "0.9.0", rows.WORKS)])
    plan = tmp_path / "plan.json"  # what `harness plan --survey` printed for the matrix
    plan.write_text(json.dumps({"include": [
        {"shard": "1/3", "projects": "pint==0.23", "count": 1},
        {"shard": "2/3", "projects": "tabulate", "count": 1},
        {"shard": "3/3", "projects": "zarr==2.18.2 asteval", "count": 2}]}))  # fmt: skip
    arguments = ["--reports", str(tmp_path / "merged"), "--plan", str(plan)]
    assert main(["merge", str(one), str(tmp_path / "two"), *arguments]) == 3
    err = capsys.readouterr().err
    for name in ("zarr==2.18.2", "asteval"):
        assert f"no shard answered the planned project {name}" in err, err
    assert "pint" not in err and "tabulate" not in err


def test_a_plan_that_is_not_plan_s_output_is_bad_input(tmp_path, capsys):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    plan = tmp_path / "plan.json"
    plan.write_text("[" * 5000)
    assert main(["merge", str(one), "--reports", str(tmp_path / "m"), "--plan", str(plan)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--plan" in err and "internal" not in err, err
