"""survey.json (harness.survey/1, its schema), .md and .html; the command's list, resume and
refusals, and --first-compatible's search, with the index and the cells stood in for."""

import json

import pytest

from harness.cli import main
from harness.commands import survey as command
from harness.survey import compatible, fetch, measure, output
from harness.survey import row as rows

WITH = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6"]


def breaking_row(project="pkg", version="1.0") -> rows.Row:
    return rows.Row(
        project, version, rows.BREAKS, "1 test(s) that did not fail in the control fail in n",
        broken_tests=[{"test": "t.py::test_<script>x", "cell": "py311-with_numpy2.2.6",
                       "now": "failed", "signature": "numpy2-removed-name",
                       "evidence": "AttributeError: `np.float_` was removed | <b>"}],
        setup={"kind": "extra", "source": "extra 'test' (PKG-INFO)", "name": "test",
               "generated": True, "env": "py311", "describe": "pytest with extra 'test'"},
        cells=[{"cell": "py311-with_numpy1.26.4", "role": "control", "with": "numpy==1.26.4",
                "verdict": "pass", "tests": {"passed": 3, "total": 3}, "signatures": {}},
               {"cell": "py311-with_numpy2.2.6", "role": "change", "with": "numpy==2.2.6",
                "verdict": "fail", "tests": {"passed": 2, "failed": 1, "total": 3},
                "signatures": {"numpy2-removed-name": 1}}],
        evidence=f"projects/{project}-{version}/reports/compat.html", duration_s=12.5,
    )  # fmt: skip


def test_the_document_is_of_its_schema_and_summed_up():
    found = [breaking_row(), rows.Row("other", "2.0", reason_kind=rows.NO_SDIST, reason="no sdist")]
    doc = output.document(found, ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 60.0, False)
    assert output.check(doc) is doc
    assert doc["schema"] == "harness.survey/1"
    assert {k: doc["summary"][k] for k in ("projects", "breaks", "works", "not-measurable")} == {
        "projects": 2, "breaks": 1, "works": 0, "not-measurable": 1}  # fmt: skip
    assert doc["summary"]["not_measurable_reasons"] == {"no-sdist": 1}
    doc["rows"][0]["outcome"] = "fine"
    with pytest.raises(ValueError, match="rows/0/outcome"):
        output.check(doc)
    del doc["rows"][1]["broken_tests"]
    doc["rows"][0]["outcome"] = "breaks"
    with pytest.raises(ValueError, match="broken_tests"):
        output.check(doc)


def test_the_pages_show_each_row_and_nothing_from_a_test_is_markup():
    doc = output.document([breaking_row()], ["numpy==1.26.4", "numpy==2.2.6"], "3.11", 60.0, False)
    markdown = output.markdown(doc)
    assert (
        "1 breaks, 0 works, 0 broken-regardless, 0 declares-incompatible, 0 not-measurable"
        in markdown
    )
    assert "| pkg | 1.0 |" in markdown and "numpy2-removed-name ×1" in markdown
    assert "[report](projects/pkg-1.0/reports/compat.html)" in markdown
    assert (
        "`t.py::test_<script>x`" in markdown and "\\| <b>" in markdown
    )  # code spans, escaped pipe
    page = output.page.render(doc)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;" in page
    assert 'href="projects/pkg-1.0/reports/compat.html"' in page


def test_rows_accumulate_a_project_measured_again_takes_its_place():
    stored = [breaking_row("a"), breaking_row("b")]
    again = rows.Row("a", "1.0", rows.WORKS)
    assert [(r.project, r.outcome) for r in output.merged(stored, [again, breaking_row("c")])] == [
        ("a", "works"), ("b", "breaks"), ("c", "breaks")]  # fmt: skip


@pytest.fixture
def stood_in(monkeypatch):
    """The index and the cells stood in for: every project resolves to version 1.0 and is
    measured as ``outcomes`` says (default: works); ``measured`` lists what was measured."""
    measured, outcomes = [], {}

    def resolve(wanted):
        return {w: fetch.Sdist(w.name, w.version or "1.0", f"{w.name}-1.0.tar.gz", "u", "0" * 64)
                for w in wanted}  # fmt: skip

    def fake_measure(sdist, options, progress=None):
        measured.append(sdist.project)
        kind = outcomes.get(sdist.project, rows.WORKS)
        if kind in rows.OUTCOMES:
            return measure.Surveyed(rows.Row(sdist.project, sdist.version, kind, "as told"))
        return measure.Surveyed(
            rows.Row(sdist.project, sdist.version, reason_kind=kind, reason=kind)
        )

    monkeypatch.setattr(command, "_resolve", resolve)
    monkeypatch.setattr(measure, "measure", fake_measure)
    return measured, outcomes


def test_a_survey_accumulates_and_resume_keeps_finished_rows(tmp_path, stood_in, capsys):
    measured, outcomes = stood_in
    reports = ["--reports", str(tmp_path / "s"), "--python", "3.11"]
    outcomes["b"] = rows.TIMED_OUT
    assert main(["survey", "a", "b", *WITH, *reports]) == 3  # b not measured, none breaks
    assert measured == ["a", "b"]
    listed = tmp_path / "list.txt"
    listed.write_text("# projects\na  # kept\n\nb==1.0\nc\n")
    assert main(["survey", "--from-file", str(listed), *WITH, *reports, "--resume"]) == 3
    assert measured == ["a", "b", "b", "c"]  # a kept; b timed out before, so measured again
    doc = json.loads((tmp_path / "s" / "survey.json").read_text())
    assert [(r["project"], r["outcome"]) for r in doc["rows"]] == [
        ("a", "works"), ("b", "not-measurable"), ("c", "works")]  # fmt: skip
    assert "kept (works)" in capsys.readouterr().err
    assert main(["survey", "a", *WITH, *reports]) == 0 and measured[-1] == "a"  # no --resume
    assert (tmp_path / "s" / "survey.md").is_file() and (tmp_path / "s" / "survey.html").is_file()


@pytest.mark.parametrize(
    "told, code",
    [({}, 0), ({"b": rows.BROKEN_REGARDLESS}, 0), ({"b": rows.TIMED_OUT}, 3),
     ({"a": rows.BREAKS, "b": rows.TIMED_OUT}, 1), ({"b": rows.BREAKS}, 1)],
)  # fmt: skip
def test_the_exit_code_follows_the_table(tmp_path, stood_in, told, code):
    stood_in[1].update(told)
    assert main(["survey", "a", "b", *WITH, "--reports", str(tmp_path / "s")]) == code


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["a", "--with", "numpy==1.26.4"], "two --with"),
        (["a>=1", *WITH], "optionally ==VERSION"),
        (["a[x]", *WITH], "optionally ==VERSION"),
        (["a", "--with", "numpy", "--with", "numpy==2"], "name with a version"),
        (["a", *WITH, "--python", "three"], "--python"),
        ([*WITH], "needs projects"),
    ],
)  # fmt: skip
def test_bad_input_stops_before_any_work(tmp_path, stood_in, capsys, arguments, words):
    assert main(["survey", *arguments, "--reports", str(tmp_path / "s")]) == 2
    assert words in capsys.readouterr().err
    assert stood_in[0] == [] and not (tmp_path / "s").exists()


def test_a_folder_holding_another_comparison_is_refused(tmp_path, stood_in, capsys):
    assert main(["survey", "a", *WITH, "--reports", str(tmp_path / "s")]) == 0
    other = ["--with", "numpy==1.26.4", "--with", "numpy==2.0.2"]
    assert main(["survey", "a", *other, "--reports", str(tmp_path / "s")]) == 2
    assert "holds a survey of numpy==1.26.4 vs numpy==2.2.6" in capsys.readouterr().err


def test_first_compatible_bisects_the_newer_releases(monkeypatch):
    releases = ["0.9", "1.0", "1.1", "1.2", "1.3", "1.4", "1.5rc1"]
    data = {"releases": {v: [{"packagetype": "sdist"}] for v in releases}}
    monkeypatch.setattr(fetch, "release", lambda name, version=None: {"version": version})
    monkeypatch.setattr(fetch, "choose", lambda d: fetch.Sdist("pkg", d["version"], "f", "u", "s"))
    asked = []

    def measure_release(sdist):
        asked.append(sdist.version)
        return measure.Surveyed(breaking_row("pkg", sdist.version))

    row = breaking_row()
    monkeypatch.setattr(compatible.judge, "step_verdict",
                        lambda control, changes: "fail" if control < "1.3" else "pass")  # fmt: skip
    original = measure.Surveyed

    def measured_with(sdist):
        found = measure_release(sdist)
        return original(found.row, control=sdist.version, changes=[])

    compatible.first_compatible(row, data, measured_with, say=lambda text: None)
    assert row.first_compatible == "1.3"
    search = row.first_compatible_search
    assert search["last_failing"] == "1.2" and search["monotone"]
    assert asked[0] == "1.4" and len(asked) <= 3  # the newest first, then halving
    assert search["searched"] == ["1.1", "1.4"]  # newer than 1.0, final releases only
    newest = breaking_row(version="1.4")
    compatible.first_compatible(newest, data, measured_with, say=lambda text: None)
    assert newest.first_compatible is None and newest.first_compatible_search["steps"] == []


def test_releases_whose_requires_python_excludes_the_survey_s_python_are_not_searched(monkeypatch):
    data = {"releases": {
        "1.0": [{"packagetype": "sdist", "requires_python": ">=3.8"}],
        "1.1": [{"packagetype": "sdist", "requires_python": ">=3.8"}],
        "1.2": [{"packagetype": "sdist", "requires_python": ">=3.12"}],
        "1.3": [{"packagetype": "sdist", "requires_python": "not a specifier"}],
    }}  # fmt: skip
    assert [str(v) for v in fetch.versions_with_sdist(data, "3.11")] == ["1.0", "1.1", "1.3"]
    assert [str(v) for v in fetch.versions_with_sdist(data, "3.12")] == ["1.0", "1.1", "1.2", "1.3"]
    monkeypatch.setattr(fetch, "release", lambda name, version=None: {"version": version})
    monkeypatch.setattr(fetch, "choose", lambda d: fetch.Sdist("pkg", d["version"], "f", "u", "s"))
    asked = []

    def never_compatible(sdist):
        asked.append(sdist.version)
        return measure.Surveyed(breaking_row("pkg", sdist.version), control="c", changes=[])

    monkeypatch.setattr(compatible.judge, "step_verdict", lambda control, changes: "fail")
    row = breaking_row()
    compatible.first_compatible(row, data, never_compatible, say=lambda text: None, python="3.11")
    assert asked == ["1.3"]  # the newest it can run on fails: no release passes
    search = row.first_compatible_search
    assert row.first_compatible is None and search["other_python"] == ["1.2"]
    assert search["last_failing"] == "1.3" and "no release up to 1.3 passes" in search["note"]


def test_the_env_of_a_project_s_own_tox_config(monkeypatch, tmp_path):
    listed = ["lint", "py311-lint", "py310", "3.11-docs", "py311-numpy", "py312"]
    monkeypatch.setattr(command.matrix, "env_list", lambda folder: listed)
    assert command.choose_env(tmp_path, "3.11") == "py311-numpy"  # a tool's env is passed over
    assert command.choose_env(tmp_path, "3.13") == "py313"  # tox's own env for that Python
    monkeypatch.setattr(command, "default_env", lambda folder: f"gate's choice in {folder.name}")
    assert command.choose_env(tmp_path, "") == f"gate's choice in {tmp_path.name}"


@pytest.mark.parametrize(("changes", "verdict"), [
    (["pass"], "pass"),  # the change passes whole: nothing can break, no control needed
    (["pass", "pass"], "pass"),
    (["fail"], "not-measurable"),  # change_first measures the control then; alone, no verdict
    (["pass", "crash"], "not-measurable"),
    (["unsatisfiable"], "unsatisfiable"),  # the release pins numpy<2: dropped by the search
    (["pass", "timeout"], "timeout"),
    ([], "not-measurable"),
])  # fmt: skip
def test_a_step_without_its_control_passes_when_every_change_passes_else_is_unread(monkeypatch, changes,
                                                                        verdict):  # fmt: skip
    from harness.model import Cell, CellResult

    monkeypatch.setattr(fetch, "release", lambda name, version=None: {"version": version})
    monkeypatch.setattr(fetch, "choose", lambda d: fetch.Sdist("pkg", d["version"], "f", "u", "s"))
    results = [CellResult(Cell(f"c{i}", {}), v) for i, v in enumerate(changes)]
    found = measure.Surveyed(rows.Row("pkg", "1.0", reason_kind="timeout"), None, results)
    assert compatible.step("pkg", "1.0", lambda sdist: found).verdict == verdict


def test_rows_follow_the_list_whatever_order_the_projects_finish_in(
    tmp_path, stood_in, monkeypatch
):
    measured, _ = stood_in
    done = {}
    original = measure.measure

    def slow_first(sdist, options, progress=None):  # "a" finishes last
        if sdist.project == "a":
            while "c" not in done:
                __import__("time").sleep(0.01)
        found = original(sdist, options, progress)
        done[sdist.project] = True
        return found

    monkeypatch.setattr(measure, "measure", slow_first)
    reports = ["--reports", str(tmp_path / "s"), "--parallel", "3"]
    assert main(["survey", "a", "b", "c", *WITH, *reports]) == 0
    doc = json.loads((tmp_path / "s" / "survey.json").read_text())
    assert [r["project"] for r in doc["rows"]] == ["a", "b", "c"] and measured[-1] == "a"


def test_one_release_listed_twice_is_measured_once(tmp_path, stood_in):
    measured, _ = stood_in
    assert main(["survey", "a", "a==1.0", "b", *WITH, "--reports", str(tmp_path / "s")]) == 0
    assert sorted(measured) == ["a", "b"]


def test_a_project_whose_measurement_raises_is_its_own_row(tmp_path, stood_in, monkeypatch):
    measured, _ = stood_in
    original = measure.measure

    def broken_for_b(sdist, options, progress=None):
        if sdist.project == "b":
            raise RuntimeError("a bug met on b")
        return original(sdist, options, progress)

    monkeypatch.setattr(measure, "measure", broken_for_b)
    assert main(["survey", "a", "b", "c", *WITH, "--reports", str(tmp_path / "s")]) == 3
    doc = json.loads((tmp_path / "s" / "survey.json").read_text())
    found = {r["project"]: r for r in doc["rows"]}
    assert (
        found["b"]["reason_kind"] == "internal-error" and "a bug met on b" in found["b"]["reason"]
    )
    assert (found["a"]["outcome"], found["c"]["outcome"]) == ("works", "works")


def test_a_project_not_found_then_found_keeps_one_row(tmp_path, stood_in, monkeypatch):
    resolve = command._resolve
    monkeypatch.setattr(command, "_resolve", lambda wanted: {
        w: rows.Unmeasurable(rows.NETWORK, "the index could not be read") for w in wanted})  # fmt: skip
    assert main(["survey", "a", *WITH, "--reports", str(tmp_path / "s")]) == 3
    monkeypatch.setattr(command, "_resolve", resolve)
    assert main(["survey", "a", *WITH, "--reports", str(tmp_path / "s"), "--resume"]) == 0
    doc = json.loads((tmp_path / "s" / "survey.json").read_text())
    assert [(r["project"], r["version"], r["outcome"]) for r in doc["rows"]] == [
        ("a", "1.0", "works")
    ]
