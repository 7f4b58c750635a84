"""The gate's judgement and its fixes, on cells that real runs left behind."""

import pytest

from harness.gate import judge as gate
from harness.gate import remedy
from harness.model import Cell, CellResult, Counts, Failure
from harness.stages import lock
from harness.stages.sources import Line, Sources
from harness.stages.verdicts import decide

from .conftest import recorded_cell, recorded_evidence

BEFORE = {"torch": "2.1.2", "numpy": "1.26.4", "pandas": "2.2.3"}
AFTER = {"torch": "2.1.2", "numpy": "2.2.6", "pandas": "2.2.3"}
PROPOSED = ["torch>=2.1,<2.2", "numpy>=2", "pandas"]


@pytest.fixture
def measured(recorded):
    def cell(name):
        directory = recorded(name)
        return decide(recorded_cell(directory), recorded_evidence(directory))

    return cell


def test_a_regression_names_each_broken_test_and_its_evidence(measured):
    good, bad = measured("torch21-numpy126"), measured("torch21-numpy22")
    verdict = gate.judge(good, bad, gate.changes(BEFORE, AFTER))
    assert verdict.exit_code == 1 and verdict.headline.startswith("15 test(s) that passed")
    assert [(c.name, c.before, c.after) for c in verdict.changes] == [("numpy", "1.26.4", "2.2.6")]
    assert {r.signature for r in verdict.regressions} == {"numpy-bridge-unavailable"}
    assert all("Numpy is not available" in r.evidence for r in verdict.regressions)
    assert {r.now for r in verdict.regressions} == {"failed"} and not verdict.already_failing


def test_no_regression_and_tests_that_already_failed(measured):
    good, bad = measured("torch21-numpy126"), measured("torch21-numpy22")
    assert gate.judge(good, good, []).exit_code == 0
    same = gate.judge(bad, bad, [])
    assert same.exit_code == 0 and len(same.already_failing) == 15 and not same.regressions


def test_either_side_unmeasured_is_exit_3_and_an_impossible_proposal_is_exit_1(measured):
    good = measured("torch21-numpy126")
    offline = CellResult(
        Cell("p", {}),
        "infra-error",
        problem=Failure("install", "install-network", "Failed to fetch"),
    )
    assert gate.judge(good, offline, []).exit_code == 3
    assert gate.judge(offline, good, []).exit_code == 3
    assert "baseline state could not be measured" in gate.judge(offline, good, []).headline
    impossible = CellResult(Cell("p", {}), "unsatisfiable",
                            problem=Failure("lock", "unsatisfiable", "Because pandas==2.1.4 depends on numpy<2"))  # fmt: skip
    verdict = gate.judge(good, impossible, [])
    assert (
        verdict.exit_code == 1 and "cannot be installed: Because pandas==2.1.4" in verdict.headline
    )


def test_a_proposed_cell_that_ran_nothing_or_crashed_is_a_regression(measured):
    good = measured("torch21-numpy126")
    empty = measured("pkg23-empty")
    assert empty.verdict == "no-tests"
    verdict = gate.judge(good, empty, [])
    assert verdict.exit_code == 1 and verdict.regressions[0].now == "no tests ran"
    assert sum(r.now == "missing" for r in verdict.regressions) == good.tests.passed
    crashed = measured("pre-post-crash")
    assert crashed.verdict == "crash"
    verdict = gate.judge(good, crashed, [])
    assert verdict.exit_code == 1 and verdict.regressions[0].signature == "crash-signal"


def result(verdict, **versions):
    return CellResult(
        Cell("c", {}), verdict, Counts(passed=1), versions={"python": "3.11.7", **versions}
    )


def baseline_names():
    return Sources("HEAD", [Line("requirements.txt", 2, "numpy<2.0")]).names()


def test_fixes_backed_by_the_baseline_and_a_stored_report():
    moved = gate.changes(BEFORE, AFTER)
    evidence = [
        remedy.Backing(result("pass", **BEFORE), "baseline HEAD"),
        remedy.Backing(result("fail", torch="2.2.2", numpy="2.2.6", pandas="2.2.3"), "report r"),
        remedy.Backing(result("pass", torch="2.3.1", numpy="2.2.6", pandas="2.2.3"), "report r"),
        remedy.Backing(result("pass", torch="2.4.1", numpy="2.2.6", pandas="2.2.3"), "report r"),
        remedy.Backing(
            result("pass", torch="2.3.1", numpy="2.2.6", pandas="2.2.3", python="3.12.1"), "r"
        ),
    ]
    found = remedy.options(PROPOSED, baseline_names(), moved, ["torch"], evidence, "3.11.7", AFTER)
    fixes = {f.requirement: f for f in remedy.verify(found, evidence, "3.11.7")}
    assert set(fixes) == {"numpy<2.0", "numpy<2", "torch>=2.3.1"}
    assert fixes["numpy<2.0"].kind == "revert" and fixes["numpy<2.0"].report == "baseline HEAD"
    assert fixes["numpy<2"].verified and fixes["torch>=2.3.1"].report == "report r"
    assert "first torch release measured to pass with numpy 2.2.6" in fixes["torch>=2.3.1"].why


def test_without_supporting_cells_a_fix_is_unverified_or_absent():
    moved = gate.changes(BEFORE, AFTER)
    evidence = [remedy.Backing(result("fail", **BEFORE), "baseline HEAD")]
    found = remedy.options(PROPOSED, {}, moved, ["torch"], evidence, "3.11.7", AFTER)
    fixes = remedy.verify(found, evidence, "3.11.7")
    assert [(f.requirement, f.verified) for f in fixes] == [
        ("numpy==1.26.4", False),
        ("numpy<2", False),
    ]


def test_a_cell_on_another_python_or_missing_a_package_proves_nothing():
    lines = ["torch>=2.3", "numpy>=2"]
    assert remedy.satisfies(result("pass", torch="2.3.1", numpy="2.2.6"), lines, "3.11.2")
    assert not remedy.satisfies(result("pass", torch="2.3.1", numpy="2.2.6"), lines, "3.12.0")
    assert not remedy.satisfies(result("pass", torch="2.3.1"), lines, "3.11.7")
    assert not remedy.satisfies(result("fail", torch="2.3.1", numpy="2.2.6"), lines, "3.11.7")
    marked = ["torch>=2.3", "numpy>=2", "tomli; python_version < '3.11'"]
    assert remedy.satisfies(result("pass", torch="2.3.1", numpy="2.2.6"), marked, "3.11.7")


def test_closures_and_changes(tmp_path):
    lock_file = tmp_path / "lock.txt"
    lock_file.write_text(
        "# harness lock\nnumpy==2.2.6\n    # via torch\ntriton==2.1.0 ; platform_machine == 'x86_64'\n-e ./x\n"
    )
    assert dict(lock.locked(lock_file)) == {"numpy": "2.2.6", "triton": "2.1.0"}
    moved = gate.changes({"a": "1", "b": "1"}, {"b": "2", "c": "1"})
    assert [(c.name, c.before, c.after) for c in moved] == [
        ("a", "1", None),
        ("b", "1", "2"),
        ("c", None, "1"),
    ]


def test_a_module_that_no_longer_imports_signs_its_tests_and_new_errors_count():
    """quantities 0.15 under NumPy 2: each test module fails to import, so its tests go
    missing; they are signed by their module's error. A module the baseline could not collect
    either, that now fails with a new error, is a regression too (nptyping 2.5)."""
    removed = Failure("tests/test_a.py", "numpy2-removed-name",
                      "AttributeError: type object 'numpy.ndarray' has no attribute 'ptp'")  # fmt: skip
    baseline = CellResult(Cell("b", {}), "fail", Counts(passed=2, errors=1),
                          outcomes={"tests/test_a.py::test_x": "passed",
                                    "tests/test_a.py::test_y": "passed",
                                    "tests/test_old.py": "error"})  # fmt: skip
    proposed = CellResult(Cell("p", {}), "fail", Counts(errors=3), failures=[removed],
                          outcomes={"tests/test_a.py": "error", "tests/test_old.py": "error",
                                    "tests/test_new.py": "error"})  # fmt: skip
    verdict = gate.judge(baseline, proposed, [])
    assert verdict.exit_code == 1
    signed = {r.test: (r.now, r.signature) for r in verdict.regressions}
    assert signed == {
        "tests/test_a.py::test_x": ("missing", "numpy2-removed-name"),
        "tests/test_a.py::test_y": ("missing", "numpy2-removed-name"),
        "tests/test_new.py": ("error", ""),
    }
    assert verdict.headline == (
        "2 test(s) that passed with the base's dependencies broke; "
        "1 test(s) the baseline did not run fail"
    )
    assert verdict.already_failing == ["tests/test_old.py"]


def test_a_revert_of_a_package_under_two_markers_keeps_both_lines():
    names = Sources("HEAD", [Line("r.txt", 1, "numpy==1.21.5; python_version<'3.8'"),
                             Line("r.txt", 2, "numpy>=1.20,<2; python_version>='3.8'")]).names()  # fmt: skip
    found = remedy.options(["numpy>=2; python_version>='3.8'"], names,
                           [gate.Change("numpy", "1.26.4", "2.2.6")], [], [], "3.11.7", {})  # fmt: skip
    revert = next(o for o in found if o.kind == "revert")
    assert revert.lines == ["numpy==1.21.5; python_version<'3.8'",
                            "numpy>=1.20,<2; python_version>='3.8'"]  # fmt: skip


def test_a_baseline_with_failures_of_its_own_backs_a_fix_when_the_broken_tests_passed_in_it():
    """nibabel 5.1: 35 tests fail on any NumPy; the revert to numpy<2 is still measured."""
    baseline = CellResult(Cell("b", {}), "fail", Counts(passed=1, failed=1),
                          versions={"python": "3.11.7", "numpy": "1.26.4"},
                          outcomes={"t.py::ok": "passed", "t.py::old": "failed"})  # fmt: skip
    found = remedy.options(["numpy>=2"], {}, [gate.Change("numpy", "1.26.4", "2.2.6")], [], [],
                           "3.11.7", {})  # fmt: skip
    backing = [remedy.Backing(baseline, "baseline HEAD")]
    (bound,) = [f for f in remedy.verify(found, backing, "3.11.7", broken=("t.py::ok",))
                if f.requirement == "numpy<2"]  # fmt: skip
    assert bound.verified and bound.report == "baseline HEAD"
    assert not remedy.verify(found, backing, "3.11.7", broken=("t.py::old",))[0].verified
    assert not remedy.verify(found, backing, "3.11.7")[0].verified  # no broken tests named


def test_what_a_state_that_cannot_be_installed_asked_for(measured):
    lines = ["NumPy==9.9.9", "pandas>=2,<3", "torch==2.*", "scipy===1.0", "-e .", "pytest"]
    assert gate.asked(lines) == {"numpy": "9.9.9", "scipy": "1.0"}
    impossible = CellResult(Cell("p", {}), "unsatisfiable")
    before = {"numpy": "1.26.4", "pytest": "8.3.5"}
    moved = gate.moved(before, {}, impossible, ["numpy==9.9.9", "pytest==8.3.5"])
    assert [(c.name, c.before, c.after) for c in moved] == [("numpy", "1.26.4", "9.9.9")]
    good = measured("torch21-numpy126")
    assert [c.after for c in gate.moved(before, {"numpy": "2.2.6"}, good, [])] == ["2.2.6", None]
