import json

import pytest

from harness import reports
from harness.cells import Cell, CellResult, Counts, Failure
from harness.cli import main
from harness.html_report import render_html


def result(name, torch, numpy, verdict, **extra):
    pins = {"torch": f"=={torch}", "numpy": f"=={numpy}", **extra.pop("pins", {})}
    versions = {"python": "3.11.7", "torch": torch, "numpy": numpy}
    return CellResult(Cell(name, pins), verdict, versions=versions, **extra)


@pytest.fixture
def report():
    hostile = "<script>alert(1)</script> | `x` & </script>"
    results = [
        result("torch21-numpy126", "2.1.2", "1.26.4", "pass", tests=Counts(passed=78, skipped=1), coverage=98.6),
        result(
            "torch21-numpy22", "2.1.2", "2.2.6", "fail", tests=Counts(passed=63, failed=15, skipped=1),
            failures=[Failure("t::a", "numpy-bridge-unavailable", hostile)] * 30, coverage=97.7,
        ),
        result("torch22-numpy22-pandas21", "2.2.2", "2.2.6", "unsatisfiable", pins={"pandas": "==2.1.4"},
               problem=Failure("lock", "unsatisfiable", "Because pandas==2.1.4 depends on numpy<2")),
        result("torch22-numpy22-pandas23", "2.2.2", "2.2.6", "pass", pins={"pandas": "==2.3.3"},
               tests=Counts(passed=79)),
    ]  # fmt: skip
    return reports.build(
        results, "/project", [r.cell.name for r in results] + ["torch23-numpy2"], True, {}
    )


def test_json_is_versioned_and_round_trips(report, tmp_path):
    assert report["schema"] == "harness.compat/1"
    assert report["summary"] == {"pass": 2, "fail": 1, "unsatisfiable": 1}
    assert report["not_run"] == ["torch23-numpy2"] and report["interrupted"] is True
    back = reports.results_of(json.loads(json.dumps(report)))
    assert [r.verdict for r in back] == ["pass", "fail", "unsatisfiable", "pass"]
    assert back[1].failures[0].signature == "numpy-bridge-unavailable"
    assert report["cells"][1]["signatures"] == {"numpy-bridge-unavailable": 30}


def test_markdown_grid_counts_and_escaping(report):
    text = reports.render_markdown(report)
    assert "| torch \\ numpy | 1.26.4 | 2.2.6 |" in text
    assert (
        "| **2.1.2** | ✅ pass 78 passed, 1 skipped, 98.6% cov | ❌ fail 63 passed, 15 failed, 1 skipped, 97.7% cov |"
        in text
    )
    assert "⛔ unsatisfiable not run (pandas==2.1.4)<br>✅ pass 79 passed (pandas==2.3.3)" in text
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\|" in text
    assert "… 5 more in compat.json" in text and "**interrupted**" in text


def test_html_is_self_contained_and_escapes_test_output(report):
    page = render_html(report)
    assert page.count("<script") == 2 and "alert(1)</script>" not in page
    assert 'data-cell="torch21-numpy22"' in page and "textContent" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    data = page.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["cells"][1]["failures"][0]["evidence"].startswith("<script>")


def test_write_and_step_summary_and_rerender(report, tmp_path, monkeypatch, capsys):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    paths = reports.write(report, tmp_path / "out")
    assert summary.read_text().startswith("earlier step\n# torch × numpy compatibility")
    paths["md"].unlink()
    paths["html"].unlink()
    assert main(["report", "--reports", str(tmp_path / "out")]) == 0
    assert paths["md"].is_file() and paths["html"].is_file()


def test_report_command_errors(tmp_path, capsys):
    assert main(["report", "--reports", str(tmp_path)]) == 2
    (tmp_path / "compat.json").write_text('{"schema": "other/1"}')
    assert main(["report", "--reports", str(tmp_path)]) == 2
    assert "not a harness compat report" in capsys.readouterr().err


def test_collect_joins_the_cells_of_partial_runs(tmp_path, capsys):
    from harness.store import Store

    store = Store(tmp_path)
    for name, numpy, verdict in (("a", "1.26.4", "pass"), ("b", "2.2.6", "fail")):
        store.save(result(name, "2.1.2", numpy, verdict, tests=Counts(passed=3)))
    assert main(["report", "--reports", str(tmp_path), "--collect"]) == 0
    joined = reports.load(tmp_path / "compat.json")
    assert [c["cell"]["name"] for c in joined["cells"]] == ["a", "b"]
    assert joined["summary"] == {"pass": 1, "fail": 1} and (tmp_path / "compat.html").is_file()
    assert main(["report", "--reports", str(tmp_path / "empty"), "--collect"]) == 2
