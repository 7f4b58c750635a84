"""The metadata audit in both directions, and suggested pins on the 64-cell matrix's shape."""

import pytest

from harness.model import Cell, CellResult, Counts, Failure
from harness.report.audit import examine, needed_bounds
from harness.report.suggest import suggest

TORCH = ["2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1", "2.6.0", "2.7.1", "2.8.0", "2.9.1",
         "2.10.0", "2.11.0", "2.12.1", "2.13.0", "2.14.1", "2.15.0"]  # fmt: skip
NUMPY = ["1.26.4", "2.0.2", "2.2.6", "2.4.6"]
BRIDGE = [Failure("t::a", "numpy-bridge-unavailable", "RuntimeError: Numpy is not available")]


def cell(torch, numpy, verdict, forced=False, **extra):
    name = f"torch{torch}-numpy{numpy}" + ("-forced" if forced else "")
    return CellResult(
        Cell(name, {"torch": f"=={torch}", "numpy": f"=={numpy}"}, forced=forced), verdict,
        Counts(passed=78), versions={"python": "3.11.7", "torch": torch, "numpy": numpy}, **extra,
    )  # fmt: skip


def full_matrix():
    return [
        cell(t, n, "fail" if t in TORCH[:3] and n != "1.26.4" else "pass",
             failures=BRIDGE if t in TORCH[:3] and n != "1.26.4" else [])
        for t in TORCH for n in NUMPY
    ]  # fmt: skip


def test_allowed_by_metadata_yet_broken():
    metadata = {("torch", t): ["filelock", "sympy", "numpy; extra == 'opt'"] for t in TORCH}
    metadata.update({("numpy", n): [] for n in NUMPY})
    audit = examine(full_matrix(), metadata)
    found = {(f.package, f.version, f.other, f.other_version) for f in audit.findings}
    assert found == {("torch", t, "numpy", n) for t in TORCH[:3] for n in NUMPY[1:]}
    assert needed_bounds(audit) == [
        f"torch {t} declares no numpy bound, yet broke with numpy 2.0.2, 2.2.6, 2.4.6"
        for t in TORCH[:3]
    ]
    assert audit.unknown == []
    partial = examine(full_matrix(), {})
    assert "torch==2.0.1" in partial.unknown and partial.findings == []


def test_forbidden_by_metadata_and_a_forced_cell():
    reason = ("Because pandas==2.1.4 depends on numpy<2 and you require numpy==2.2.6, we can conclude "
              "that your requirements and pandas==2.1.4 are incompatible.")  # fmt: skip
    refused = CellResult(Cell("torch21-numpy22-pandas21", {"torch": "==2.1.2", "numpy": "==2.2.6", "pandas": "==2.1.4"}),
                         "unsatisfiable", problem=Failure("lock", "unsatisfiable", reason))  # fmt: skip
    forced = CellResult(Cell("torch23-numpy22-pandas21-forced", {"numpy": "==2.2.6", "pandas": "==2.1.4"}, forced=True),
                        "pass", versions={"python": "3.11.7", "numpy": "2.2.6", "pandas": "2.1.4"})  # fmt: skip
    metadata = {
        ("pandas", "2.1.4"): ["numpy<2,>=1.23.2; python_version == '3.11'"],
        ("numpy", "2.2.6"): [],
    }
    audit = examine([refused, forced], metadata)
    found = [(f.cell, f.kind, f.package, f.version, f.other, f.other_version, f.declared)
             for f in audit.findings]  # fmt: skip
    assert found == [
        ("torch21-numpy22-pandas21", "forbidden", "pandas", "2.1.4", "numpy", "2.2.6", "<2"),
        ("torch23-numpy22-pandas21-forced", "forced-passed", "pandas", "2.1.4", "numpy", "2.2.6",
         "<2,>=1.23.2"),  # the Requires-Dist's specifier as packaging prints it
    ]  # fmt: skip
    assert audit.to_dict()["loose_bounds"] == [
        "pandas 2.1.4 requires numpy<2,>=1.23.2, yet passed with numpy 2.2.6 (forced)"
    ]


def test_suggestions_on_the_full_matrix():
    found = suggest(full_matrix())
    first, second = found[0], found[1]
    assert (
        first.requirements == ["torch>=2.3"] and len(first.keeps) == 52 and len(first.excludes) == 9
    )
    assert "any numpy measured (1.26.4, 2.0.2, 2.2.6, 2.4.6)" in first.note
    assert second.requirements == ["numpy<2"] and len(second.keeps) == 16
    assert all(len(s.requirements) == 1 for s in found[:2])


def test_no_suggestion_without_both_outcomes_and_stale_cells_do_not_count():
    passing = [c for c in full_matrix() if c.verdict == "pass"]
    assert suggest(passing) == []
    failing_names = {c.cell.name for c in full_matrix() if c.verdict == "fail"}
    assert suggest(full_matrix(), stale=failing_names) == []


@pytest.mark.integration
def test_a_real_metadata_bound_forbidden_then_forced(tmp_path):
    """pytest 8.0.0 requires pluggy>=1.3: with pluggy 1.0.0 the cell is unsatisfiable; forced, it
    installs anyway, and pytest cannot start, so the bound is real."""
    import subprocess
    import sys

    project = tmp_path / "old-pluggy"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text(
        "[tox]\nenv_list = old\n[testenv]\npackage = skip\ndeps =\n    pytest==8.0.0\n"
        "    pluggy==1.0.0\ncommands = pytest tests\n"
    )
    (project / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")

    def harness(*args):
        return subprocess.run([sys.executable, "-m", "harness", *args, "--project", str(project)],
                              capture_output=True, text=True, timeout=600)  # fmt: skip

    assert "old: unsatisfiable" in harness("run").stderr
    forced = harness("run", "--force")
    assert (
        "old-forced: " in forced.stderr
        and "unsatisfiable" not in forced.stderr.split("old-forced: ")[1]
    )
    audit = harness("audit")
    assert audit.returncode == 0, audit.stderr
    assert "pytest 8.0.0 requires pluggy>=1.3.0,<2.0" in audit.stdout
    assert "broke when forced with pluggy 1.0.0" in audit.stdout
    markdown = (project / ".harness" / "compat.md").read_text()
    assert "## Forced cells" in markdown and "## Metadata audit" in markdown


@pytest.mark.integration
def test_suggest_from_a_real_report(tiny_project):
    import json
    import subprocess
    import sys

    def harness(*args):
        return subprocess.run(
            [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=900
        )

    assert (  # pkg24-fail fails, and the project does not declare it: exit 1
        harness("run", "--project", str(tiny_project), "-e", "pkg23-fail,pkg24-fail").returncode
        == 1
    )
    reports = str(tiny_project / ".harness")
    text = harness("suggest", "--reports", reports)
    assert (
        text.returncode == 0
        and "1. packaging<24: keeps out all 1 failing cell and keeps 1 of 1 passing" in text.stdout
    )
    found = json.loads(harness("suggest", "--reports", reports, "--json").stdout)
    assert found[0]["requirements"] == ["packaging<24"] and found[0]["keeps"] == ["pkg23-fail"]
    markdown = (tiny_project / ".harness" / "compat.md").read_text()
    assert "## Suggested pins" in markdown and "`packaging<24`" in markdown
