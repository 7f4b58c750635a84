"""A cell read against its control (``harness.control``), on constructed results: what fails
only outside the control, what fails only in it, and the view compat.json records."""

import pytest

from harness import control
from harness.errors import ConfigError
from harness.model import Cell, CellResult, Counts, Failure
from harness.survey import judge

PASSED, FAILED, ERROR = "passed", "failed", "error"
REMOVED = (
    "AttributeError: `np.float_` was removed in the NumPy 2.0 release. Use `np.float64` instead."
)


def result(name, verdict, outcomes=None, failures=(), problem=None, mode="suite",
           numpy="1.26.4") -> CellResult:  # fmt: skip
    outcomes = dict(outcomes or {})
    counts = Counts(
        passed=sum(v == PASSED for v in outcomes.values()),
        failed=sum(v == FAILED for v in outcomes.values()),
        errors=sum(v == ERROR for v in outcomes.values()),
    )
    return CellResult(Cell(name, {"numpy": f"=={numpy}"}), verdict, tests=counts, outcomes=outcomes,
                      failures=list(failures), problem=problem, mode=mode,
                      versions={"python": "3.11.7", "numpy": numpy})  # fmt: skip


def old_failures(outcomes: dict) -> list:
    return [
        Failure(t, "other", "AssertionError: wrong answer")
        for t, o in outcomes.items()
        if o == FAILED
    ]


def numpy_126_and_22():
    """A project that fails 24 tests on numpy 1.26 and 2.2 alike, and 7 more on 2.2 only."""
    both = {f"tests/test_old.py::test_{n}": FAILED for n in range(24)}
    passing = {f"tests/test_ok.py::test_{n}": PASSED for n in range(40)}
    broken = {f"tests/test_np.py::test_{n}": PASSED for n in range(7)}
    main = result("numpy126", "fail", {**both, **passing, **broken}, old_failures(both))
    now = {t: FAILED for t in broken}
    change = result("numpy22", "fail", {**both, **passing, **now},
                    old_failures(both) + [Failure(t, "numpy2-removed-name", f"{REMOVED}\n  more")
                                          for t in now], numpy="2.2.6")  # fmt: skip
    return main, change, sorted(now)


def control_view(main: CellResult, *others: CellResult) -> dict:
    return control.view(main, [main, *others])


def test_the_view_lists_exactly_the_tests_that_fail_only_outside_the_control():
    main, change, seven = numpy_126_and_22()
    found = control_view(main, change)
    assert (found["cell"], found["verdict"], found["measured"]) == ("numpy126", "fail", True)
    (only,) = found["changes"]
    assert (only["cell"], only["verdict"], only["measured"]) == ("numpy22", "fail", True)
    assert [b["test"] for b in only["broken"]] == seven
    assert {b["signature"] for b in only["broken"]} == {"numpy2-removed-name"}
    assert {b["now"] for b in only["broken"]} == {FAILED}
    assert only["broken"][0]["evidence"] == REMOVED  # the first line of the evidence
    assert only["signatures"] == {"numpy2-removed-name": 7}
    assert only["fixed"] == []


def test_a_module_that_fails_to_import_only_in_the_change_counts_with_its_error():
    main = result("c", "pass", {"tests/test_x.py::a": PASSED, "tests/test_x.py::b": PASSED,
                                "tests/test_y.py::c": PASSED})  # fmt: skip
    abi = Failure("tests/test_x.py", "numpy-abi-import", "ImportError: _ARRAY_API not found\nmore")
    change = result("n", "fail", {"tests/test_x.py": ERROR, "tests/test_y.py::c": PASSED}, [abi])
    (only,) = control_view(main, change)["changes"]
    assert only["broken"] == [{"test": "tests/test_x.py", "now": ERROR,
                               "signature": "numpy-abi-import",
                               "evidence": "ImportError: _ARRAY_API not found"}]  # fmt: skip
    assert only["signatures"] == {"numpy-abi-import": 1}
    already = result("c", "fail", {"tests/test_x.py": ERROR, "tests/test_y.py::c": PASSED})
    (same,) = control_view(already, change)["changes"]  # it did not import in the control either
    assert same["broken"] == [] and same["signatures"] == {}


def test_the_tests_that_fail_only_in_the_control_are_listed_too():
    main = result("c", "fail", {"t::a": FAILED, "t::b": FAILED, "t::c": PASSED})
    change = result("n", "fail", {"t::a": FAILED, "t::b": PASSED, "t::c": PASSED})
    (only,) = control_view(main, change)["changes"]
    assert (only["broken"], only["fixed"]) == ([], ["t::b"])


def test_a_cell_that_breaks_as_a_whole_comes_first_and_its_tests_are_counted_alone():
    main = result("c", "pass", {"t::a": PASSED, "t::b": PASSED})
    crash = Failure("commands[0]", "crash-signal", "Fatal Python error: Segmentation fault")
    change = result("n", "crash", {"t::a": FAILED}, [Failure("t::a", "other", "boom")], crash)
    (only,) = control_view(main, change)["changes"]
    assert [(b["test"], b["now"], b["signature"]) for b in only["broken"]] == [
        (control.WHOLE_CELL, "crash", "crash-signal"), ("t::a", FAILED, "other")]  # fmt: skip
    assert only["signatures"] == {"other": 1}


def test_cells_that_were_not_measured_compare_nothing():
    main = result("c", "pass", {"t::a": PASSED})
    unsat = result("n", "unsatisfiable", problem=Failure("lock", "unsatisfiable", "numpy<2"))
    (only,) = control_view(main, unsat)["changes"]
    assert (only["measured"], only["broken"], only["fixed"]) == (False, [], [])
    down = result("c", "infra-error", problem=Failure("install", "install-network", "offline"))
    found = control_view(down, result("n", "fail", {"t::a": FAILED}))
    assert found["measured"] is False and found["changes"][0]["measured"] is False


def test_only_cells_of_the_control_s_mode_are_read_against_it():
    main = result("c", "pass", {"t::a": PASSED})
    probe = result("p", "fail", {"t::a": FAILED}, mode="probe")
    assert [
        c["cell"] for c in control.view(main, [main, probe, result("n", "pass")])["changes"]
    ] == ["n"]


def test_an_unknown_control_is_one_line_naming_the_known_cells():
    assert control.checked("b", ["b", "a"]) == "b"
    with pytest.raises(ConfigError) as refused:
        control.checked("nosuch", ["b", "a", "b"])
    message = str(refused.value)
    assert message == "--control 'nosuch' is not a cell of this run or report; known cells: a, b"
    assert "\n" not in message


def test_the_survey_judges_with_the_same_comparison():
    assert judge.broken_tests is control.broken_tests and judge.fixed_tests is control.fixed_tests
    assert judge.WHOLE_CELL == control.WHOLE_CELL and judge.FAILING == control.FAILING
