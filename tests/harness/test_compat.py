import json
import re
import shutil
import subprocess

import pytest

from harness.cli import main
from harness.model import Cell, CellResult, Counts, Failure
from harness.report import compat as reports
from harness.report import publish
from harness.report.html import render_html
from harness.report.markdown import code, render_markdown
from harness.store import Store

HOSTILE = (
    "<script>alert(1)</script> | `x` & </script> [link](javascript:alert(1)) \x1b[31mred\x1b[0m"
)


def result(name, torch, numpy, verdict, **extra):
    pins = {"torch": f"=={torch}", "numpy": f"=={numpy}", **extra.pop("pins", {})}
    versions = {"python": "3.11.7", "torch": torch, "numpy": numpy}
    return CellResult(Cell(name, pins), verdict, versions=versions, **extra)


@pytest.fixture
def report():
    results = [
        result("torch21-numpy126", "2.1.2", "1.26.4", "pass", tests=Counts(passed=78, skipped=1), coverage=98.6),
        result(
            "torch21-numpy22", "2.1.2", "2.2.6", "fail", tests=Counts(passed=63, failed=15, skipped=1),
            failures=[Failure("t::a", "numpy-bridge-unavailable", HOSTILE)] * 30, coverage=97.7,
        ),
        result("torch22-numpy22-pandas21", "2.2.2", "2.2.6", "unsatisfiable", pins={"pandas": "==2.1.4"},
               problem=Failure("lock", "unsatisfiable", "Because pandas==2.1.4 depends on numpy<2")),
        result("torch22-numpy22-pandas23", "2.2.2", "2.2.6", "pass", pins={"pandas": "==2.3.3"},
               tests=Counts(passed=79)),
    ]  # fmt: skip
    return reports.build(results, "/work/project", ["torch23-numpy2"], True, {},
                         stale={"torch22-numpy22-pandas23"})  # fmt: skip


def test_json_is_versioned_and_round_trips(report, tmp_path):
    assert report["schema"] == "harness.compat/1" and report["project_name"] == "project"
    assert report["summary"] == {"pass": 2, "fail": 1, "unsatisfiable": 1}
    assert report["not_run"] == ["torch23-numpy2"] and report["interrupted"] is True
    back = reports.results_of(json.loads(json.dumps(report)))
    assert [r.verdict for r in back] == ["pass", "fail", "unsatisfiable", "pass"]
    assert back[1].failures[0].signature == "numpy-bridge-unavailable"
    assert report["cells"][1]["signatures"] == {"numpy-bridge-unavailable": 30}
    assert [c["stale"] for c in report["cells"]] == [False, False, False, True]


def test_markdown_grid_labels_every_cell_and_counts_skips(report):
    text = render_markdown(report)
    assert text.startswith("# `project`: torch × numpy compatibility")
    assert "| torch \\ numpy | 1.26.4 | 2.2.6 |" in text
    assert (
        "| **2.1.2** | `torch21-numpy126`: ✅ pass, 78 passed, 1 skipped, 98.6% cov | "
        "`torch21-numpy22`: ❌ fail, 63 passed, 15 failed, 1 skipped, 97.7% cov |" in text
    )
    assert (
        "`torch22-numpy22-pandas21`: ⛔ unsatisfiable, not run<br>"
        "`torch22-numpy22-pandas23`: ✅ pass (stale), 79 passed" in text
    )
    assert "… 5 more in compat.json" in text and "**interrupted**" in text
    assert "1 stale (inputs changed since they ran)" in text


def test_test_output_is_inert_text_in_markdown():
    span = code(HOSTILE)
    assert "\x1b" not in span and "[31m" not in span
    assert span.startswith("``") and span.endswith("``")  # a fence longer than any backtick run
    assert "\\|" in span and "\n" not in span
    assert code("`x`") == "`` `x` ``" and code("") == ""


def test_html_is_self_contained_and_escapes_test_output(report):
    page = render_html(report)
    assert page.count("<script") == 2 and "alert(1)</script>" not in page
    assert 'data-cell="torch21-numpy22"' in page and "textContent" in page
    assert "<b>torch22-numpy22-pandas21</b>" in page and "<b>torch22-numpy22-pandas23</b>" in page
    assert "More cells" not in page and "pass (stale)" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    data = page.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["cells"][1]["failures"][0]["evidence"].startswith("<script>")


def test_axes_follow_the_pins_that_vary():
    def cell(name, pins, python="3.11.7"):
        return CellResult(Cell(name, pins), "pass", versions={"python": python})

    plain = [cell("a", {"packaging": "==23.2"}), cell("b", {"packaging": "==24.1"})]
    assert reports.axes(plain) == ("packaging", None)
    pythons = plain + [cell("c", {"packaging": "==24.1"}, "3.12.1")]
    assert reports.axes(pythons) == ("packaging", "python")
    row, column, rows, columns, positions = reports.grid(pythons)
    assert rows == ["23.2", "24.1"] and columns == ["3.11.7", "3.12.1"]
    assert [r.cell.name for r in positions[("24.1", "3.11.7")]] == ["b"]
    text = render_markdown(reports.build(pythons, "/x/mylib", [], False, {}))
    assert text.startswith("# `mylib`: packaging × python compatibility") and "torch" not in text


def test_write_and_step_summary_and_rerender(report, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    paths = publish.write(report, tmp_path / "out")
    assert summary.read_text().startswith("earlier step\n# `project`: torch × numpy")
    paths["md"].unlink()
    paths["html"].unlink()
    assert main(["report", "--reports", str(tmp_path / "out")]) == 0
    assert paths["md"].is_file() and paths["html"].is_file()


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"schema": "other/1"}', "not a harness compat report"),
        ("[1, 2]", "not a harness compat report"),
        ('{"schema": "harness.compat/1"}', "has no valid 'generated_at'"),
    ],
)
def test_report_files_of_the_wrong_shape(tmp_path, capsys, report, content, words):
    assert main(["report", "--reports", str(tmp_path)]) == 2
    (tmp_path / "compat.json").write_text(content)
    assert main(["report", "--reports", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    broken = dict(report, cells=[{"cell": {"name": "x"}}])
    (tmp_path / "compat.json").write_text(json.dumps(broken))
    assert main(["report", "--reports", str(tmp_path)]) == 2
    assert "a cell of the wrong shape" in capsys.readouterr().err


def test_collect_joins_stored_cells_and_names_unreadable_ones(tmp_path, capsys):
    store = Store(tmp_path)
    for name, numpy, verdict in (("a", "1.26.4", "pass"), ("b", "2.2.6", "fail")):
        store.save(result(name, "2.1.2", numpy, verdict, tests=Counts(passed=3)))
    assert main(["report", "--reports", str(tmp_path), "--collect"]) == 0
    joined = reports.load(tmp_path / "compat.json")
    assert [c["cell"]["name"] for c in joined["cells"]] == ["a", "b"]
    assert joined["summary"] == {"pass": 1, "fail": 1} and (tmp_path / "compat.html").is_file()
    (store.results / "c.json").write_text("{not json")
    assert main(["report", "--reports", str(tmp_path), "--collect"]) == 3
    assert f"cannot read the stored result {store.results / 'c.json'}" in capsys.readouterr().err
    assert main(["report", "--reports", str(tmp_path / "empty"), "--collect"]) == 2


def test_forced_cells_are_never_mixed_with_normal_ones(report):
    forced = dict(report["cells"][0])
    forced["cell"] = dict(forced["cell"], name="torch21-numpy126-forced", forced=True)
    mixed = dict(report, cells=report["cells"] + [forced])
    text = render_markdown(mixed)
    main, _, rest = text.partition("## Forced cells")
    assert "torch21-numpy126-forced" not in main.split("## Cells")[0]
    assert "`torch21-numpy126-forced`: ✅ pass (forced)" in rest
    assert "<h2>Forced cells</h2>" in render_html(mixed)


def header_cells(line: str) -> list:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@pytest.mark.parametrize(
    ("versions", "corner", "heads"),
    [((("a", "23.2"), ("b", "24.1")), "packaging", ["cell"]), ((("a", "23.2"),), "cells", ["cell"])],
)  # fmt: skip
def test_a_grid_of_one_axis_or_none_has_no_blank_heading(versions, corner, heads):
    results = [CellResult(Cell(name, {"packaging": f"=={v}"}), "pass", versions={"packaging": v})
               for name, v in versions]  # fmt: skip
    report = reports.build(results, "/x/mylib", [], False, {})
    text = render_markdown(report)
    grid = text.split("\n\n")[2].splitlines()
    assert header_cells(grid[0]) == [corner, *heads]
    assert all(header_cells(line)[0] for line in grid[2:])  # each row is named too
    page = render_html(report)
    table = page.split('<table class="grid">', 1)[1].split("</table>", 1)[0]
    assert table.startswith(f"<tr><th>{corner}</th><th>cell</th></tr>")
    assert "<th></th>" not in table and "<th> </th>" not in table


def rendered_width(line: str) -> int:
    """The narrowest a row of a GitHub table can be, in characters: every cell's longest word
    (a table cell wraps only between words) and its padding."""
    cells = header_cells(line.replace("\\|", "/"))
    words = [
        max((len(w) for w in re.sub(r"`|\*\*|<br>", " ", c).split()), default=0) for c in cells
    ]
    return sum(words) + 3 * len(cells)


FACTS = ("python 3.11.7", "torch 2.1.2", "numpy 2.2.6", "pandas 2.2.3", "NVIDIA H200", "412s",
         "2026-01-02T03:04:05+00:00", "97.7%", "63 passed, 15 failed, 1 skipped")  # fmt: skip


def test_markdown_tables_fit_github_s_width_and_keep_every_fact():
    pins = {"torch": "==2.1.2", "numpy": "==2.2.6", "pandas": "==2.2.3"}
    cells = [
        CellResult(Cell(f"torch21-numpy22-pandas22-{n}", pins), verdict, Counts(passed=63, failed=15, skipped=1),
                   versions={"python": "3.11.7", "torch": "2.1.2", "numpy": "2.2.6", "pandas": "2.2.3"},
                   coverage=97.7, duration_s=412.3, measured_at="2026-01-02T03:04:05+00:00",
                   device={"device": "cpu", "gpu": "NVIDIA H200"},
                   failures=[Failure("tests/test_a.py::test_bridge", "numpy-bridge-unavailable", "e")] * 15)
        for n, verdict in enumerate(("fail", "pass"))
    ]  # fmt: skip
    text = render_markdown(reports.build(cells, "/x/service", [], False, {}, stale={"x"}))
    tables = [line for line in text.splitlines() if line.startswith("|") and "---" not in line]
    assert tables and max(len(header_cells(line)) for line in tables if "**" not in line) <= 6
    assert max(map(rendered_width, tables)) <= 120, max(tables, key=rendered_width)
    for cell in cells:
        rows = "\n".join(line for line in tables if f"`{cell.cell.name}`" in line)
        for fact in FACTS:
            assert fact in rows, (cell.cell.name, fact)
    assert "numpy-bridge-unavailable ×15" in text


def test_suggested_pins_name_the_file_the_project_uses(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "stale_cells", lambda *args: set())  # no fingerprints here
    project = tmp_path / "lib"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "lib"\ndependencies = ["torch"]\n')
    store = Store(tmp_path / "reports")
    store.save(result("a", "2.1.2", "1.26.4", "pass", tests=Counts(passed=3)))
    store.save(result("b", "2.1.2", "2.2.6", "fail", tests=Counts(failed=3)))
    paths, _ = publish.publish(store, project, [], False, {})
    text = paths["md"].read_text()
    assert "1. `numpy<2` (in `pyproject.toml [project.dependencies]`): keeps out" in text
    assert "requirements.txt" not in text
    page = paths["html"].read_text()
    assert "<code>numpy&lt;2</code> (in <code>pyproject.toml [project.dependencies]</code>)" in page
    assert json.loads(paths["json"].read_text())["suggestions"][0]["write_to"] == [
        "pyproject.toml [project.dependencies]"
    ]


def test_the_html_page_lists_what_failed_above_the_grid(report):
    page = render_html(report)
    summary, grid = page.split('<table class="grid">', 1)[0], page.split('<table class="grid">')[1]
    failures = summary.split('<section class="failures">', 1)[1].split("</section>", 1)[0]
    assert "<h2>2 cells did not pass</h2>" in failures
    assert '<a href="#torch21-numpy22">torch21-numpy22</a>' in failures
    assert "numpy-bridge-unavailable ×30: <code>t::a</code>, <code>" in failures  # said once
    assert "(numpy-bridge-unavailable)" not in failures
    assert "and 27 more" in failures and "63 passed, 15 failed, 1 skipped" in failures
    assert "unsatisfiable ×1: <code>lock</code>" in failures  # a cell that failed before its tests
    assert "torch21-numpy126" not in failures and "alert" not in failures
    assert "hashchange" in page and 'data-cell="torch21-numpy22"' in grid


def test_the_page_s_script_parses(tmp_path):
    """A Python escape in the page's script (``'\\n'`` written ``'\n'``) ends a JS string
    literal mid-line and no cell opens: each line keeps its quotes paired, and node, where
    installed, parses the script."""
    report = reports.build(
        [CellResult(Cell("py", {}), "pass", Counts(passed=1))], "/x", [], False, {}
    )
    script = render_html(report).rsplit("<script>", 1)[1].split("</script>", 1)[0]
    assert [line for line in script.splitlines() if line.count("'") % 2] == []
    node = shutil.which("node")
    if node:
        (tmp_path / "page.js").write_text(script)
        done = subprocess.run(
            [node, "--check", str(tmp_path / "page.js")], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
