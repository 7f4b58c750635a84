"""--as-of: the option, declared once; the exemptions; the date in each lock, result, survey
row and report; the Python a survey runs a project on without --python."""

import json
import sys

import pytest

from harness.cli import build_parser, main
from harness.commands import survey as command
from harness.errors import HarnessError
from harness.model import Cell, CellResult, Counts
from harness.report import markdown
from harness.stages import asof
from harness.stages.lock import header, is_current, locked_for
from harness.survey import attempts, fetch, measure, output, pythons
from harness.survey import row as rows

WITH = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6"]
CUT = "2020-07-09T00:00:00Z"


@pytest.mark.parametrize(("given", "meant"), [
    ("2022-06-01", "2022-06-01T00:00:00Z"),
    ("2022-06-01T12:30:00Z", "2022-06-01T12:30:00Z"),
    ("2022-06-01T14:30:00+02:00", "2022-06-01T12:30:00Z"),  # told in UTC
    ("2020-12-22T11:32:20.123456Z", "2020-12-22T11:32:20Z"),  # as the index writes upload times
    ("", ""),
])  # fmt: skip
def test_a_date_is_read_as_one_utc_time(given, meant):
    assert asof.parse(given) == meant


@pytest.mark.parametrize("given", ["yesterday", "2022-13-01", "2999-01-01", "release"])
def test_what_is_not_a_past_date_is_refused(given):
    with pytest.raises(HarnessError, match="--as-of"):
        asof.parse(given)
    assert asof.parse("release", release=True) == asof.RELEASE


def test_the_option_is_declared_once_and_shared_by_every_command_that_locks():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    helps = {name: commands[name]._option_string_actions["--as-of"].help
             for name in ("run", "gate", "bisect", "lock", "survey", "probe")}  # fmt: skip
    assert len(set(helps.values())) == 1 and "release" in helps["run"]
    assert "--as-of" not in commands["report"]._option_string_actions


@pytest.mark.parametrize("arguments", [
    ["lock", "--as-of", "release"],  # a local project has no upload date
    ["run", "--as-of", "2022-02-30"],
    ["gate", "--as-of", "soon"],
])  # fmt: skip
def test_a_bad_date_exits_2_in_one_line(tmp_path, capsys, arguments):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n[testenv]\ncommands = pytest\n")
    assert main([*arguments, "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_uv_options_exempt_each_pin_and_what_it_forces_forward():
    cell = Cell("c", {"NumPy": "==2.2.6", "torch": "==2.5.1"}, as_of=CUT)
    exempt = asof.Exempt(CUT, asof.pinned(cell), ["sympy"])
    moment = asof.datetime.datetime(2026, 1, 2, tzinfo=asof.datetime.timezone.utc)
    args = asof.arguments(exempt.as_of, exempt.pinned + exempt.forced, moment)
    assert args == ["--exclude-newer", CUT,
                    "--exclude-newer-package", "numpy=2026-01-02T00:00:00Z",
                    "--exclude-newer-package", "torch=2026-01-02T00:00:00Z",
                    "--exclude-newer-package", "sympy=2026-01-02T00:00:00Z"]  # fmt: skip
    assert asof.arguments("", ["numpy"]) == []  # no date asked: nothing changes


def test_a_lock_names_its_date_and_a_lock_of_another_date_is_stale(tmp_path):
    cell = Cell("c", {"numpy": "==2.2.6"}, ["numpy==2.2.6"], as_of=CUT)
    exempt = asof.Exempt(CUT, ["numpy"], ["sympy"])
    path = tmp_path / "c.txt"
    path.write_text(header(cell, tmp_path) + "# python: 3.11\n" + exempt.line() + "numpy==2.2.6\n")
    assert "as of 2020-07-09T00:00:00Z" in path.read_text().splitlines()[0]
    assert asof.read(path) == exempt and locked_for(path) == "3.11"
    assert exempt.exempted() == ["numpy (pinned)", "sympy (forced forward)"]
    assert exempt.words() == "as of 2020-07-09 (numpy pinned; sympy forced forward)"
    assert is_current(cell, path, tmp_path)
    for other in ("", "2021-01-01T00:00:00Z"):  # now, or another date: locked again
        assert not is_current(Cell("c", {"numpy": "==2.2.6"}, ["numpy==2.2.6"], as_of=other),
                              path, tmp_path)  # fmt: skip
    assert asof.read(tmp_path / "none.txt") == asof.Exempt()


def test_the_cells_report_shows_the_date_and_what_it_exempted():
    result = CellResult(Cell("c", {"numpy": "==2.2.6"}, as_of=CUT), "pass", Counts(passed=3),
                        as_of=CUT, exempt=["numpy (pinned)"])  # fmt: skip
    text = "\n".join(markdown._cells_tables([result], {}))
    assert "resolved as of 2020-07-09T00:00:00Z; exempt: numpy (pinned)" in text
    again = CellResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert (again.as_of, again.exempt, again.cell.as_of) == (CUT, ["numpy (pinned)"], CUT)


def test_the_release_date_is_the_sdist_s_upload_time():
    data = {"info": {"name": "opt_einsum", "version": "3.3.0"},
            "urls": [{"packagetype": "sdist", "filename": "opt_einsum-3.3.0.tar.gz", "url": "u",
                      "digests": {"sha256": "0" * 64},
                      "upload_time_iso_8601": "2020-07-19T22:40:32.116418Z"}]}  # fmt: skip
    assert fetch.choose(data).uploaded == "2020-07-19T22:40:32Z"
    data["urls"][0]["upload_time_iso_8601"] = "not a time"
    assert fetch.choose(data).uploaded == ""


def dated_row() -> rows.Row:
    return rows.Row("opt-einsum", "3.3.0", rows.WORKS, as_of="2020-07-19T22:40:32Z",
                    as_of_note="measured again as of its release; with today's tools no-tests: x",
                    cells=[{"cell": "py311-with_numpy2.2.6", "role": "change", "with": "numpy==2.2.6",
                            "verdict": "pass", "tests": {"passed": 3}, "signatures": {},
                            "as_of": "2020-07-19T22:40:32Z", "exempt": ["numpy (pinned)"]}])  # fmt: skip


def test_the_row_the_table_and_the_page_say_the_date_and_why():
    doc = output.document([dated_row()], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 1.0, False,
                          asof.RELEASE)  # fmt: skip
    assert output.check(doc) is doc and doc["as_of"] == "release"
    assert doc["rows"][0]["as_of"] == "2020-07-19T22:40:32Z"
    text = output.markdown(doc)
    assert "on Python 3.11, as of each project's release" in text
    assert "as of 2020-07-19T22:40:32Z (measured again as of its release; with today's" in text
    page = output.page.render(doc)
    assert (
        "as of each project&#x27;s release" in page and "measured again as of its release" in page
    )
    plain = output.document([rows.Row("a", "1", rows.WORKS)], ["a==1", "a==2"], "", 1.0, False)
    assert "as_of" not in plain and "as of" not in output.markdown(plain)


def test_a_folder_of_another_date_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        command,
        "_resolve",
        lambda wanted: {
            w: fetch.Sdist(w.name, "1.0", f"{w.name}-1.0.tar.gz", "u", "0" * 64) for w in wanted
        },
    )
    monkeypatch.setattr(measure, "measure", lambda sdist, options, progress=None: measure.Surveyed(
        rows.Row(sdist.project, sdist.version, rows.WORKS, as_of=options.as_of)))  # fmt: skip
    folder = ["--reports", str(tmp_path / "s")]
    assert main(["survey", "a", *WITH, *folder, "--as-of", "2022-06-01"]) == 0
    doc = json.loads((tmp_path / "s" / "survey.json").read_text())
    assert doc["as_of"] == doc["rows"][0]["as_of"] == "2022-06-01T00:00:00Z"
    assert main(["survey", "a", *WITH, *folder]) == 2
    assert "as of 2022-06-01" in capsys.readouterr().err


def result(passed: int, verdict: str = "fail") -> CellResult:
    return CellResult(Cell("py311-with_numpy1.26.4", {"numpy": "==1.26.4"}), verdict,
                      Counts(passed=passed))  # fmt: skip


@pytest.mark.parametrize(("control", "kind", "asked", "uploaded", "again"), [
    (result(0, "no-tests"), rows.NO_TESTS_RAN, "", CUT, True),  # today's tools ran no test
    (result(0, "infra-error"), rows.BUILD_FAILURE, "", CUT, True),
    (result(0, "no-tests"), rows.NO_TESTS_RAN, CUT, CUT, False),  # a date was asked: kept
    (result(0, "no-tests"), rows.NO_TESTS_RAN, "", "", False),  # no upload time to go back to
    (result(0, "timeout"), rows.TIMED_OUT, "", CUT, False),  # a timeout is not the tools'
    (None, rows.NO_TEST_SETUP, "", CUT, False),  # nothing ran
])  # fmt: skip
def test_a_row_today_s_tools_cannot_measure_is_measured_again_as_of_its_release(
        control, kind, asked, uploaded, again):  # fmt: skip
    then = attempts.following(attempts.FIRST, kind, control is not None,
                              control.tests.passed if control else 0, False, asked, bool(uploaded))  # fmt: skip
    assert then == (attempts.Try(attempts.OWN, attempts.RELEASE) if again else None)


NUMPY_FILES = [  # the index's PEP 691 entries, as served for numpy (a few of them)
    {"filename": "numpy-1.26.4.tar.gz", "requires-python": ">=3.9"},
    {"filename": "numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.whl", "requires-python": ">=3.9"},
    {"filename": "numpy-2.2.6.tar.gz", "requires-python": ">=3.10"},
    {"filename": "numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.whl", "requires-python": ">=3.10"},
    {"filename": "numpy-2.3.0.tar.gz", "requires-python": ">=3.11"},
]


def test_the_pythons_every_cell_installs_on_come_from_the_pins_requires_python():
    needs = pythons.needed(["numpy==1.26.4", "numpy==2.2.6"], lambda name: NUMPY_FILES)
    assert {k: str(v) for k, v in needs.items()} == {"numpy==1.26.4": ">=3.9",
                                                     "numpy==2.2.6": ">=3.10"}  # fmt: skip
    assert pythons.allowed(needs, ["3.13", "3.12", "3.11", "3.10", "3.9", "3.8"]) == [
        "3.13", "3.12", "3.11", "3.10"]  # fmt: skip
    assert pythons.needed(["numpy>=2"], lambda name: NUMPY_FILES) == {}  # not one release


def test_without_python_a_project_runs_on_its_own_env_the_change_installs_on(monkeypatch, tmp_path):
    listed = ["py38", "py39", "lint", "py310-lint", "py310", "py311"]
    monkeypatch.setattr(command.matrix, "env_list", lambda folder: listed)
    monkeypatch.setattr(command, "default_env", lambda folder: "py38")  # the gate's choice
    assert command.choose_env(tmp_path, "", ("3.12", "3.11", "3.10")) == "py310"
    listed[:] = ["py38", "py39"]  # none of its own: tox's env for the newest that installs it
    assert command.choose_env(tmp_path, "", ("3.12", "3.11", "3.10")) == "py312"
    assert command.choose_env(tmp_path, "", ()) == "py38"  # nothing known: the gate's choice
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert pythons.generated("", (own,)) == "" and pythons.generated("", ("9.9",)) == "9.9"
    assert pythons.generated("3.11", ("9.9",)) == "3.11"


@pytest.mark.integration
def test_a_lock_as_of_a_date_holds_that_day_s_releases_but_its_pins_and_what_they_force(tmp_path):
    from harness.stages.lock import lock_cell

    forcing = Cell("f", {"pytest": "==8.3.3"}, ["pytest==8.3.3"], as_of="2020-01-01T00:00:00Z")
    outcome = lock_cell(forcing, tmp_path / "f.txt", tmp_path, sys.executable)
    found = asof.read(tmp_path / "f.txt")
    assert outcome.ok and found.pinned == ["pytest"] and "pluggy" in found.forced  # pluggy>=1.5
    assert "packaging" not in found.forced  # any packaging will do: the date's stays
    text = (tmp_path / "f.txt").read_text()
    assert "pytest==8.3.3" in text and "packaging==19.2" in text  # 20.0: 2020-01-05
    assert "as of 2020-01-01T00:00:00Z" in text.splitlines()[0]


def test_shards_of_one_date_merge_with_it_and_another_date_is_refused(tmp_path, capsys):
    def shard(name, as_of):
        folder = tmp_path / name
        folder.mkdir()
        (folder / ".harness-reports").write_text("survey\n")
        row = rows.Row(name, "1.0", rows.WORKS, as_of=CUT)
        doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 1.0, False, as_of)
        output.save(doc, folder)
        return str(folder)

    one, two = shard("one", asof.RELEASE), shard("two", asof.RELEASE)
    assert main(["merge", one, two, "--reports", str(tmp_path / "merged")]) == 0
    doc = json.loads((tmp_path / "merged" / "survey.json").read_text())
    assert doc["as_of"] == "release" and [r["as_of"] for r in doc["rows"]] == [CUT, CUT]
    other = shard("other", "2022-06-01T00:00:00Z")
    assert main(["merge", one, other, "--reports", str(tmp_path / "again")]) == 2
    assert "as of 2022-06-01), " in capsys.readouterr().err
