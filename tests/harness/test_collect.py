import json

from harness.stages import collect
from harness.stages.invocations import count

from .conftest import recorded_cell


def test_sessions_of_the_broken_cell(recorded):
    (session,) = collect.sessions(recorded("torch21-numpy22") / "sessions")
    assert session.finished and session.exitstatus == 1 and session.collected == 79
    tests = count(session.events)
    assert (tests.passed, tests.failed, tests.skipped) == (63, 15, 1)
    failed = [e for e in session.events if e.category == "failed"]
    assert all("Numpy is not available" in e.message + e.text for e in failed)
    assert "tests/inference/test_service.py::test_predict_from_path" in {e.nodeid for e in failed}
    assert session.coverage == 98.02 and session.facts["versions"]["numpy"] == "2.2.6"
    assert collect.device(session.facts) == {
        "device": "cpu", "gpu": None, "cuda": "12.1", "numpy_bridge": "RuntimeError: Numpy is not available",
    }  # fmt: skip


def test_a_vanished_session_keeps_what_it_reported(recorded):
    (session,) = collect.sessions(recorded("os-exit") / "sessions")
    assert not session.finished and session.exitstatus is None and session.collected == 3
    assert [e.category for e in session.events] == ["passed"]
    assert collect.device(session.facts) == {}


def test_missing_folders_and_torn_lines(tmp_path, recorded):
    assert collect.sessions(tmp_path / "none") == []
    folder = recorded("os-exit") / "sessions"
    events = next(folder.glob("*/events.jsonl"))
    events.write_text(events.read_text() + '{"nodeid": "cut mid-wri')
    assert len(collect.sessions(folder)[0].events) == 1
    (next(folder.glob("*/session.json"))).write_text("{truncated")
    assert collect.sessions(folder) == []


def test_tox_journal_records_every_command(recorded):
    cell = recorded("pre-post-crash")
    journal = collect.journal(cell / "tox-result.json", "pre-post-crash")
    assert journal.setup_ok and journal.install_s > 0
    assert [(c.run_id, c.exit_code) for c in journal.commands] == [
        ("commands_pre[0]", 0), ("commands[0]", -11), ("commands_post[0]", 0),
    ]  # fmt: skip
    assert all(c.start <= c.end for c in journal.commands)
    assert "after the tests" in journal.commands[2].output
    broken = collect.journal(recorded("torch21-numpy22") / "tox-result.json", "torch21-numpy22")
    assert broken.packages["torch"] == "2.1.2" and broken.packages["numpy"] == "2.2.6"
    assert broken.python == "3.11.7"
    assert collect.journal(cell / "tox-result.json", "other-env") is None


def test_a_journal_that_names_only_a_python_spec_names_the_python_uv_reported(recorded):
    """tox-uv records the spec it asked uv for; the env's Python is then what tox-uv's query of
    the env's interpreter printed, else uv's own ``Using CPython X interpreter at`` line."""
    cell = recorded("bad-command")
    path = cell / "tox-result.json"
    data = json.loads(path.read_text())
    entry = data["testenvs"]["bad-command"]
    assert collect.journal(path, "bad-command").python == "3.11.7"
    entry["python"].update(  # what tox-uv 1.37 records: the spec it asked uv for
        version="PythonSpec(major=3, minor=11, free_threaded=False)", version_info=[3, 11, 0, "", 0]
    )
    (query,) = [s for s in entry["setup"] if '"version_info"' in (s.get("output") or "")]
    query["output"] = query["output"].replace("[3, 11, 7,", "[3, 11, 2,")
    path.write_text(json.dumps(data))
    assert collect.journal(path, "bad-command").python == "3.11.2"  # the query, not the spec
    entry["setup"].remove(query)
    entry["setup"][0]["err"] = entry["setup"][0]["err"].replace(
        "CPython 3.11.7 interpreter", "CPython 3.11.4 interpreter"
    )
    path.write_text(json.dumps(data))
    assert collect.journal(path, "bad-command").python == "3.11.4"  # uv's own line
    for step in entry["setup"]:
        step["err"] = ""
    path.write_text(json.dumps(data))
    assert collect.journal(path, "bad-command").python is None  # never the harness's guess


def test_versions_prefer_the_probe_and_fall_back_to_the_journal(recorded):
    cell = recorded("pkg24-crash")
    journal = collect.journal(cell / "tox-result.json", "pkg24-crash")
    found = collect.versions(journal, {})
    assert found["python"] and found["torch"] is None
    facts = {"python": "3.9.1", "versions": {"torch": "2.2.2", "numpy": None}}
    assert collect.versions(journal, facts)["python"] == "3.9.1"
    assert collect.versions(None, facts)["torch"] == "2.2.2"


def test_recorded_cells_carry_their_settings(recorded):
    cell = recorded_cell(recorded("ignored"))
    assert cell.command("commands[0]") == "- pytest tests/test_bridge.py"
    assert cell.command("commands[9]") == "" and cell.command("nonsense") == ""


def test_log_tail(tmp_path):
    log = tmp_path / "tox.log"
    log.write_text("\n".join(str(i) for i in range(1000)))
    assert collect.log_tail(log, 3) == "997\n998\n999"
    assert collect.log_tail(tmp_path / "none.log") == ""
