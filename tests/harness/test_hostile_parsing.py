"""Files the harness did not write, made hostile: nesting thousands of levels deep, numbers past
any float, a test module that exhausts the parser. Each is a one-line answer with its exit code
(or a row, or a clue left out), never "internal error". Fast: in-process, no tox, no network."""

import json

import pytest

from harness import bounded
from harness.cli import main
from harness.stages import needs, suite
from harness.store import MARKER
from harness.survey import output
from harness.survey import row as rows

from .test_untrusted_input import one_error_line, store_in, valid

DEEP_JSON = "[" * 100_000 + "]" * 100_000
HUGE = 10**400
WITH = ["--with", "numpy==1.26.4", "--with", "numpy==2.2.6"]


def deep_toml(levels: int) -> str:
    return "[expected]\nx = " + "[" * levels + "]" * levels + "\n"


@pytest.mark.parametrize(
    "text",
    [DEEP_JSON, '{"a": ' * 5000 + "1" + "}" * 5000, json.dumps({"d": HUGE}), '{"d": 1e400}',
     '{"d": NaN}', '{"d": -Infinity}', '{"d": ' + "9" * 5000 + "}"],
)  # fmt: skip
def test_json_past_the_bounds_is_unparsable(text):
    with pytest.raises(bounded.Unparsable, match="the file"):
        bounded.json_text(text, "the file")


@pytest.mark.parametrize("levels", [3000, 5000])
def test_toml_past_the_bounds_is_unparsable(levels):
    with pytest.raises(bounded.Unparsable, match="nested deeper"):
        bounded.toml_text(deep_toml(levels), "f.toml")
    with pytest.raises(bounded.Unparsable, match="nested deeper"):
        bounded.toml_text("a = " + "{b = " * levels + "1" + "}" * levels, "f.toml")
    with pytest.raises(bounded.Unparsable, match="out of range"):
        bounded.toml_text("a = inf", "f.toml")
    # brackets inside strings and comments do not count; headers are one level
    assert bounded.toml_text("[[a]]\nx = \"[[[[\" # [[[[\ny = '{{{'\n", "f") == {
        "a": [{"x": "[[[[", "y": "{{{"}]
    }


def test_a_module_that_exhausts_the_parser_is_unparsable(tmp_path):
    module = tmp_path / "test_deep.py"
    module.write_text("x = " + "-" * 100_000 + "1\n")  # ast.parse: MemoryError
    with pytest.raises(bounded.Unparsable, match="MemoryError"):
        bounded.python_source(module)


def test_deep_toml_in_harness_expected_toml_exits_2(tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = a\n[testenv:a]\ncommands = python -c 1\n")
    (project / "harness-expected.toml").write_text(deep_toml(4000))
    reports = tmp_path / "r"
    assert main(["run", "--project", str(project), "--reports", str(reports)]) == 2
    one_error_line(capsys, "harness-expected.toml", "nested deeper than 100 levels")
    assert not reports.exists()


def test_a_deep_compat_json_is_one_line_for_report_and_plan(tmp_path, capsys):
    folder = store_in(tmp_path / "r", "a")
    (folder / "compat.json").write_text(DEEP_JSON)
    assert main(["report", "--reports", str(folder)]) == 2
    one_error_line(capsys, "compat.json", "nested deeper")
    assert main(["plan", "--durations", str(folder / "compat.json"), "--list"]) == 2
    one_error_line(capsys, "--durations", "nested deeper")


def test_a_huge_duration_is_left_out_by_report_and_refused_by_plan(tmp_path, capsys):
    folder = store_in(tmp_path / "r", "good")
    bad = folder / "cells" / "bad.json"
    bad.write_text(json.dumps(valid("bad", duration_s=HUGE)))
    assert main(["report", "--reports", str(folder), "--collect"]) == 3
    err = capsys.readouterr().err
    assert f"cannot read the stored result {bad}" in err and "internal" not in err, err
    report = json.loads((folder / "compat.json").read_text())
    assert [c["cell"]["name"] for c in report["cells"]] == ["good"]
    text = (
        (folder / "compat.json").read_text().replace('"duration_s": 0.0', f'"duration_s": {HUGE}')
    )
    (folder / "compat.json").write_text(text)
    assert main(["plan", "--durations", str(folder), "--list"]) == 2
    one_error_line(capsys, "out of range")


def stored_survey(folder, duration) -> None:
    row = rows.Row("a", "1.0", rows.WORKS, duration_s=1.0)
    doc = output.document([row], ["numpy==1.26.4", "numpy==2.2.6"], "", 1.0, False)
    folder.mkdir()
    (folder / MARKER).write_text(json.dumps({"harness": "reports", "format": 1}))
    text = json.dumps(doc).replace('"duration_s": 1.0', f'"duration_s": {duration}')
    (folder / "survey.json").write_text(text)


@pytest.mark.parametrize("duration", [HUGE, "[" * 100_000], ids=["huge", "deep"])
def test_a_hostile_survey_json_is_one_line_for_resume_and_plan(tmp_path, capsys, duration):
    folder = tmp_path / "s"
    stored_survey(folder, duration)
    assert main(["survey", "a", *WITH, "--reports", str(folder), "--resume"]) == 2
    one_error_line(capsys, "survey.json cannot be read")
    listed = tmp_path / "list.txt"
    listed.write_text("a\n")
    assert main(["plan", "--survey", str(listed), "--durations", str(folder)]) == 2
    one_error_line(capsys, "--durations")


def test_a_surveyed_sdist_s_deep_pyproject_and_test_module_are_no_clues(tmp_path):
    folder = tmp_path / "pkg-1.0"
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        "[project]\nname = 'pkg'\nx = " + "[" * 4000 + "]" * 4000 + "\n"
    )
    (folder / "tests" / "test_deep.py").write_text("x = " + "-" * 100_000 + "1\n")
    (folder / "tests" / "test_ok.py").write_text("import hypothesis\n\ndef test_x():\n    pass\n")
    assert suite.extras(folder) == {} and suite.groups(folder) == []
    found, _ = needs.from_sources(folder, sorted((folder / "tests").glob("*.py")), set())
    assert [why for _, why in found] == ["import hypothesis in tests/test_ok.py"]
