import pytest

from harness import collect
from harness.cells import Cell, Failure
from harness.verdicts import Evidence, decide

CELL = Cell("torch21-numpy22", {"torch": "==2.1.2", "numpy": "==2.2.6"})


def evidence_from(directory, env):
    return Evidence(
        duration_s=12.3,
        cases=collect.junit_cases(directory / "junit.xml"),
        coverage=collect.coverage_percent(directory / "coverage.json"),
        journal=collect.journal(directory / "tox-result.json", env),
        probe=collect.read_json(directory / "probe.json"),
        log=collect.log_tail(directory / "tox.log"),
    )


def test_broken_cell_fails_with_the_bridge_signature(recorded):
    result = decide(CELL, evidence_from(recorded("torch21-numpy22"), "torch21-numpy22"))
    assert result.verdict == "fail"
    assert (result.tests.passed, result.tests.failed, result.tests.total) == (63, 15, 79)
    assert result.signature_counts() == {"numpy-bridge-unavailable": 15}
    assert result.versions["numpy"] == "2.2.6" and result.device["device"] == "cpu"
    assert all("Numpy is not available" in f.evidence for f in result.failures)
    assert result.coverage == 97.71 and result.problem is None


def test_working_cell_passes(recorded):
    cell = Cell("torch21-numpy126", {"torch": "==2.1.2", "numpy": "==1.26.4"})
    result = decide(cell, evidence_from(recorded("torch21-numpy126"), "torch21-numpy126"))
    assert result.verdict == "pass" and result.tests.passed == 78 and not result.failures
    assert result.device["numpy_bridge"] == "ok"


def test_signal_crash_is_a_crash_never_a_pass(recorded):
    result = decide(Cell("pkg24-crash", {}), evidence_from(recorded("pkg24-crash"), "pkg24-crash"))
    assert result.verdict == "crash"
    assert result.problem.signature == "crash-signal"
    assert result.problem.evidence == "Fatal Python error: Segmentation fault"


def test_no_tests_collected_is_never_a_pass(recorded):
    result = decide(Cell("pkg23-empty", {}), evidence_from(recorded("pkg23-empty"), "pkg23-empty"))
    assert result.verdict == "no-tests" and result.tests.ran == 0
    assert result.problem.signature == "no-tests"


def test_timeout_and_lock_problems():
    timed_out = decide(CELL, Evidence(timed_out=True, timeout_s=30, log="tests/x.py ..."))
    assert timed_out.verdict == "timeout" and "30s" in timed_out.problem.evidence
    unsat = Failure("lock", "unsatisfiable", "Because pandas==2.1.4 depends on numpy<2 ...")
    assert decide(CELL, Evidence(lock_problem=unsat)).verdict == "unsatisfiable"
    offline = Failure("lock", "install-network", "Failed to fetch")
    assert decide(CELL, Evidence(lock_problem=offline)).verdict == "infra-error"


@pytest.mark.parametrize(
    "log, verdict, signature",
    [
        (
            "uv: Failed to fetch: https://pypi.example/simple/torch",
            "infra-error",
            "install-network",
        ),
        ("error: No solution found when resolving dependencies", "unsatisfiable", "unsatisfiable"),
        ("ImportError: cannot import name 'x' while building", "infra-error", "install-network"),
    ],
)
def test_a_failed_install_is_never_an_incompatibility(log, verdict, signature):
    journal = collect.Journal(setup_ok=False, install_s=1.0, test_s=0.0, test_retcodes=[])
    result = decide(CELL, Evidence(journal=journal, log=log))
    assert (result.verdict, result.problem.signature) == (verdict, signature)


def journal_with(retcode):
    return collect.Journal(setup_ok=True, install_s=1.0, test_s=1.0, test_retcodes=[retcode])


def test_no_junit_report():
    clean = decide(CELL, Evidence(journal=journal_with(0), log="ok"))
    assert clean.verdict == "no-tests"
    broken = decide(CELL, Evidence(journal=journal_with(1), log="E ImportError: libfoo.so"))
    assert broken.verdict == "fail" and broken.problem.signature == "import-error"
    unknown = decide(CELL, Evidence(journal=journal_with(2), log="something odd"))
    assert unknown.verdict == "infra-error"


def test_nonzero_pytest_exit_without_failing_tests(recorded):
    evidence = evidence_from(recorded("torch21-numpy126"), "torch21-numpy126")
    evidence.journal.test_retcodes = [1]
    evidence.log = "FAIL Required test coverage of 100% not reached. Total coverage: 98.6%"
    result = decide(CELL, evidence)
    assert result.verdict == "fail" and not result.failures and result.problem.test == "pytest"
