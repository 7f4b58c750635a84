"""The matrix's report after ``harness run``: its cells and the ad-hoc cells earlier runs asked
for (each labelled), read against this run's control only; a control left by an earlier run
is dropped unless this run names it (``harness report`` keeps the recorded one)."""

import json

from harness.cli import main
from harness.commands import run as run_command
from harness.model import Cell, CellResult, Counts
from harness.report import publish
from harness.stages import pipeline
from harness.store import Store


def result(name, adhoc=False):
    return CellResult(Cell(name, {}, base_env="py" if adhoc else "", adhoc=adhoc), "pass",
                      Counts(passed=1))  # fmt: skip


def test_a_control_left_by_an_earlier_run_is_not_the_next_run_s(tmp_path, monkeypatch):
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = py\n")
    reports = project / ".harness"
    store = Store(reports)
    store.acquire("run")
    for stored in (result("py"), result("py-with_packaging24.2", adhoc=True)):
        store.save(stored)
    publish.publish(store, None, [], False, {}, control="py")  # `run -e py --with ...` wrote it
    store.release()
    assert json.loads((reports / "compat.json").read_text())["control"]["cell"] == "py"

    main(["report", "--reports", str(reports)])  # re-rendered: the recorded control stays
    assert json.loads((reports / "compat.json").read_text())["control"]["cell"] == "py"

    outcome = pipeline.RunOutcome([Cell("py", {})], [result("py")], [])  # a plain `harness run`
    monkeypatch.setattr(run_command.pipeline, "run", lambda options, store, progress: outcome)
    monkeypatch.setattr(run_command, "tools", lambda project: {"tox": "tox", "uv": "uv"})
    assert main(["run", "--project", str(project)]) == 0
    report = json.loads((reports / "compat.json").read_text())
    assert "control" not in report
    cells = {c["cell"]["name"]: c["cell"] for c in report["cells"]}
    assert set(cells) == {"py", "py-with_packaging24.2"} and cells["py-with_packaging24.2"]["adhoc"]
