"""``--junit FILE``: a suite per cell, a case per test and one for the env; read back with
junitparser (what EnricoMi's reporter reads with), checked against ``harness/schemas/junit.xsd``,
the same whichever etree junitparser finds, and written by ``harness run`` and ``harness probe``."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest
from junitparser import Error, JUnitXml, Skipped
from junitparser import Failure as FailureElement
from lxml import etree

from harness.cli import build_parser, main
from harness.commands import gate as gate_command
from harness.commands import run as run_command
from harness.model import Cell, CellResult, Counts, Failure
from harness.report import junit, junit_cases
from harness.stages import pipeline
from harness.stages.verdicts import decide
from harness.tox_plugin import install_probe

from .conftest import recorded_cell, recorded_evidence

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT / "harness" / "schemas" / "junit.xsd"
HOSTILE = "tests/t.py::test_x[<b>&amp; ]]> 100%\n::error title=SPOOF::x \x1b[31m\x00\ud800]"

NETWORK = Failure("install", "install-network", "Failed to fetch: https://pypi.org/simple/x/",
                  where="install")  # fmt: skip
UNSATISFIABLE = Failure("lock", "unsatisfiable", "Because you require packaging>=99, ...",
                        where="lock")  # fmt: skip
ODD = Failure(HOSTILE, "other", "AssertionError: 100%\x07 off")


def decided(recorded, name: str) -> CellResult:
    """A recorded cell's result, its log where its run folder (the recorded one) is."""
    directory = recorded(name)
    result = decide(recorded_cell(directory), recorded_evidence(directory))
    result.log = f"{name}/tox.log"  # relative to the reports folder, as the pipeline writes it
    return result


def constructed(name: str, verdict: str, problem: Failure = None, **fields) -> CellResult:
    return CellResult(Cell(name, {"packaging": "==24.1"}), verdict, problem=problem, **fields)


@pytest.fixture
def results(recorded) -> list:
    """A cell of every kind: pass (78 tests, 1 skipped), fail (15 of 79), crash (1 test passed
    first), no tests (recorded from real runs), infra-error, unsatisfiable and a failing test
    whose id holds what XML and CI choke on."""
    return [
        decided(recorded, "torch21-numpy126"),
        decided(recorded, "torch21-numpy22"),
        decided(recorded, "pre-post-crash"),
        decided(recorded, "no-commands"),
        constructed("net", "infra-error", NETWORK, duration_s=4.5),
        constructed("unsat", "unsatisfiable", UNSATISFIABLE),
        constructed(
            "odd<&>",
            "fail",
            tests=Counts(failed=1),
            duration_s=1.0,
            failures=[ODD],
            outcomes={HOSTILE: "failed"},
        ),  # fmt: skip
    ]


@pytest.fixture
def reports(tmp_path, results) -> Path:
    """The folder the recorded cells' run folders are in (``recorded`` copies them there)."""
    return tmp_path / "recorded"


def suites(path: Path) -> dict:
    return {suite.name: suite for suite in JUnitXml.fromfile(str(path))}


def cases(suite) -> dict:
    return {(case.classname, case.name): case for case in suite}


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def test_each_cell_is_a_suite_of_its_tests_and_its_env(results, reports, tmp_path):
    path = tmp_path / "ci" / "junit.xml"  # a folder that does not exist yet
    junit.write(path, "myproject", results, reports)
    xml = JUnitXml.fromfile(str(path))
    found = suites(path)
    assert list(found) == [r.cell.name for r in results]
    for suite, result in zip(xml, results, strict=True):
        names = [case.name for case in suite]
        assert names[0] == junit.ENV_CASE and len(names) == 1 + len(result.outcomes)
        assert suite.time == pytest.approx(result.duration_s, abs=1e-3)
    passed = found["torch21-numpy126"]
    assert (passed.tests, passed.failures, passed.errors, passed.skipped) == (80, 0, 0, 1)
    failed = found["torch21-numpy22"]
    assert (failed.tests, failed.failures, failed.errors, failed.skipped) == (80, 15, 0, 1)
    counts = (xml.tests, xml.failures, xml.errors, xml.skipped)
    assert counts == tuple(sum(getattr(s, k) for s in xml) for k in
                           ("tests", "failures", "errors", "skipped"))  # fmt: skip
    assert xml.time == pytest.approx(sum(r.duration_s for r in results), abs=0.01)
    properties = {p.name: p.value for p in passed.properties()}
    assert properties["verdict"] == "pass" and properties["python"] == "3.11.7"
    assert properties["pin numpy"] == "==1.26.4" and properties["version torch"] == "2.1.2"


def test_a_test_case_is_named_as_pytest_names_it_with_the_cell_in_front(results, reports, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results, reports)
    found = cases(suites(tmp_path / "junit.xml")["torch21-numpy22"])
    case = found[("torch21-numpy22.tests.inference.test_cli", "test_cli_text_output")]
    assert case._elem.get("file") == "tests/inference/test_cli.py"
    assert case._elem.get("line") == "12"  # where pytest stopped in the test file
    (failure,) = case.result
    assert isinstance(failure, FailureElement) and failure.type == "numpy-bridge-unavailable"
    assert failure.message.startswith("numpy-bridge-unavailable: AssertionError: error: ")
    head, evidence, *told = failure.text.splitlines()
    assert head == ("tests/inference/test_cli.py::test_cli_text_output "
                    "[numpy-bridge-unavailable] in commands[0]")  # fmt: skip
    assert "Numpy is not available" in evidence
    assert told[0].startswith("E       AssertionError") and "E       assert 1 == 0" in told
    assert told[-1] == "tests/inference/test_cli.py:12: AssertionError"
    param = found[("torch21-numpy22.tests.inference.test_inputs",
                   "test_other_modes_are_converted_to_rgb[I;16]")]  # fmt: skip
    assert param.is_passed and param.result == []
    (skip,) = [c for c in found.values() if c.is_skipped]
    assert isinstance(skip.result[0], Skipped) and skip.result[0].type == "pytest.skip"
    failing = [c for c in found.values() if not c.is_passed and not c.is_skipped]
    assert sorted(c.name for c in failing) == sorted(
        t.test.rpartition("::")[2] for t in results[1].failures
    )


def test_without_the_run_folder_a_case_holds_what_the_result_holds(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results)  # no reports folder given
    found = cases(suites(tmp_path / "junit.xml")["torch21-numpy22"])
    case = found[("torch21-numpy22.tests.inference.test_cli", "test_cli_text_output")]
    assert (
        case._elem.get("file") == "tests/inference/test_cli.py" and case._elem.get("line") is None
    )
    (failure,) = case.result
    assert "Numpy is not available" in failure.text
    assert "E       assert 1 == 0" in failure.text  # the result's own detail: pytest's E lines
    old = [replace(r, failures=[replace(f, detail="") for f in r.failures]) for r in results]
    junit.write(tmp_path / "old.xml", "myproject", old)  # a result stored before it had them
    (failure,) = cases(suites(tmp_path / "old.xml")["torch21-numpy22"])[
        ("torch21-numpy22.tests.inference.test_cli", "test_cli_text_output")
    ].result
    assert "E       assert 1 == 0" not in failure.text and "Numpy is not available" in failure.text


def test_the_env_case_holds_the_problem_outside_the_tests(results, reports, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results, reports)
    found = suites(tmp_path / "junit.xml")
    env = {name: cases(suite)[(name, junit.ENV_CASE)] for name, suite in found.items()}
    assert env["torch21-numpy126"].is_passed and "78 passed" in env["torch21-numpy126"].system_out
    assert env["torch21-numpy22"].is_passed  # its tests say why it failed, and only they
    (crash,) = env["pre-post-crash"].result
    assert isinstance(crash, FailureElement) and crash.type == "crash"
    assert crash.message.startswith("crash-signal: ") and crash.text.startswith(
        "pytest [crash-signal]"
    )
    (fine,) = [c for c in found["pre-post-crash"] if c.name == "test_fine"]
    assert fine.is_passed  # the test that ran before the crash still passed
    (unsat,) = env["unsat"].result
    assert isinstance(unsat, FailureElement) and unsat.type == "unsatisfiable"
    assert "packaging>=99" in unsat.text and found["unsat"].tests == 1
    (network,) = env["net"].result
    assert isinstance(network, Error) and network.type == "infra-error"
    assert network.text == f"install [install-network]\n{NETWORK.evidence}"
    (empty,) = env["no-commands"].result
    assert isinstance(empty, Error) and empty.type == "no-tests"
    assert "python: unknown" in env["unsat"].system_out  # it never ran: no Python to name


def test_a_gate_with_broken_tests_shows_them_failing_in_the_proposed_suite(results, reports,
                                                                         tmp_path):  # fmt: skip
    baseline = gate_command.Side("HEAD", result=results[0])
    adhoc = replace(results[1].cell, name="torch21-numpy22-gate_c85d0db92b", adhoc=True,
                    base_env="torch21-numpy22")  # fmt: skip
    proposed = gate_command.Side("working tree", result=replace(results[1], cell=adhoc))
    named = [gate_command._named("baseline", baseline), gate_command._named("proposed", proposed)]
    junit.write(tmp_path / "junit.xml", "myproject", named, reports)
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    assert [s.name for s in xml] == ["baseline HEAD: torch21-numpy126",
                                     "proposed working tree: torch21-numpy22"]  # fmt: skip
    assert (xml.failures, xml.errors) == (15, 0) == (list(xml)[1].failures, list(xml)[1].errors)
    broken = {c.name for c in list(xml)[1] if c.is_failure}
    assert len(broken) == 15 and all(c.is_passed or c.is_skipped for c in list(xml)[0])
    assert all(c.classname.startswith("proposed working tree: torch21-numpy22.") for c in
               list(xml)[1] if c.name in broken)  # fmt: skip


def test_a_probe_result_is_a_suite_of_its_own(results, tmp_path):
    probe = replace(results[-1], mode="probe")
    junit.write(tmp_path / "junit.xml", "p", [results[-1], probe])
    found = suites(tmp_path / "junit.xml")
    assert list(found) == ["odd<&>", "odd<&>@probe"]
    assert {c.classname for c in found["odd<&>@probe"]} == {"odd<&>@probe", "odd<&>@probe.tests.t"}


def test_test_ids_arrive_as_text_with_what_xml_cannot_hold_escaped(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "my<project>", results)
    text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    ElementTree.fromstring(text.encode())  # well-formed for any parser, not only lxml
    (case,) = [c for c in suites(tmp_path / "junit.xml")["odd<&>"] if c.name != junit.ENV_CASE]
    assert case.classname == "odd<&>.tests.t" and case._elem.get("file") == "tests/t.py"
    (failure,) = case.result
    readable = "tests/t.py::test_x[<b>&amp; ]]> 100%\n::error title=SPOOF::x \\x1b[31m\\x00\\ud800]"
    assert failure.text == f"{readable} [other]\nAssertionError: 100% off"  # evidence: cleaned
    assert case.name == readable.partition("::")[2]


def test_long_evidence_is_cut_at_a_line_and_many_tests_are_fine(tmp_path):
    long = "\n".join(f"E   line {i} " + "x" * 80 for i in range(2000))
    outcomes = {f"tests/test_many.py::test_{i}": "passed" for i in range(5000)}
    outcomes["tests/test_many.py::test_long"] = "failed"
    failure = Failure("tests/test_many.py::test_long", "other", "AssertionError", long)
    result = constructed("big", "fail", failures=[failure], outcomes=outcomes)
    junit.write(tmp_path / "junit.xml", "p", [result])
    suite = suites(tmp_path / "junit.xml")["big"]
    assert (suite.tests, suite.failures) == (5002, 1)
    (case,) = [c for c in suite if c.name == "test_long"]
    text = case.result[0].text
    assert (
        len(text) <= junit_cases.MAX_TEXT + 100 and "more characters cut" in text.splitlines()[-1]
    )
    assert text.splitlines()[-2].endswith("x" * 80)  # the cut falls between lines
    assert schema().validate(etree.parse(str(tmp_path / "junit.xml"))), schema().error_log


def test_what_the_probe_records_fills_the_cases_out(tmp_path):
    """Real pytest with the probe: durations, definition lines and skip reasons reach JUnit."""
    project, reports = tmp_path / "project", tmp_path / "reports"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_some.py").write_text(
        "import pytest, time\n\n"
        "def test_slow():\n    time.sleep(0.05)\n\n"
        "@pytest.mark.skip(reason='not on this cell')\ndef test_skip():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known bug')\ndef test_xfail():\n    assert False\n\n"
        "class TestIt:\n    def test_bad(self):\n        x = 1\n        assert x == 2\n"
    )  # fmt: skip
    run = reports / "runs" / "R1" / "cell"
    site = tmp_path / "site"
    site.mkdir()
    home = install_probe(tmp_path / "env", site, run / "sessions").read_text().strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env.update(PYTHONPATH=home, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    no_torch = "import sys; sys.modules['torch'] = None; import pytest; sys.exit(pytest.main())"
    subprocess.run([sys.executable, "-c", no_torch, "-p", "harness_probe", "-q", "tests"],
                   cwd=project, capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    (session,) = (run / "sessions").iterdir()
    record = json.loads((session / "session.json").read_text())
    assert record["executable"] == sys.executable
    assert record["base_executable"] == getattr(sys, "_base_executable", None)
    events = [json.loads(line) for line in (session / "events.jsonl").read_text().splitlines()]
    outcomes = {e["nodeid"]: e["category"] for e in events}
    bad = Failure("tests/test_some.py::TestIt::test_bad", "other", "assert 1 == 2")
    result = constructed("cell", "fail", failures=[bad], outcomes=outcomes,
                         log="runs/R1/cell/tox.log")  # fmt: skip
    junit.write(tmp_path / "junit.xml", "p", [result], reports)
    assert schema().validate(etree.parse(str(tmp_path / "junit.xml")))  # times: no 5e-05
    properties = {p.name: p.value for p in suites(tmp_path / "junit.xml")["cell"].properties()}
    assert properties["python executable"] == (
        getattr(sys, "_base_executable", None) or sys.executable
    )
    found = cases(suites(tmp_path / "junit.xml")["cell"])
    slow = found[("cell.tests.test_some", "test_slow")]
    assert slow.time >= 0.05 and slow._elem.get("line") == "3"
    (skip,) = found[("cell.tests.test_some", "test_skip")].result
    assert (skip.message, skip.type) == ("not on this cell", "pytest.skip")
    (xfail,) = found[("cell.tests.test_some", "test_xfail")].result
    assert (xfail.message, xfail.type) == ("known bug", "pytest.xfail")
    bad_case = found[("cell.tests.test_some.TestIt", "test_bad")]
    assert bad_case._elem.get("line") == "17" and "E       assert 1 == 2" in bad_case.result[0].text
    moved = replace(result, log="../../outside/cell/tox.log")  # a stored result pointing away
    junit.write(tmp_path / "away.xml", "p", [moved], reports)
    assert (
        cases(suites(tmp_path / "away.xml")["cell"])[("cell.tests.test_some", "test_slow")].time
        == 0
    )


def test_the_file_is_valid_against_our_xsd_and_a_broken_one_is_not(results, reports, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results, reports)
    text = (tmp_path / "junit.xml").read_bytes()
    assert schema().validate(etree.fromstring(text)), schema().error_log
    broken = {
        "a case without a name": text.replace(b'<testcase name="tox env" ', b"<testcase ", 1),
        "a count that is no number": text.replace(b' tests="80"', b' tests="eighty"', 1),
        "an element no reporter knows": text.replace(b"<system-out>", b"<verdict/><system-out>", 1),
        "a suite without its counts": text.replace(b' failures="15"', b"", 1),
        "a line that is no line": text.replace(b' line="12"', b' line="0"', 1),
        "a bare testsuite": etree.tostring(etree.fromstring(text)[0]),
    }
    for why, variant in broken.items():
        assert variant != text, why
        assert not schema().validate(etree.fromstring(variant)), why


def test_the_file_is_the_same_without_lxml(results, reports, tmp_path):
    """Installed alone, the tool has no lxml: junitparser then uses the standard library's
    ElementTree, which would write control characters XML cannot hold."""
    given = json.dumps([r.to_dict() for r in results])
    script = (
        "import json, sys; sys.modules['lxml'] = None\n"
        "from harness.model import CellResult\nfrom harness.report import junit\n"
        "assert junit.JUnitXml.__module__ == 'junitparser.junitparser'\n"
        "import junitparser.junitparser as j; assert j.etree.__name__ == 'xml.etree.ElementTree'\n"
        "results = [CellResult.from_dict(r) for r in json.load(sys.stdin)]\n"
        "junit.write(sys.argv[1], 'myproject', results, sys.argv[2])\n"
    )
    out = tmp_path / "stdlib.xml"
    done = subprocess.run([sys.executable, "-c", script, str(out), str(reports)], input=given,
                          text=True, capture_output=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    junit.write(tmp_path / "lxml.xml", "myproject", results, reports)
    assert schema().validate(etree.parse(str(out))), schema().error_log
    assert _seen(out) == _seen(tmp_path / "lxml.xml")


def _seen(path: Path) -> list:
    return [(s.name, c.name, c.classname, c.time, c._elem.get("file"), c._elem.get("line"),
             c.system_out, [(type(r), r.message, r.type, r.text) for r in c.result])
            for s in JUnitXml.fromfile(str(path)) for c in s]  # fmt: skip


def test_run_and_probe_take_junit():
    parser = build_parser()
    for command in ("run", "probe"):
        assert parser.parse_args([command, "--junit", "out.xml"]).junit == Path("out.xml")
        assert parser.parse_args([command]).junit is None


def test_harness_run_writes_the_file_it_is_given(results, tmp_path, monkeypatch):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = a\n")
    outcome = pipeline.RunOutcome([r.cell for r in results], results, [])
    monkeypatch.setattr(run_command.pipeline, "run", lambda options, store, progress: outcome)
    monkeypatch.setattr(run_command, "tools", lambda project: {"tox": "tox", "uv": "uv"})
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    target = tmp_path / "out" / "junit.xml"
    main(["run", "--project", str(project), "--junit", str(target)])
    found = suites(target)
    assert list(found) == [r.cell.name for r in results]
    assert {p.value for s in found.values() for p in s.properties() if p.name == "project"} == {
        "proj"
    }
    assert not [name for name in os.listdir(target.parent) if name != "junit.xml"]  # no temp file


@pytest.mark.integration  # two real tox envs (pytest and packaging from the index)
def test_a_real_run_writes_junit_and_annotates_in_actions(tiny_project, tmp_path):
    target = tmp_path / "junit.xml"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--project", str(tiny_project), "-e",
         "pkg23-fail,pkg24-fail", "--junit", str(target), "--strict"],
        capture_output=True, text=True, timeout=1200, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # pkg24-fail fails: packaging 24.1
    report = json.loads((tiny_project / ".harness" / "compat.json").read_text())
    measured = {cell["cell"]["name"]: cell for cell in report["cells"]}
    found = suites(target)
    assert list(found) == ["pkg23-fail", "pkg24-fail"]
    assert found["pkg23-fail"].failures == 0
    assert found["pkg23-fail"].time == pytest.approx(measured["pkg23-fail"]["duration_s"], abs=1e-3)
    (failing,) = [c for c in found["pkg24-fail"] if c.is_failure]
    assert (failing.classname, failing.name) == ("pkg24-fail.tests.test_tiny", "test_one")
    assert failing._elem.get("file") == "tests/test_tiny.py" and int(failing._elem.get("line")) > 1
    (failure,) = failing.result
    assert failure.type == ", ".join(measured["pkg24-fail"]["signatures"])
    assert "packaging 24.1 too new" in failure.text and "\nE " in failure.text
    python = {p.name: p.value for p in found["pkg24-fail"].properties()}["python"]
    assert python == measured["pkg24-fail"]["versions"]["python"]
    assert schema().validate(etree.parse(str(target))), schema().error_log
    assert "::group::pkg23-fail: pass" in done.stdout.splitlines()
    assert "::group::pkg24-fail: fail" in done.stdout.splitlines()
    (annotation,) = [line for line in done.stderr.splitlines() if line.startswith("::error ")]
    line = (tiny_project / "tox.ini").read_text().splitlines().index("[testenv]") + 1
    assert annotation.startswith(f"::error file=tiny/tox.ini,line={line},title=pkg24-fail%3A fail")
    assert "tests/test_tiny.py::test_one [" in annotation
