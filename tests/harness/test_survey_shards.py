"""A survey's project list cut into CI shards (``survey.shards``) and ``harness plan --survey``:
no more shards than the work warrants, the work balanced, each shard's projects in the list's
order, durations taken from a stored survey."""

import json

import pytest

from harness.cli import main
from harness.survey import output, shards
from tests.harness.test_survey_output import breaking_row

LISTED = ["a==1", "b==1", "c==1", "d==1", "e==1"]


def test_every_project_is_in_exactly_one_shard_in_the_list_s_order():
    found = shards.split(LISTED, 2, {})
    assert sorted(p for shard in found for p in shard) == sorted(LISTED)
    for shard in found:
        assert shard == sorted(shard, key=LISTED.index)


def test_the_longest_projects_are_spread_so_the_shards_end_together():
    durations = {"a==1": 1000.0, "b==1": 900.0, "c==1": 100.0, "d==1": 100.0, "e==1": 100.0}
    found = shards.split(LISTED, 2, durations)
    loads = sorted(sum(durations[p] for p in shard) for shard in found)
    assert loads == [1100.0, 1100.0]
    assert not any({"a==1", "b==1"} <= set(shard) for shard in found)  # the two longest apart


@pytest.mark.parametrize(("min_work", "limit", "expected"), [
    (300.0, 256, 5), (600.0, 256, 2), (1e9, 256, 1), (0.0, 256, 5), (0.0, 3, 3), (300.0, 2, 2),
])  # fmt: skip
def test_no_more_shards_than_the_work_warrants(min_work, limit, expected):
    assert shards.count(LISTED, limit, {}, min_work) == expected  # 300 s each by default


def test_a_stored_survey_gives_each_project_its_row_and_bisection_time():
    row = breaking_row("pint", "0.23")
    row.first_compatible_search = {"steps": [{"version": "0.24", "seconds": 40.0}]}
    doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 60.0, False)
    found = shards.recorded(doc)
    assert found == {"pint==0.23": 52.5, "pint": 52.5}
    assert shards.estimate("pint==0.23", found) == 52.5
    assert shards.estimate("other", found) == shards.DEFAULT_PROJECT_S


def test_plan_prints_the_survey_s_shards_for_a_matrix(tmp_path, capsys):
    listed = tmp_path / "list.txt"
    listed.write_text("# a comment\n" + "\n".join(LISTED) + "\nb==1\n")
    assert main(["plan", "--survey", str(listed), "--min-work", "600"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert [s["shard"] for s in matrix["include"]] == ["1/2", "2/2"]
    projects = [p for s in matrix["include"] for p in s["projects"].split()]
    assert sorted(projects) == LISTED  # each once, ready for `harness survey $PROJECTS`
    assert sum(s["count"] for s in matrix["include"]) == 5


def test_plan_reads_durations_from_a_survey_folder(tmp_path, capsys):
    listed = tmp_path / "list.txt"
    listed.write_text("pint==0.23\nother==1\n")
    folder = tmp_path / "survey"
    folder.mkdir()
    output.save(output.document([breaking_row("pint", "0.23")], ["numpy==1.26.4", "numpy==2.2.6"],
                                "3.11", 60.0, False), folder)  # fmt: skip
    assert main(["plan", "--survey", str(listed), "--durations", str(folder), "--list"]) == 0
    (shard,) = json.loads(capsys.readouterr().out)
    assert shard["estimated_s"] == round(12.5 + shards.DEFAULT_PROJECT_S)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "--survey .*: no such file"),
    (lambda p: p.write_text("pint>=1\n"), "give a project name, optionally ==VERSION"),
    (lambda p: p.write_text("# nothing\n"), "--survey .* lists no project"),
    (lambda p: p.write_bytes(b"\xff\xfe"), "--survey .*: 'utf-8' codec"),
])  # fmt: skip
def test_a_bad_list_is_one_line_and_exit_2(tmp_path, capsys, make, message):
    listed = tmp_path / "list.txt"
    make(listed)
    assert main(["plan", "--survey", str(listed)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert __import__("re").search(message, err), err


def test_a_duration_that_is_no_number_estimates_nothing():
    row = breaking_row("pint", "0.23")
    row.duration_s = float("nan")
    doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 60.0, False)
    assert shards.recorded(doc) == {}
