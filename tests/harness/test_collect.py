from harness import collect
from harness.cells import Counts


def test_junit_of_the_broken_cell(recorded):
    cases = collect.junit_cases(recorded("torch21-numpy22") / "junit.xml")
    assert collect.count(cases) == Counts(passed=63, failed=15, errors=0, skipped=1)
    failed = [c for c in cases if c.outcome == "failed"]
    assert all("Numpy is not available" in c.message + c.text for c in failed)
    assert "tests.inference.test_service::test_predict_from_path" in {c.id for c in failed}


def test_missing_or_truncated_junit(tmp_path, recorded):
    assert collect.junit_cases(tmp_path / "none.xml") is None
    cut = tmp_path / "cut.xml"
    cut.write_text((recorded("torch21-numpy126") / "junit.xml").read_text()[:500])
    assert collect.junit_cases(cut) is None


def test_coverage_and_probe(recorded, tmp_path):
    cell = recorded("torch21-numpy22")
    assert collect.coverage_percent(cell / "coverage.json") == 97.71
    assert collect.coverage_percent(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text('{"totals": {}}')
    assert collect.coverage_percent(tmp_path / "bad.json") is None
    probe = collect.read_json(cell / "probe.json")
    assert collect.device(probe) == {
        "device": "cpu", "gpu": None, "cuda": "12.1", "numpy_bridge": "RuntimeError: Numpy is not available",
    }  # fmt: skip
    assert collect.device(None) == {}


def test_tox_journal(recorded):
    journal = collect.journal(recorded("torch21-numpy22") / "tox-result.json", "torch21-numpy22")
    assert journal.setup_ok and journal.test_retcodes == [1]
    assert journal.packages["torch"] == "2.1.2" and journal.packages["numpy"] == "2.2.6"
    assert journal.python == "3.11.7" and journal.install_s > 0 and journal.test_s > 0
    assert collect.journal(recorded("torch21-numpy126") / "tox-result.json", "other-env") is None


def test_versions_prefer_the_probe_and_fall_back_to_the_journal(recorded):
    cell = recorded("pkg24-crash")
    journal = collect.journal(cell / "tox-result.json", "pkg24-crash")
    assert journal.test_retcodes == [-11]
    found = collect.versions(journal, None)
    assert found["python"] and found["torch"] is None
    probe = {"python": "3.9.1", "versions": {"torch": "2.2.2", "numpy": None}}
    assert collect.versions(journal, probe)["python"] == "3.9.1"
    assert collect.versions(None, probe)["torch"] == "2.2.2"


def test_log_tail(tmp_path):
    log = tmp_path / "tox.log"
    log.write_text("\n".join(str(i) for i in range(1000)))
    assert collect.log_tail(log, lines=3) == "997\n998\n999"
    assert collect.log_tail(tmp_path / "none.log") == ""
