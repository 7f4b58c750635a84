"""The run's result on stdout: each cell, and each failing cell's first failing tests."""

from pathlib import Path

from harness.report.confirmed import DETAIL_LINES
from harness.report.terminal import SHOWN, result_lines
from harness.stages.expectations import parse
from harness.stages.verdicts import decide

from .conftest import recorded_cell, recorded_evidence


def decided(recorded, name):
    directory = recorded(name)
    return decide(recorded_cell(directory), recorded_evidence(directory))


def test_a_failing_cell_lists_its_first_failing_tests(recorded):
    lines = result_lines(
        [decided(recorded, "torch21-numpy126"), decided(recorded, "torch21-numpy22")]
    )
    assert lines[0].startswith("torch21-numpy126: pass (78 passed")
    assert lines[1].startswith("torch21-numpy22: fail (63 passed, 15 failed")
    quoted = [line for line in lines if line.startswith("      | ")]  # what pytest printed
    assert "      | E       assert 1 == 0" in quoted and len(quoted) <= SHOWN * DETAIL_LINES
    lines = [line for line in lines if line not in quoted]
    shown = lines[2 : 2 + SHOWN]
    assert all(line.startswith("    tests/inference/") for line in shown)
    assert all("[numpy-bridge-unavailable]: " in line and "Numpy is not available" in line
               for line in shown)  # fmt: skip
    assert lines[2 + SHOWN] == f"    ... and {15 - SHOWN} more (see the report)"
    assert len(lines) == 3 + SHOWN


def test_a_cell_without_failing_tests_shows_its_problem(recorded):
    lines = result_lines([decided(recorded, "pre-post-crash")])
    assert lines[0].startswith("pre-post-crash: crash")
    assert lines[1].startswith("    commands[0] [crash-signal]: ")


def test_a_declared_cell_says_it_was_expected_and_a_new_failure_says_so(recorded):
    bad = decided(recorded, "torch21-numpy22")
    table = {"torch21-numpy2*": {"verdict": "fail", "signature": "numpy-bridge-unavailable"}}
    declared = parse(table, Path("pyproject.toml"), "pyproject.toml")
    lines = result_lines([decided(recorded, "torch21-numpy126"), bad], declared)
    assert lines[0].endswith("s)") and "expected" not in lines[0]  # a pass gets no note
    assert lines[1].endswith("(expected: numpy-bridge-unavailable)")
    lines = [line for line in lines if not line.startswith("      | ")]
    assert len(lines) == 3 + SHOWN  # the break is still shown, test by test
    assert result_lines([bad])[0].endswith("(new failure: not declared)")
