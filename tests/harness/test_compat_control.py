"""The reports read against a control cell (``--control``, or the first ``--with``): compat.json
records the view, compat.md and compat.html show it; without a control nothing changes."""

import html
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from harness.cli import main
from harness.model import Cell, Failure
from harness.report import compat as reports
from harness.report import publish
from harness.report.html import render_html
from harness.report.markdown import code, render_markdown
from harness.stages import prepare
from harness.stages import select as matrix
from harness.stages.classify import clean
from harness.store import Store

from .test_compat import HOSTILE, header_cells, rendered_width
from .test_control import FAILED, PASSED, REMOVED, numpy_126_and_22, result

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "harness/schemas/compat.schema.json").read_text()
)


@pytest.fixture
def cells():
    control, change, seven = numpy_126_and_22()
    return [control, change], seven


def test_compat_json_records_the_control_and_what_breaks_only_outside_it(cells, tmp_path):
    results, seven = cells
    report = reports.build(results, "/x/lib", [], False, {}, control="numpy126")
    jsonschema.validate(json.loads(json.dumps(report)), SCHEMA)
    assert list(report)[-2:] == ["control", "cells"]  # the view before the cells
    (change,) = report["control"]["changes"]
    assert [b["test"] for b in change["broken"]] == seven
    assert change["signatures"] == {"numpy2-removed-name": 7} and change["fixed"] == []
    (tmp_path / "compat.json").write_text(json.dumps(report))
    assert reports.load(tmp_path / "compat.json")["control"] == report["control"]
    (tmp_path / "compat.json").write_text(json.dumps(dict(report, control=["numpy126"])))
    with pytest.raises(ValueError, match="no valid 'control'"):
        reports.load(tmp_path / "compat.json")


def test_markdown_has_a_section_against_the_control_and_marks_it_in_the_grid(cells):
    results, seven = cells
    text = render_markdown(reports.build(results, "/x/lib", [], False, {}, control="numpy126"))
    assert "`numpy126`: ❌ fail (control), 47 passed, 24 failed" in text  # the grid
    section = text.split("## Against the control (`numpy126`)\n", 1)[1].split("\n## ", 1)[0]
    assert (
        "| `numpy22` | ❌ fail | 7 break only here (numpy2-removed-name ×7) | "
        "0 fail in the control only |" in section
    )
    folded = section.split("<details><summary>", 1)[1].split("</details>", 1)[0]
    listed = [line for line in folded.splitlines() if line.startswith("| `tests/")]
    assert [header_cells(line)[0].strip("`") for line in listed] == seven
    assert f"| `numpy2-removed-name` | {code(REMOVED)} |" in listed[0]
    assert "test_old.py" not in section  # failing on both sides: not the change's doing
    tables = [line for line in section.splitlines() if line.startswith("|") and "---" not in line]
    assert max(map(rendered_width, tables)) <= 120, max(tables, key=rendered_width)


def test_html_shows_the_same_view_above_the_grid(cells):
    results, seven = cells
    page = render_html(reports.build(results, "/x/lib", [], False, {}, control="numpy126"))
    top = page.split('<table class="grid">', 1)[0]
    section = top.split('<section class="control">', 1)[1].split("</section>", 1)[0]
    assert top.index('<section class="failures">') < top.index('<section class="control">')
    assert "<h2>Against the control (numpy126)</h2>" in section
    assert '<a href="#numpy22">numpy22</a>' in section
    assert "7 break only here (numpy2-removed-name ×7)" in section
    assert [t for t in seven if f"<code>{t}</code>" in section] == seven
    assert "test_old.py" not in section and "numpy126</b><br>fail (control)" in page


def test_a_module_that_does_not_import_only_in_the_change_is_shown_with_its_error():
    control = result("a", "pass", {"tests/test_x.py::a": PASSED, "tests/test_y.py::b": PASSED})
    abi = Failure("tests/test_x.py", "numpy-abi-import", "ImportError: _ARRAY_API not found")
    change = result("b", "fail", {"tests/test_x.py": "error", "tests/test_y.py::b": PASSED}, [abi],
                    numpy="2.2.6")  # fmt: skip
    report = reports.build([control, change], "/x/lib", [], False, {}, control="a")
    text = render_markdown(report)
    assert "| `b` | ❌ fail | 1 break only here (numpy-abi-import ×1) |" in text
    assert (
        "| `tests/test_x.py` | `numpy-abi-import` | `ImportError: _ARRAY_API not found` |" in text
    )


def test_without_a_control_nothing_changes(cells):
    results, _ = cells
    plain = reports.build(results, "/x/lib", [], False, {})
    named = reports.build(results, "/x/lib", [], False, {}, control="")
    gone = reports.build(results, "/x/lib", [], False, {}, control="no-such-cell")
    for report in (plain, named, gone):
        assert "control" not in report
        same = dict(report, generated_at=plain["generated_at"])
        assert render_markdown(same) == render_markdown(plain)
        assert render_html(same) == render_html(plain)
    assert "Against the control" not in render_markdown(plain)
    assert "control" not in render_html(plain).split("<script", 1)[0].replace(".control", "")


def test_test_output_in_the_view_is_inert():
    control = result("a", "pass", {"t::x": PASSED})
    change = result("b", "fail", {"t::x": FAILED}, [Failure("t::x", "other", HOSTILE)], numpy="2")
    report = reports.build([control, change], "/x/lib", [], False, {}, control="a")
    text = render_markdown(report).split("## Against the control", 1)[1].split("\n## ", 1)[0]
    assert f"| `t::x` | `other` | {code(HOSTILE)} |" in text and "\x1b" not in text
    page = render_html(report)
    section = page.split('<section class="control">', 1)[1].split("</section>", 1)[0]
    assert "<script>" not in section and f"<code>{html.escape(clean(HOSTILE))}</code>" in section


def stored(folder: Path, cells) -> Store:
    store = Store(folder)
    for cell in cells:
        store.save(cell)
    return store


def test_report_reads_against_a_control_keeps_it_and_drops_it(cells, tmp_path, capsys):
    results, _ = cells
    folder = tmp_path / "reports"
    publish.publish(stored(folder, results), None, [], False, {})
    assert "Against the control" not in (folder / "compat.md").read_text()
    assert main(["report", "--reports", str(folder), "--control", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["harness: error: --control 'nosuch' is not a cell of this run or report; "
                   "known cells: numpy126, numpy22"]  # fmt: skip
    assert main(["report", "--reports", str(folder), "--control", "numpy126"]) == 0
    assert "## Against the control (`numpy126`)" in (folder / "compat.md").read_text()
    assert main(["report", "--reports", str(folder)]) == 0  # re-rendered as recorded
    assert main(["report", "--reports", str(folder), "--collect"]) == 0  # rebuilt, kept
    kept = json.loads((folder / "compat.json").read_text())
    keys = list(kept)
    assert kept["control"]["cell"] == "numpy126"
    assert keys.index("control") == keys.index("cells") - 1  # where a run writes it
    assert "## Against the control" in (folder / "compat.md").read_text()
    assert main(["report", "--reports", str(folder), "--no-control"]) == 0
    assert "Against the control" not in (folder / "compat.md").read_text()
    assert main(["report", "--reports", str(folder), "--collect", "--control", "x"]) == 2
    assert "known cells: numpy126, numpy22" in capsys.readouterr().err


def test_a_control_whose_cell_is_gone_is_dropped_and_merge_keeps_a_shard_s(cells, tmp_path):
    results, _ = cells
    shard = tmp_path / "shard1"
    publish.publish(stored(shard, results), None, [], False, {}, control="numpy126")
    other = tmp_path / "shard2"
    publish.publish(stored(other, [result("numpy2x", "pass", {"t": PASSED}, numpy="2.3")]), None,
                    [], False, {})  # fmt: skip
    merged = tmp_path / "merged"
    assert main(["merge", str(other), str(shard), "--reports", str(merged)]) == 0
    assert [c["cell"] for c in reports.load(merged / "compat.json")["control"]["changes"]] == [
        "numpy22", "numpy2x"]  # fmt: skip
    (shard / "cells" / "numpy126.json").unlink()
    publish.publish(Store(shard), None, [], False, {})
    assert "control" not in json.loads((shard / "compat.json").read_text())


def options(**given):
    defaults = dict(control="", cells=None, envs=[], force=False)
    return SimpleNamespace(**{**defaults, **given})


def test_the_run_s_control_is_named_or_the_first_with(tmp_path):
    store = Store(tmp_path)
    base, a, b = (
        Cell("py", {}),
        Cell("py-with_a", {}, adhoc=True),
        Cell("py-with_b", {}, adhoc=True),
    )
    assert prepare.control_of(options(), [a, b], store) == "py-with_a"  # the first --with
    assert prepare.control_of(options(envs=["py"]), [base, a], store) == "py"  # -e ENV runs too
    assert prepare.control_of(options(force=True), [a, b], store) == "py-with_a-forced"
    assert prepare.control_of(options(), [a], store) == ""  # a lone cell: nothing to compare
    assert prepare.control_of(options(), [base, Cell("other", {})], store) == ""  # a tox matrix
    assert prepare.control_of(options(control="other"), [base, Cell("other", {})], store) == "other"
    store.save(result("earlier", "pass"))
    assert prepare.control_of(options(control="earlier"), [base], store) == "earlier"  # stored


def test_run_control_unknown_is_exit_2_in_one_line(tmp_path, monkeypatch, capsys):
    project = tmp_path / "lib"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = a, b\n")
    monkeypatch.setattr(matrix, "select", lambda *args: [Cell("a", {}), Cell("b", {})])
    assert main(["run", "--project", str(project), "--control", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["harness: error: --control 'nosuch' is not a cell of this run or report; "
                   "known cells: a, b"]  # fmt: skip
    assert not (project / ".harness" / "compat.json").exists()


PROJECT = {
    "tox.ini": "[tox]\nenv_list = py\n[testenv]\npackage = skip\ndeps =\n  pytest\n  packaging\n"
    "commands = pytest tests -q -p no:cacheprovider\n",
    "tests/test_it.py": textwrap.dedent("""
        import packaging


        def test_fails_on_both():
            assert packaging.__version__ == "0"


        def test_only_on_24():
            assert packaging.__version__.startswith("24"), packaging.__version__
    """),
}


@pytest.mark.integration
def test_run_with_two_withs_reads_the_second_against_the_first(tmp_path):
    project = tmp_path / "lib"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--project", str(project), "--with",
         "packaging==24.2", "--with", "packaging==25.0"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # both cells fail
    text = (project / ".harness" / "compat.md").read_text()
    section = text.split("## Against the control (`py-with_packaging24.2`)\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "| `py-with_packaging25.0` | ❌ fail | 1 break only here (" in section
    assert "`tests/test_it.py::test_only_on_24`" in section
    assert "test_fails_on_both" not in section
    assert "`py-with_packaging24.2`: ❌ fail (control)" in text
