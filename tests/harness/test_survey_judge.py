"""A project's outcome from its cells, decided on constructed results (``survey.judge``)."""

from harness.model import Cell, CellResult, Counts, Failure
from harness.survey import judge
from harness.survey import row as rows

PASSED, FAILED, ERROR = "passed", "failed", "error"


def result(name, verdict, outcomes=None, failures=(), problem=None) -> CellResult:
    outcomes = dict(outcomes or {})
    counts = Counts(
        passed=sum(v == PASSED for v in outcomes.values()),
        failed=sum(v == FAILED for v in outcomes.values()),
        errors=sum(v == ERROR for v in outcomes.values()),
    )
    return CellResult(Cell(name, {"numpy": "==x"}), verdict, tests=counts, outcomes=outcomes,
                      failures=list(failures), problem=problem)  # fmt: skip


def bridge(test):
    return Failure(test, "numpy2-removed-name", "AttributeError: `np.float_` was removed")


def test_both_pass_works():
    control = result("c", "pass", {"t::a": PASSED, "t::b": PASSED})
    change = result("n", "pass", {"t::a": PASSED, "t::b": PASSED})
    found = judge.judge(control, [change])
    assert (found.outcome, found.broken) == (rows.WORKS, [])


def test_a_test_that_passed_in_the_control_and_fails_with_the_change_breaks():
    control = result("c", "pass", {"t::a": PASSED, "t::b": PASSED})
    change = result("n", "fail", {"t::a": PASSED, "t::b": FAILED}, [bridge("t::b")])
    found = judge.judge(control, [change])
    assert found.outcome == rows.BREAKS
    assert [(b.test, b.cell, b.now, b.signature) for b in found.broken] == [
        ("t::b", "n", FAILED, "numpy2-removed-name")
    ]
    assert "np.float_" in found.broken[0].evidence
    assert "1 test(s)" in found.reason


def test_breaks_even_when_the_control_fails_other_tests():
    control = result(
        "c", "fail", {"t::a": FAILED, "t::b": PASSED, "t::c": PASSED}, [bridge("t::a")]
    )
    change = result("n", "fail", {"t::a": FAILED, "t::b": FAILED, "t::c": PASSED},
                    [bridge("t::a"), bridge("t::b")])  # fmt: skip
    found = judge.judge(control, [change])
    assert found.outcome == rows.BREAKS
    assert [b.test for b in found.broken] == ["t::b"]  # t::a failed already


def test_the_same_failures_on_both_sides_are_broken_regardless_and_the_differences_listed():
    control = result("c", "fail", {"t::a": FAILED, "t::b": FAILED, "t::c": PASSED})
    change = result("n", "fail", {"t::a": FAILED, "t::b": PASSED, "t::c": PASSED})
    found = judge.judge(control, [change])
    assert found.outcome == rows.BROKEN_REGARDLESS
    assert found.broken == []
    assert found.fixed == [{"test": "t::b", "cell": "n"}]
    assert "2 failing" in found.reason


def test_a_module_that_no_longer_collects_breaks_unless_it_did_not_collect_in_the_control():
    control = result("c", "pass", {"tests/test_x.py::a": PASSED, "tests/test_y.py::b": PASSED})
    change = result("n", "fail", {"tests/test_x.py": ERROR, "tests/test_y.py::b": PASSED},
                    [Failure("tests/test_x.py", "numpy-abi-import", "_ARRAY_API not found")])  # fmt: skip
    found = judge.judge(control, [change])
    assert [(b.test, b.signature) for b in found.broken] == [
        ("tests/test_x.py", "numpy-abi-import")
    ]
    already = result("c", "fail", {"tests/test_x.py": ERROR, "tests/test_y.py::b": PASSED})
    renamed = result("n", "fail", {"tests/test_x.py::a[np.float64(1.0)]": FAILED,
                                   "tests/test_y.py::b": PASSED})  # fmt: skip
    assert judge.broken_tests(already, renamed) == []  # its whole module failed in the control
    folder = result("c", "fail", {"tests": ERROR})
    assert judge.broken_tests(folder, renamed) == []  # and so did the folder holding it


def test_a_crash_with_the_change_breaks_the_cell_as_a_whole():
    control = result("c", "pass", {"t::a": PASSED})
    crash = Failure("commands[0]", "crash-signal", "Fatal Python error: Segmentation fault")
    change = result("n", "crash", {}, problem=crash)
    found = judge.judge(control, [change])
    assert found.outcome == rows.BREAKS
    assert [(b.test, b.now, b.signature) for b in found.broken] == [
        (judge.WHOLE_CELL, "crash", "crash-signal")
    ]


def test_the_same_problem_on_both_sides_is_not_a_break():
    problem = Failure("commands[1]", "other", "flake8 found 3 errors")
    control = result("c", "fail", {"t::a": PASSED}, problem=problem)
    change = result("n", "fail", {"t::a": PASSED}, problem=problem)
    assert judge.judge(control, [change]).outcome == rows.BROKEN_REGARDLESS


def test_cells_that_were_not_measured_make_the_project_not_measurable_with_the_reason():
    passed = result("c", "pass", {"t::a": PASSED})
    build = Failure("install", "install-network", "Failed to build `pkg==1.0`: backend failed")
    unsat = Failure("lock", "unsatisfiable", "pkg==1.0 depends on numpy<2")
    cases = [
        (result("c", "infra-error", problem=build), passed, rows.BUILD_FAILURE, "control cell c"),
        (passed, result("n", "unsatisfiable", problem=unsat), rows.UNSATISFIABLE_PINS, "numpy<2"),
        (passed, result("n", "timeout"), rows.TIMED_OUT, "changed cell n: timeout"),
        (result("c", "no-tests"), passed, rows.NO_TESTS_RAN, "control cell c: no-tests"),
        (passed, result("n", "infra-error", problem=Failure("install", "install-network",
                                                            "Could not resolve host")),
         rows.INSTALL_FAILURE, "Could not resolve host"),
        (passed, result("n", "infra-error", problem=Failure("install", "install-network",
                                                            "OSError: No space left on device")),
         rows.DISK, "No space left"),
    ]  # fmt: skip
    for control, change, kind, words in cases:
        found = judge.judge(control, [change])
        assert (found.outcome, found.reason_kind) == (rows.NOT_MEASURABLE, kind), words
        assert words in found.reason


def test_several_changes_break_when_any_breaks():
    control = result("c", "pass", {"t::a": PASSED})
    fine = result("n1", "pass", {"t::a": PASSED})
    broken = result("n2", "fail", {"t::a": FAILED}, [bridge("t::a")])
    found = judge.judge(control, [fine, broken])
    assert found.outcome == rows.BREAKS and [b.cell for b in found.broken] == ["n2"]


def test_a_release_passes_a_bisect_step_when_nothing_breaks_with_the_change():
    control = result("c", "pass", {"t::a": PASSED})
    assert judge.step_verdict(control, [result("n", "pass", {"t::a": PASSED})]) == "pass"
    assert judge.step_verdict(control, [result("n", "fail", {"t::a": FAILED})]) == "fail"
    failing = result("c", "fail", {"t::a": FAILED, "t::b": PASSED})
    assert (
        judge.step_verdict(failing, [result("n", "fail", {"t::a": FAILED, "t::b": PASSED})])
        == "pass"
    )
    nothing = result("c", "fail", {"t": ERROR})  # a release whose tests do not run today
    assert judge.step_verdict(nothing, [result("n", "fail", {"t": ERROR})]) == "no-tests"
    assert judge.step_verdict(nothing, [result("n", "pass", {"t::a": PASSED})]) == "pass"
    needs_it = result("c", "unsatisfiable")  # a release that requires numpy 2
    assert judge.step_verdict(needs_it, [result("n", "pass", {"t::a": PASSED})]) == "pass"
    assert judge.step_verdict(needs_it, [result("n", "fail", {"t::a": FAILED})]) == "unsatisfiable"
    assert judge.step_verdict(control, [result("n", "infra-error")]) == "infra-error"


def test_a_collection_error_that_stops_the_session_says_how_few_tests_ran():
    control = result("c", "fail", {"pkg/tests/test_a.py::a": PASSED, "pkg/tests/test_a.py::b": PASSED,
                                   "pkg/tests/test_b.py::c": FAILED})  # fmt: skip
    stopped = Failure("commands[0]", "session-incomplete", "Interrupted: 1 error during collection")
    change = result("n", "fail", {"pkg/tests": ERROR},
                    [Failure("pkg/tests", "numpy2-removed-name", "no attribute 'cumproduct'")],
                    problem=stopped)  # fmt: skip
    found = judge.judge(control, [change])
    assert found.outcome == rows.BREAKS
    assert [(b.test, b.signature) for b in found.broken] == [
        (judge.WHOLE_CELL, "session-incomplete"), ("pkg/tests", "numpy2-removed-name")]  # fmt: skip
    assert found.reason.endswith("n ran 1 test(s) of the control's 3")


def test_a_control_in_which_no_test_passed_has_nothing_to_compare_with():
    plugin = Failure("command", "other", "PluginValidationError: Plugin 'pep8' for hook")
    cases = [
        (result("c", "fail", {}, problem=plugin), "PluginValidationError"),
        (result("c", "fail", {"pkg/tests/test_a.py": ERROR},
                [Failure("pkg/tests/test_a.py", "other", "import file mismatch:")]), "mismatch"),
    ]  # fmt: skip
    for control, words in cases:
        change = result("n", "fail", {"pkg/tests/test_a.py": ERROR, "pkg/tests/test_b.py": ERROR})
        found = judge.judge(control, [change])
        assert (found.outcome, found.reason_kind) == (rows.NOT_MEASURABLE, rows.NO_TESTS_RAN)
        assert (
            found.reason.startswith("no test passed in the control cell c: fail")
            and words in found.reason
        )


def timing(test):
    return Failure(test, "other", "assert 1.14 < (1.1 * 1.0)")


def test_a_test_that_breaks_in_one_run_of_two_is_flaky_and_not_counted():
    control = result("c", "pass", {"t::a": PASSED, "t::perf": PASSED})
    once = result("n", "fail", {"t::a": PASSED, "t::perf": FAILED}, [timing("t::perf")])
    again = result("n", "pass", {"t::a": PASSED, "t::perf": PASSED})
    found = judge.judge(control, [once], [again])
    assert (found.outcome, found.broken) == (rows.WORKS, [])
    assert [(b.test, b.cell) for b in found.flaky] == [("t::perf", "n")]
    assert "1 test(s) broke in one run of two" in found.reason and "t::perf" in found.reason


def test_a_test_the_cell_s_own_re_run_found_flaky_is_named_not_counted():
    control = result("c", "pass", {"t::a": PASSED, "t::perf": PASSED, "t::old": FAILED})
    change = result("n", "fail", {"t::a": FAILED, "t::perf": "flaky", "t::old": "flaky"},
                    [bridge("t::a")])  # fmt: skip
    change.flaky = ["t::perf", "t::old"]  # failed, then passed on the cell's re-run
    found = judge.judge(control, [change])
    assert found.outcome == rows.BREAKS and [b.test for b in found.broken] == ["t::a"]
    assert [(b.test, b.cell, b.now) for b in found.flaky] == [("t::perf", "n", "flaky")]
    assert "1 test(s) broke in one run of two" in found.reason


def test_a_break_that_repeats_counts_and_a_flaky_one_beside_it_is_named():
    control = result("c", "pass", {"t::a": PASSED, "t::perf": PASSED})
    once = result(
        "n", "fail", {"t::a": FAILED, "t::perf": FAILED}, [bridge("t::a"), timing("t::perf")]
    )
    again = result("n", "fail", {"t::a": FAILED, "t::perf": PASSED}, [bridge("t::a")])
    found = judge.judge(control, [once], [again])
    assert found.outcome == rows.BREAKS
    assert [b.test for b in found.broken] == ["t::a"] and [b.test for b in found.flaky] == [
        "t::perf"
    ]


def test_a_second_run_that_was_not_measured_leaves_the_first_run_s_breaks():
    control = result("c", "pass", {"t::a": PASSED})
    once = result("n", "fail", {"t::a": FAILED}, [bridge("t::a")])
    again = result("n", "timeout", {})
    found = judge.judge(control, [once], [again])
    assert (found.outcome, [b.test for b in found.broken], found.flaky) == (
        rows.BREAKS,
        ["t::a"],
        [],
    )


def test_a_flaky_break_beside_a_failing_control_is_broken_regardless():
    control = result("c", "fail", {"t::a": FAILED, "t::perf": PASSED}, [timing("t::a")])
    once = result(
        "n", "fail", {"t::a": FAILED, "t::perf": FAILED}, [timing("t::a"), timing("t::perf")]
    )
    again = result("n", "fail", {"t::a": FAILED, "t::perf": PASSED}, [timing("t::a")])
    found = judge.judge(control, [once], [again])
    assert found.outcome == rows.BROKEN_REGARDLESS and [b.test for b in found.flaky] == ["t::perf"]


def test_a_break_names_the_packages_its_lock_moved_besides_the_change_s_pins():
    control_lock = {("numpy", "1.26.4"), ("pandas", "3.0.6"), ("pytz", "2025.2"), ("six", "1.17")}
    change_lock = {("numpy", "2.2.6"), ("pandas", "3.1.1"), ("six", "1.17"), ("tzdata", "2025.3")}
    found = judge.moved(control_lock, change_lock, ["NumPy"])
    assert found == {"pandas": ["3.0.6", "3.1.1"], "pytz": ["2025.2", None],
                     "tzdata": [None, "2025.3"]}  # fmt: skip
    control = result("c", "pass", {"t::a": PASSED, "t::b": PASSED})
    change = result("n", "fail", {"t::a": PASSED, "t::b": FAILED}, [bridge("t::b")])
    reason = judge.judge(control, [change], moved_with={"n": found}).reason
    assert "n's lock also moves pandas 3.0.6 -> 3.1.1, pytz 2025.2 -> (none)" in reason
    assert "also moves" not in judge.judge(control, [change], moved_with={"n": {}}).reason


def test_a_failing_control_whose_failures_pass_with_every_change_works_and_names_them():
    control = result("c", "fail", {"t::fv": FAILED, "t::pv": PASSED})
    change = result("n", "pass", {"t::fv": PASSED, "t::pv": PASSED})
    found = judge.judge(control, [change])
    assert (found.outcome, found.broken) == (rows.WORKS, [])
    assert found.fixed == [{"test": "t::fv", "cell": "n"}]
    assert found.reason == "the control fails 1 test(s) that pass with numpy==x: t::fv"
    failing = result("n2", "fail", {"t::fv": FAILED, "t::pv": PASSED})
    assert judge.judge(control, [change, failing]).outcome == rows.BROKEN_REGARDLESS
