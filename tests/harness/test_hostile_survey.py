"""Hostile input met by a survey and by what reads a stored result: an index's odd version, a
tampered link, a lock path outside the folder, a full disk, an sdist of too many files, a list
with a BOM. Each is a row or a one-line answer with its exit code, the table stays of its
schema, and decoys outside the harness's folders survive. Fast: a local index, no tox."""

import errno
import io
import json
import os
import sys
import tarfile
import zipfile

import pytest

from harness.cli import main
from harness.commands import gate as gate_command
from harness.model import Cell, CellResult, Counts
from harness.names import BadName, evidence_parts, within
from harness.survey import fetch, measure, output, wanted
from harness.survey import row as rows

from .test_survey_fetch import GOOD, index  # noqa: F401 - the local index, a fixture
from .test_survey_output import stood_in  # noqa: F401 - the cells stood in for, a fixture
from .test_untrusted_input import store_in, valid

WITH = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6"]


@pytest.mark.parametrize(
    "version, words",
    [("../../../decoy", "not a package and a version"), ("1.0\n::error::owned", "refused"),
     ("1.0/..", "not a package and a version")],
)  # fmt: skip
def test_an_odd_version_from_the_index_is_refused_before_it_is_recorded(
    index,  # noqa: F811 - the fixture
    tmp_path,
    capsys,
    version,
    words,
):
    decoy = tmp_path / "decoy"
    decoy.write_text("mine")
    index.add(version, "pkg-1.0.tar.gz", GOOD)
    reports = tmp_path / "s"
    assert main(["survey", "pkg", "other", *WITH, "--reports", str(reports)]) == 3
    out, err = capsys.readouterr()
    assert not any(line.startswith("::") for line in (out + err).splitlines()), err
    assert "internal error" not in out + err
    doc = output.check(json.loads((reports / "survey.json").read_text()))
    found = {r["project"]: r for r in doc["rows"]}
    assert found["pkg"]["version"] == "" and words in found["pkg"]["reason"]
    assert found["other"]["reason_kind"] == rows.NO_RELEASE  # its own row, untouched
    assert decoy.read_text() == "mine" and not (reports / "projects").exists()


def test_a_row_of_the_wrong_shape_is_its_own_and_every_save_still_works(
    tmp_path,
    stood_in,  # noqa: F811
    monkeypatch,
):
    original = measure.measure

    def odd_for_b(sdist, options, progress=None):
        found = original(sdist, options, progress)
        if sdist.project == "b":
            found.row.version = "../x"
        return found

    monkeypatch.setattr(measure, "measure", odd_for_b)
    assert main(["survey", "a", "b", "c", *WITH, "--reports", str(tmp_path / "s")]) == 3
    doc = output.check(json.loads((tmp_path / "s" / "survey.json").read_text()))
    found = {r["project"]: r for r in doc["rows"]}
    assert (found["a"]["outcome"], found["c"]["outcome"]) == ("works", "works")
    assert found["b"]["reason_kind"] == rows.INTERNAL and "rows/" not in found["b"]["reason"]
    assert "wrong shape at version" in found["b"]["reason"]


def test_survey_output_cannot_form_a_workflow_command(capsys):
    from harness.commands.survey import say

    say("pkg 1.0\n::error::owned\r##[error]x")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "::error::owned" in err and "\\n::error" in err
    assert "##\\[error]" in err


def test_a_tampered_evidence_link_is_refused_like_a_name(tmp_path, capsys):
    row = rows.Row("a", "1.0", rows.WORKS, evidence="projects/a-1.0/reports/compat.html")
    doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "", 1.0, False)
    assert output.check(doc) is doc
    for bad in ("../../../../etc/passwd", "projects/../../x/reports/compat.html", "/etc/passwd",
                "projects/a-1.0/reports/../../../../etc/passwd"):  # fmt: skip
        doc["rows"][0]["evidence"] = bad
        with pytest.raises(ValueError, match="rows/0/evidence"):
            output.check(doc)
        with pytest.raises(BadName):
            evidence_parts(bad)
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / ".harness-reports").write_text(json.dumps({"harness": "reports", "format": 1}))
    (folder / "survey.json").write_text(json.dumps(doc))
    assert main(["survey", "a", *WITH, "--reports", str(folder), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "evidence" in err and "internal" not in err, err


def test_a_full_disk_while_unpacking_is_a_disk_row_naming_the_path(
    index,  # noqa: F811 - the fixture
    tmp_path,
    monkeypatch,
):
    index.add("1.0", "pkg-1.0.tar.gz", GOOD)
    sdist = fetch.choose(fetch.release("pkg"))

    def full(archive, destination):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(destination / "pkg" / "a.py"))

    monkeypatch.setattr(fetch, "extract", full)
    options = measure.SurveyOptions(reports=tmp_path / "s", changes=WITH[1::2])
    row = measure.measure(sdist, options).row
    assert row.reason_kind == rows.DISK, row.reason
    assert "the disk is full" in row.reason and str(tmp_path / "s") in row.reason


def _many(kind: str, count: int) -> bytes:
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w") as archive:
            for number in range(count):
                archive.writestr(f"pkg-1.0/f{number}", "")
        return buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for number in range(count):
            archive.addfile(tarfile.TarInfo(f"pkg-1.0/f{number}"), io.BytesIO(b""))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_sdist_of_too_many_members_is_refused_and_nothing_kept(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(fetch, "MAX_MEMBERS", 500)  # the real bound, 50,000, costs seconds here
    archive = tmp_path / f"pkg-1.0.{kind}"
    archive.write_bytes(_many(kind, 501))
    with pytest.raises(rows.Unmeasurable, match="more than 500 members") as caught:
        fetch.extract(archive, tmp_path / "src")
    assert caught.value.kind == rows.BAD_SDIST
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name]  # nothing unpacked
    archive.write_bytes(_many(kind, 500))
    assert len(list(fetch.extract(archive, tmp_path / "src").iterdir())) == 500


def test_a_list_with_a_bom_is_read(tmp_path):
    listed = tmp_path / "list.txt"
    listed.write_bytes("\ufeffa\nb==1.0  # pinned\n".encode())
    assert wanted.read_list(listed, "--from-file") == ["a", "b==1.0"]
    assert wanted.wanted_of(wanted.read_list(listed, "--from-file")[0]) == wanted.Wanted("a")


def test_plan_counts_a_name_listed_bare_and_pinned_once_and_keeps_it_together(tmp_path, capsys):
    listed = tmp_path / "list.txt"
    listed.write_bytes("\ufefffine\nfine==1.0\nother\n".encode())
    assert main(["plan", "--survey", str(listed), "--min-work", "0", "--list"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["projects"] for s in plan] == [["fine", "fine==1.0"], ["other"]]
    assert [s["releases"] for s in plan] == [1, 1]


def stored_with_lock(folder, lock: str):
    store_in(folder, "a")
    (folder / "cells" / "a.json").write_text(json.dumps(valid("a", lock=lock)))


def test_clean_cache_never_follows_a_lock_path_out_of_its_folders(tmp_path, capsys, monkeypatch):
    decoy = tmp_path / "decoy.txt"
    decoy.write_text("numpy==1.26.4\n")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = a\n")
    (project / "inside.txt").symlink_to(decoy)
    for lock in (str(decoy), "../decoy.txt", "inside.txt"):
        reports = tmp_path / f"r{len(lock)}"
        stored_with_lock(reports, lock)
        arguments = ["clean", "--cache", "--project", str(project), "--reports", str(reports)]
        assert main(arguments) == 0
        out, err = capsys.readouterr()
        assert "cleaned 0 package(s)" in out and f"names the lock {lock!r}" in err, out + err
    assert decoy.read_text() == "numpy==1.26.4\n"


def test_a_stored_lock_path_is_used_only_inside_its_folders(tmp_path):
    project, reports = tmp_path / "project", tmp_path / "reports"
    (reports / "locks").mkdir(parents=True)
    project.mkdir()
    (project / "uv.lock").write_text("")
    (reports / "locks" / "a.txt").write_text("numpy==2.2.6\n")
    (tmp_path / "decoy.txt").write_text("numpy==1.26.4\n")
    (reports / "locks" / "b.txt").symlink_to(tmp_path / "decoy.txt")
    assert within("uv.lock", project, reports) == project / "uv.lock"
    assert within(str(reports / "locks" / "a.txt"), project, reports) == reports / "locks/a.txt"
    for bad in (str(tmp_path / "decoy.txt"), "../decoy.txt", str(reports / "locks" / "b.txt"),
                "", None, 5):  # fmt: skip
        assert within(bad, project, reports) is None, bad
    result = CellResult(Cell("a", {}), "pass", Counts(passed=1), lock=str(tmp_path / "decoy.txt"))
    assert gate_command._closure(project, result, reports) == {}  # the gate reads no decoy
    result.lock = str(reports / "locks" / "a.txt")
    assert gate_command._closure(project, result, reports) == {"numpy": "2.2.6"}


if sys.platform == "win32":  # pragma: no cover
    pytest.skip("POSIX links", allow_module_level=True)
