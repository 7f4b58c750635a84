"""Verdicts decided on cells that real runs left behind (tests/harness/fixtures)."""

import pytest

from harness.model import Cell, Failure
from harness.stages import collect
from harness.stages.verdicts import Evidence, decide

from .conftest import recorded_cell, recorded_evidence

CELL = Cell("torch21-numpy22", {"torch": "==2.1.2", "numpy": "==2.2.6"})


def decided(recorded, name):
    directory = recorded(name)
    return decide(recorded_cell(directory), recorded_evidence(directory))


def test_broken_cell_fails_with_the_bridge_signature(recorded):
    result = decided(recorded, "torch21-numpy22")
    assert result.verdict == "fail"
    assert (result.tests.passed, result.tests.failed, result.tests.total) == (63, 15, 79)
    assert result.signature_counts() == {"numpy-bridge-unavailable": 15}
    assert result.versions["numpy"] == "2.2.6" and result.device["device"] == "cpu"
    assert all("Numpy is not available" in f.evidence for f in result.failures)
    assert all(f.where == "commands[0]" for f in result.failures)
    assert result.coverage == 98.02 and result.problem is None


def test_working_cell_passes(recorded):
    result = decided(recorded, "torch21-numpy126")
    assert result.verdict == "pass" and result.tests.passed == 78 and not result.failures
    assert result.device["numpy_bridge"] == "ok" and len(result.invocations) == 1


def test_a_failing_test_in_an_ignored_command_is_never_hidden(recorded):
    result = decided(recorded, "ignored")
    assert result.verdict == "fail"
    assert (result.tests.passed, result.tests.failed, result.tests.skipped) == (2, 10, 1)
    first, second = result.invocations
    assert first.ignored and first.exit_code == 1 and first.tests.failed == 10
    assert not second.ignored and second.tests.passed == 2
    assert result.signature_counts() == {"numpy-bridge-unavailable": 10}


def test_signal_crash_is_a_crash_even_with_commands_after_it(recorded):
    result = decided(recorded, "pre-post-crash")
    assert result.verdict == "crash" and result.problem.signature == "crash-signal"
    assert "Segmentation fault" in result.problem.evidence and result.problem.where == "commands[0]"
    assert [i.exit_code for i in result.invocations] == [0, -11, 0]
    assert result.invocations[1].unfinished == 1 and result.tests.passed == 1


def test_sessions_that_did_not_finish_are_never_a_pass(recorded):
    vanished = decided(recorded, "os-exit")
    assert vanished.verdict == "crash" and vanished.problem.signature == "session-incomplete"
    assert "1 outcome(s) of 3" in vanished.problem.evidence
    stopped = decided(recorded, "exit-early")
    assert stopped.verdict == "fail" and stopped.problem.signature == "session-incomplete"
    assert stopped.problem.evidence.startswith("Exit: GPU not found, stopping")
    assert stopped.invocations[0].exit_code == 0 and stopped.tests.passed == 1


def test_a_failing_non_test_command_is_reported_as_itself(recorded):
    result = decided(recorded, "bad-command")
    assert result.verdict == "fail" and not result.failures and result.tests.total == 0
    assert (result.problem.test, result.problem.where) == ("command", "commands[0]")
    assert result.problem.evidence == "boom: the fixtures folder is missing"
    assert result.problem.message.startswith("exit 3")


def test_a_conftest_broken_by_numpy_2_is_an_incompatibility(recorded):
    result = decided(recorded, "broken-conftest")
    assert result.verdict == "fail" and result.problem.signature == "numpy2-removed-name"
    assert "`np.float_` was removed" in result.problem.evidence
    assert "before pytest started a session" in result.problem.message


def test_nothing_to_run_is_no_tests(recorded):
    empty = decided(recorded, "pkg23-empty")
    assert empty.verdict == "no-tests" and empty.tests.ran == 0
    assert empty.problem.evidence == "pytest ran no test: it collected nothing"
    none = decided(recorded, "no-commands")
    assert none.verdict == "no-tests" and none.problem.evidence == "the env has no commands"


def test_timeout_and_lock_problems():
    timed_out = decide(CELL, Evidence(timed_out=True, timeout_s=30, log="tests/x.py ..."))
    assert timed_out.verdict == "timeout" and "30s" in timed_out.problem.evidence
    unsat = Failure("lock", "unsatisfiable", "Because pandas==2.1.4 depends on numpy<2 ...")
    assert decide(CELL, Evidence(lock_problem=unsat)).verdict == "unsatisfiable"
    offline = Failure("lock", "install-network", "Failed to fetch")
    assert decide(CELL, Evidence(lock_problem=offline)).verdict == "infra-error"
    missing = Failure("python", "python-missing", "harness: no Python for base_python py399")
    assert decide(CELL, Evidence(lock_problem=missing)).verdict == "infra-error"


@pytest.mark.parametrize(
    "log, verdict, signature",
    [
        ("uv: Failed to fetch: https://pypi.example/simple/torch", "infra-error", "install-network"),
        ("error: No solution found when resolving dependencies", "unsatisfiable", "unsatisfiable"),
        ("ImportError: cannot import name 'x' while building", "infra-error", "env-setup"),
    ],
)  # fmt: skip
def test_a_failed_install_is_never_an_incompatibility(log, verdict, signature):
    journal = collect.Journal(setup_ok=False, install_s=1.0, test_s=0.0)
    result = decide(CELL, Evidence(journal=journal, log=log))
    assert (result.verdict, result.problem.signature) == (verdict, signature)
    assert result.versions["python"] is None


def session(*categories, texts=(), **fields):
    events = [collect.Event(f"t::{i}", "call", c) for i, c in enumerate(categories)]
    for event, text in zip([e for e in events if e.category == "failed"], texts):
        event.text = text
    fields.setdefault("finished", True)
    fields.setdefault("start", 1.5)
    return collect.Session(collected=len(categories), events=events, **fields)


def journal_of(*codes):
    commands = [collect.Ran(f"commands[{i}]", ["pytest"], code, float(i + 1), float(i + 2),
                            "output") for i, code in enumerate(codes)]  # fmt: skip
    return collect.Journal(setup_ok=True, install_s=1.0, test_s=1.0, commands=commands)


def test_failures_that_are_all_infrastructure_make_an_infra_error():
    cut = session("failed", "failed", texts=["ConnectionRefusedError: [Errno 111]"] * 2)
    result = decide(CELL, Evidence(journal=journal_of(1), sessions=[cut]))
    assert result.verdict == "infra-error" and result.problem.signature == "install-network"
    mixed = session(
        "failed", "failed", texts=["ConnectionRefusedError: x", "AssertionError: 3 != 4"]
    )
    assert decide(CELL, Evidence(journal=journal_of(1), sessions=[mixed])).verdict == "fail"


def test_pytest_exit_without_a_failing_test_decides_unless_ignored():
    clean = session("passed", exitstatus=1)
    evidence = Evidence(journal=journal_of(1), sessions=[clean])
    evidence.journal.commands[0].output = "FAIL Required test coverage of 100% not reached."
    result = decide(CELL, evidence)
    assert result.verdict == "fail" and result.problem.test == "pytest"
    assert result.problem.message.startswith("pytest exit 1 with no failing test")
    ignoring = Cell("c", {}, commands={"commands": ["- pytest --cov-fail-under=100"]})
    assert decide(ignoring, Evidence(journal=journal_of(1), sessions=[clean])).verdict == "pass"


def test_sessions_are_placed_in_the_command_that_ran_them():
    first, second = session("passed", start=1.5), session("failed", "passed", start=2.5)
    result = decide(CELL, Evidence(journal=journal_of(0, 1), sessions=[second, first]))
    assert [i.tests.ran for i in result.invocations] == [1, 2]
    assert result.tests.ran == 3 and result.failures[0].where == "commands[1]"


def test_sessions_of_a_killed_cell_are_kept_and_it_is_a_timeout():
    hung = session("passed", finished=False)
    result = decide(CELL, Evidence(timed_out=True, timeout_s=9, sessions=[hung]))
    assert result.verdict == "timeout" and result.invocations[0].run_id == "(killed)"
    assert result.tests.passed == 1


def after_the_tests(argv, output="output"):
    """A cell whose first command's pytest session passed, then another command ran."""
    evidence = Evidence(journal=journal_of(0, 0), sessions=[session("passed")])
    evidence.journal.commands[1].argv = argv
    evidence.journal.commands[1].output = output
    return decide(CELL, evidence)


@pytest.mark.parametrize(
    "output",
    [
        "============================= test session starts ==============================",
        "148 passed in 41.12s",
        "..s.                                                                     [100%]",
    ],
)
@pytest.mark.parametrize("argv", [["env", "X=1", "pytest", "-q"], ["make", "check"]])
def test_a_pytest_session_the_probe_never_saw_is_not_measured(argv, output):
    result = after_the_tests(argv, output)  # a pytest from outside the env, by any name
    assert result.verdict == "infra-error" and result.problem.signature == "probe-missing"
    assert result.problem.where == "commands[1]"


def test_a_failing_pytest_whose_session_the_probe_never_saw_is_not_measured():
    evidence = Evidence(journal=journal_of(1), sessions=[])  # a pytest from outside the env
    evidence.journal.commands[
        0
    ].output = "FAILED t.py::x - ImportError\n1 failed, 147 passed in 41.12s"
    result = decide(CELL, evidence)
    assert result.verdict == "infra-error" and result.problem.signature == "probe-missing"
    assert result.problem.evidence.startswith("pytest ran (exit 1)")
    evidence.journal.commands[
        0
    ].output = "ImportError while loading conftest '/p/tests/conftest.py'."
    assert decide(CELL, evidence).verdict == "fail"  # pytest stopped before any session


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "-m", "pip", "uninstall", "pytest", "-y"],
        ["python", "-c", "import pytest_cov; print('pytest is not needed')"],
        ["pytest", "--version"],
    ],
)
def test_a_command_without_a_pytest_session_is_not_a_test_run(argv):  # patsy's tox.ini
    result = after_the_tests(argv, "Successfully uninstalled pytest-8.3.2")
    assert result.verdict == "pass" and result.problem is None and result.tests.passed == 1
    assert result.invocations[1].sessions == 0


def test_a_cell_whose_only_pytest_command_ran_no_session_ran_no_tests():
    result = decide(CELL, Evidence(journal=journal_of(0), sessions=[]))
    assert result.verdict == "no-tests" and result.tests.total == 0


def test_an_env_tox_skipped_says_why_rather_than_no_tests():  # pytest-env's .pkg wants 3.15
    cell = Cell("3.11", {}, commands={"commands": ["pytest tests"]})
    log = (
        ".pkg: could not find python interpreter with spec(s): cpython3.15 for package "
        "environment .pkg\n  3.11: SKIP (0.01 seconds)\n  evaluation failed :( (0.30 seconds)"
    )
    result = decide(cell, Evidence(journal=journal_of(), log=log))
    assert result.verdict == "infra-error" and result.problem.signature == "python-missing"
    assert result.problem.evidence.startswith(".pkg: could not find python interpreter")
    assert decide(Cell("none", {}), Evidence(journal=journal_of())).verdict == "no-tests"


def test_a_pytest_that_could_not_start_is_not_measured(recorded):
    clash = decided(recorded, "plugin-clash")  # a real plugin and a conftest, one option dest
    assert clash.verdict == "infra-error" and clash.problem.signature == "pytest-not-started"
    assert "option dest 'remote_data' already used" in clash.problem.evidence
    assert clash.problem.where == "commands[0]" and not clash.failures


@pytest.mark.parametrize(
    ("code", "output", "said"),
    [
        (4, "ERROR: usage: pytest [options] [file_or_dir]\npytest: error: unrecognized arguments: "
            "--remote-data", "pytest: error: unrecognized arguments: --remote-data"),
        (3, "INTERNALERROR> Traceback (most recent call last):\nINTERNALERROR>   File \"x.py\", "
            "line 1, in f\nINTERNALERROR> ValueError: option names {'--foo'} already added",
         "INTERNALERROR> ValueError: option names {'--foo'} already added"),
    ],
)  # fmt: skip
def test_usage_and_internal_errors_are_not_measured_and_quoted(code, output, said):
    evidence = Evidence(journal=journal_of(code), sessions=[])
    evidence.journal.commands[0].output = output
    result = decide(CELL, evidence)
    assert result.verdict == "infra-error" and result.problem.signature == "pytest-not-started"
    assert result.problem.evidence == said
    # pytest's configure failing after the probe's started a session: still not measured
    begun = collect.Session(start=1.5, collected=None, finished=False)
    evidence = Evidence(journal=journal_of(code), sessions=[begun])
    evidence.journal.commands[0].output = output
    assert decide(CELL, evidence).problem.signature == "pytest-not-started"
