"""The gate keeps its cells and reports in a folder of its own (``REPORTS/gate``): the matrix's
compat.json and compat.html, written by ``run`` and ``report``, never show a gate cell."""

import argparse
import json
import os

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.model import Cell, CellResult, Counts
from harness.report import publish
from harness.state import State
from harness.store import Busy, Store


def state(reports):
    return State(argparse.Namespace(), reports=reports)


def test_the_gate_s_cells_stay_out_of_the_matrix_s_report(tmp_path):
    reports = tmp_path / ".harness"
    with state(reports).folder("run") as store:
        store.save(CellResult(Cell("py311", {}), "pass", Counts(passed=1)))
    with state(reports).folder("gate") as gate:
        assert gate.reports == reports / "gate"
        with pytest.raises(Busy):  # the matrix's folder is held too: no `run` writes meanwhile
            Store(reports).acquire("run")
        gate.save(CellResult(Cell("py311-gate_proposed", {}), "fail", Counts(failed=1)))
        publish.publish(gate, None, [], False, {}, to_summary=False)
    with state(reports).folder("report") as store:
        publish.publish(store, None, [], False, {}, to_summary=False)
    matrix = json.loads((reports / "compat.json").read_text())
    own = json.loads((reports / "gate" / "compat.json").read_text())
    assert [c["cell"]["name"] for c in matrix["cells"]] == ["py311"]
    assert [c["cell"]["name"] for c in own["cells"]] == ["py311-gate_proposed"]
    assert "gate_proposed" not in (reports / "compat.html").read_text()
    assert (reports / "gate" / ".harness-reports").is_file()


def test_a_link_in_place_of_the_gate_s_folder_is_refused(tmp_path):
    reports = tmp_path / ".harness"
    (tmp_path / "elsewhere").mkdir()
    with state(reports).folder("run"):
        pass
    os.symlink(tmp_path / "elsewhere", reports / "gate")
    with pytest.raises(HarnessError, match="symbolic link"):
        with state(reports).folder("gate"):
            pass
    assert not any((tmp_path / "elsewhere").iterdir())


def test_clean_removes_the_gate_s_results_reports_and_envs_too(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = py\n")
    reports = project / ".harness"
    with state(reports).folder("gate") as gate:
        gate.save(CellResult(Cell("py-gate_base", {}), "pass", Counts(passed=1)))
        (gate.make_envs() / "py-gate_base").mkdir()
        (gate.reports / "gate.json").write_text("{}")
        (gate.reports / "notes.txt").write_text("the user's")  # not the harness's: kept
    assert main(["clean", "--project", str(project)]) == 0
    assert "removed 1 env(s)" in capsys.readouterr().out
    assert not gate.envs.exists() and not (reports / "gate" / "gate.json").exists()
    assert not list((reports / "gate" / "cells").glob("*.json"))
    assert (reports / "gate" / "notes.txt").read_text() == "the user's"
