"""``harness merge`` of the folders a survey's shards uploaded (``survey.merge``): their rows and
each project's evidence in one survey; a folder of another comparison refused, a broken one
left out and named, a project answered twice two ways named, nothing read through a link."""

import json
import os

import pytest

from harness.cli import main
from harness.survey import output
from harness.survey import row as rows
from tests.harness.test_survey_output import breaking_row

GROUPS = ["numpy==1.26.4", "numpy==2.2.6"]


def shard(folder, found, groups=GROUPS, wall_s=60.0, evidence=True):
    """A survey folder as a shard's runner leaves it: survey.json/md/html and its projects."""
    folder.mkdir(parents=True)
    (folder / ".harness-reports").write_text("survey\n")
    for row in found:
        if evidence and row.evidence:
            (folder / row.evidence).parent.mkdir(parents=True)
            (folder / row.evidence).write_text(f"<p>{row.project}</p>")
    output.save(output.document(found, groups, "3.11", wall_s, False), folder)
    return folder


def merged(tmp_path) -> dict:
    return json.loads((tmp_path / "merged" / "survey.json").read_text())


def test_the_shards_rows_and_evidence_become_one_survey(tmp_path, capsys):
    works = rows.Row(
        "tabulate", "0.9.0", rows.WORKS, evidence="projects/tabulate-0.9.0/reports/compat.html"
    )
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")], wall_s=100.0)
    two = shard(tmp_path / "two", [works, rows.Row("gone", "1", reason_kind=rows.NO_SDIST,
                                                   reason="no sdist")], wall_s=250.0)  # fmt: skip
    assert main(["merge", str(one), str(two), "--reports", str(tmp_path / "merged")]) == 0
    doc = output.check(merged(tmp_path))
    assert [r["project"] for r in doc["rows"]] == ["pint", "tabulate", "gone"]
    assert doc["summary"]["breaks"] == 1 and doc["summary"]["works"] == 1
    assert doc["summary"]["wall_s"] == 250.0  # the shards ran side by side
    for row in doc["rows"][:2]:
        assert (tmp_path / "merged" / row["evidence"]).read_text() == f"<p>{row['project']}</p>"
    assert "3 project row(s) from 2 folder(s)" in capsys.readouterr().out
    assert (tmp_path / "merged" / "survey.md").is_file()
    assert (tmp_path / "merged" / "survey.html").is_file()


def test_a_project_answered_two_ways_keeps_the_first_and_exits_3(tmp_path, capsys):
    works = breaking_row("pint", "0.23")
    works.outcome, works.broken_tests = rows.WORKS, []
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    two = shard(tmp_path / "two", [works], evidence=False)
    assert main(["merge", str(one), str(two), "--reports", str(tmp_path / "merged")]) == 3
    err = capsys.readouterr().err
    assert (
        "pint==0.23 conflicts: breaks, 1 broken: 't.py::test_<script>x'… against works; the "
        "first is kept" in err
    )
    assert [r["outcome"] for r in merged(tmp_path)["rows"]] == ["breaks"]


def test_a_shard_of_another_comparison_is_refused_in_one_line(tmp_path, capsys):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    two = shard(
        tmp_path / "two", [breaking_row("pint", "0.24")], groups=["numpy==1.26.4", "numpy==2.1.0"]
    )
    assert main(["merge", str(one), str(two), "--reports", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert "holds a survey of numpy==1.26.4 vs numpy==2.1.0" in err and len(err.splitlines()) == 1


def test_a_broken_survey_is_left_out_and_named(tmp_path, capsys):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    two = shard(tmp_path / "two", [breaking_row("quantities", "0.15.0")])
    doc = json.loads((two / "survey.json").read_text())
    doc["rows"][0]["outcome"] = "fine"
    (two / "survey.json").write_text(json.dumps(doc))
    assert main(["merge", str(one), str(two), "--reports", str(tmp_path / "merged")]) == 3
    assert "cannot read" in capsys.readouterr().err
    assert [r["project"] for r in merged(tmp_path)["rows"]] == ["pint"]


@pytest.mark.parametrize("where", ["source", "target"])
def test_surveys_and_cell_results_are_not_mixed(tmp_path, capsys, where):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    run = tmp_path / "run"
    (run / "cells").mkdir(parents=True)  # what harness run --shard leaves
    sources, target = ([one, run], tmp_path / "m") if where == "source" else ([one], run)
    assert main(["merge", *map(str, sources), "--reports", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"{run} holds a run's cell results" in err and len(err.splitlines()) == 1


def test_a_shard_that_stopped_before_its_first_row_is_named_and_the_rest_merged(tmp_path, capsys):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    crashed = tmp_path / "crashed"
    (crashed / "projects").mkdir(parents=True)
    (crashed / ".harness-reports").write_text("survey\n")
    assert main(["merge", str(one), str(crashed), "--reports", str(tmp_path / "merged")]) == 3
    assert "crashed/survey.json (no survey.json" in capsys.readouterr().err
    assert [r["project"] for r in merged(tmp_path)["rows"]] == ["pint"]


def test_nothing_readable_says_why_and_exits_3(tmp_path, capsys):
    crashed = tmp_path / "crashed"
    (crashed / "projects").mkdir(parents=True)
    bad = shard(tmp_path / "bad", [breaking_row("pint", "0.23")])
    (bad / "survey.json").write_text("{")
    assert main(["merge", str(bad), str(crashed), "--reports", str(tmp_path / "merged")]) == 3
    err = capsys.readouterr().err
    assert err.count("cannot read") == 2 and "nothing merged" in err
    assert not (tmp_path / "merged" / "survey.json").exists()


def test_a_measurement_replaces_a_timeout_whichever_folder_comes_first(tmp_path, capsys):
    timed_out = rows.Row("pint", "0.23", reason_kind=rows.TIMED_OUT, reason="cell timed out")
    one = shard(tmp_path / "one", [timed_out])
    two = shard(tmp_path / "two", [breaking_row("pint", "0.23")])
    assert main(["merge", str(one), str(two), "--reports", str(tmp_path / "merged")]) == 0
    (row,) = merged(tmp_path)["rows"]
    assert row["outcome"] == "breaks" and "conflicts" not in capsys.readouterr().err
    assert main(["merge", str(one), "--reports", str(tmp_path / "merged")]) == 0  # and after it
    assert [r["outcome"] for r in merged(tmp_path)["rows"]] == ["breaks"]


def test_a_target_of_another_comparison_is_named_beside_the_shard(tmp_path, capsys):
    other = ["numpy==1.26.4", "numpy==2.1.0"]
    shard(tmp_path / "merged", [breaking_row("pint", "0.24")], groups=other)
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    assert main(["merge", str(one), "--reports", str(tmp_path / "merged")]) == 2
    err = capsys.readouterr().err
    assert f"{one} holds a survey of numpy==1.26.4 vs numpy==2.2.6" in err
    assert f"{tmp_path / 'merged'} one of numpy==1.26.4 vs numpy==2.1.0" in err


@pytest.mark.parametrize(("field", "value"), [
    ("project", "pint\n::error::forged"), ("project", "[x](https://evil.example)"),
    ("version", "1.0 | <b>"), ("project", "../../etc"),
])  # fmt: skip
def test_a_row_with_an_odd_name_makes_its_shard_unreadable(tmp_path, capsys, field, value):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")], evidence=False)
    doc = json.loads((one / "survey.json").read_text())
    doc["rows"][0][field] = value
    (one / "survey.json").write_text(json.dumps(doc))
    good = shard(tmp_path / "good", [breaking_row("quantities", "0.15.0")], evidence=False)
    assert main(["merge", str(good), str(one), "--reports", str(tmp_path / "merged")]) == 3
    err = capsys.readouterr().err
    assert f"rows/0/{field}" in err and len(err.splitlines()) == 1
    assert [r["project"] for r in merged(tmp_path)["rows"]] == ["quantities"]


@pytest.mark.parametrize("linked", ["projects", "projects/pint-0.23", "projects/pint-0.23/reports"])
def test_evidence_behind_a_link_is_not_followed(tmp_path, linked):
    secret = tmp_path / "secret"
    (secret / "reports").mkdir(parents=True)
    (secret / "reports" / "compat.html").write_text("secret")
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")], evidence=False)
    target = one / linked
    target.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret / "reports" if linked.endswith("reports") else
               (secret if linked.endswith("0.23") else tmp_path / "secret-projects"), target)  # fmt: skip
    (tmp_path / "secret-projects" / "pint-0.23").mkdir(parents=True)
    os.symlink(secret / "reports", tmp_path / "secret-projects" / "pint-0.23" / "reports")
    assert main(["merge", str(one), "--reports", str(tmp_path / "merged")]) == 0
    (row,) = merged(tmp_path)["rows"]
    assert row["evidence"] == ""
    assert "secret" not in "".join(p.read_text() for p in (tmp_path / "merged").rglob("*.html"))


def test_a_second_merge_into_the_same_folder_accumulates(tmp_path):
    one = shard(tmp_path / "one", [breaking_row("pint", "0.23")])
    two = shard(tmp_path / "two", [breaking_row("quantities", "0.15.0")])
    assert main(["merge", str(one), "--reports", str(tmp_path / "merged")]) == 0
    assert main(["merge", str(two), "--reports", str(tmp_path / "merged")]) == 0
    assert [r["project"] for r in merged(tmp_path)["rows"]] == ["pint", "quantities"]
