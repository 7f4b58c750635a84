"""The Python a report shows for a cell is the one that ran it, as the env reported it (the
probe inside pytest, else tox-uv's query of the env, else uv), never the one the harness's own
search found (``interpreter``): uv skips a venv's Python that the search takes from PATH."""

import json
import platform
from dataclasses import replace

from junitparser import JUnitXml

from harness.model import Cell, CellResult, Failure, Provenance
from harness.report import compat, junit
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.stages.verdicts import decide

from .conftest import recorded_cell, recorded_evidence

SEARCHED = "cpython 3.11.7"  # what the harness's search found first on PATH: a venv's python3.11
RAN = "3.11.2"  # what uv built the env from: /usr/bin/python3.11


def with_python(directory, python: str) -> None:
    """The recorded cell as if its env had run ``python``: the probe's records and tox-uv's
    query of the env say so (the host that recorded it ran 3.11.7)."""
    for path in directory.glob("sessions/*/session.json"):
        record = json.loads(path.read_text())
        record["python"] = python
        path.write_text(json.dumps(record))
    journal = directory / "tox-result.json"
    journal.write_text(
        journal.read_text().replace("[3, 11, 7,", "[" + python.replace(".", ", ") + ",")
    )


def ran(recorded, name: str, python: str) -> CellResult:
    directory = recorded(name)
    with_python(directory, python)
    evidence = recorded_evidence(directory)
    evidence.provenance = Provenance(interpreter=SEARCHED, log=f"{name}/tox.log")
    return decide(recorded_cell(directory), evidence)


def shown(results: list, tmp_path) -> dict:
    """What each output says of the cells' Python: json, markdown, html, junit."""
    report = compat.build(results, tmp_path, [], False, {})
    junit.write(tmp_path / "junit.xml", "p", results, tmp_path / "recorded")
    suites = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    return {
        "json": [cell["versions"]["python"] for cell in report["cells"]],
        "markdown": render_markdown(report),
        "html": render_html(report),
        "junit": [{p.name: p.value for p in s.properties()}["python"] for s in suites],
    }


def test_a_cell_shows_the_python_its_probe_saw_not_the_one_the_search_found(recorded, tmp_path):
    assert platform.python_version() != RAN  # the host (and its search) has another Python
    result = ran(recorded, "torch21-numpy22", RAN)
    assert result.interpreter == SEARCHED and result.versions["python"] == RAN
    found = shown([result], tmp_path)
    assert found["json"] == [RAN] and found["junit"] == [RAN]
    assert f"`python {RAN}, torch 2.1.2, numpy 2.2.6`" in found["markdown"]
    assert "3.11.7" not in found["markdown"].replace(SEARCHED, "")
    assert compat.axis_value(result, "python") == RAN


def test_a_session_that_never_finished_still_names_its_python(recorded):
    result = ran(recorded, "os-exit", "3.10.99")  # pytest died by os._exit: no sessionfinish
    assert result.verdict == "crash" and result.versions["python"] == "3.10.99"


def test_a_cell_that_never_ran_shows_its_python_as_unknown(tmp_path):
    problem = Failure("lock", "unsatisfiable", "Because you require packaging>=99, ...")
    never = CellResult(Cell("unsat", {"packaging": ">=99"}, base_python=["py311"]),
                       "unsatisfiable", problem=problem, interpreter=SEARCHED)  # fmt: skip
    never.versions = {"python": None, "packaging": None}
    found = shown([never], tmp_path)
    assert found["json"] == [None] and found["junit"] == ["unknown"]
    assert (
        "`python unknown, packaging >=99`" in found["markdown"]
        and "3.11.7" not in found["markdown"]
    )
    assert "'unknown'" in found["html"]  # the page's script names the missing Python
    assert compat.axis_value(never, "python") == "py311"  # what it asks for, not a version
    assert (
        compat.axis_value(replace(never, cell=replace(never.cell, base_python=[])), "python") == "?"
    )
