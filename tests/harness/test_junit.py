"""``--junit FILE``: one test case per cell, read back with junitparser, checked against
``harness/schemas/junit.xsd``, the same whichever etree junitparser finds, and written by
``harness run`` and ``harness probe``."""

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from junitparser import Error, JUnitXml
from junitparser import Failure as FailureElement
from lxml import etree

from harness.cli import build_parser, main
from harness.commands import run as run_command
from harness.model import Cell, CellResult, Counts, Failure
from harness.report import junit
from harness.stages import pipeline
from harness.stages.verdicts import decide

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
    directory = recorded(name)
    return decide(recorded_cell(directory), recorded_evidence(directory))


def constructed(name: str, verdict: str, problem: Failure = None, **fields) -> CellResult:
    return CellResult(Cell(name, {"packaging": "==24.1"}), verdict, problem=problem, **fields)


@pytest.fixture
def results(recorded) -> list:
    """A cell of every kind: pass, fail (15 tests), crash, no tests (recorded from real runs),
    infra-error, unsatisfiable and a failing test whose id holds what XML and CI choke on."""
    return [
        decided(recorded, "torch21-numpy126"),
        decided(recorded, "torch21-numpy22"),
        decided(recorded, "pre-post-crash"),
        decided(recorded, "no-commands"),
        constructed("net", "infra-error", NETWORK, duration_s=4.5),
        constructed("unsat", "unsatisfiable", UNSATISFIABLE),
        constructed("odd<&>", "fail", tests=Counts(failed=1), duration_s=1.0, failures=[ODD]),
    ]


def cases(path: Path) -> dict:
    (suite,) = JUnitXml.fromfile(str(path))
    return {case.name: case for case in suite}


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def test_each_cell_is_a_test_case_and_the_counts_add_up(results, tmp_path):
    path = tmp_path / "ci" / "junit.xml"  # a folder that does not exist yet
    junit.write(path, "myproject", results)
    xml = JUnitXml.fromfile(str(path))
    (suite,) = xml
    assert suite.name == "harness" and [c.name for c in suite] == [r.cell.name for r in results]
    counts = (xml.tests, xml.failures, xml.errors, xml.skipped)
    assert counts == (7, 4, 2, 0) == (suite.tests, suite.failures, suite.errors, suite.skipped)
    assert suite.time == pytest.approx(sum(r.duration_s for r in results), abs=0.01)
    found = cases(path)
    assert {case.classname for case in found.values()} == {"myproject"}
    passed = found["torch21-numpy126"]
    assert passed.is_passed and passed.result == [] and passed.time == pytest.approx(12.3)
    assert "78 passed" in passed.system_out


def test_a_failing_cell_is_a_failure_with_a_block_per_failing_test(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results)
    found = cases(tmp_path / "junit.xml")
    (failure,) = found["torch21-numpy22"].result
    assert isinstance(failure, FailureElement)
    assert (failure.message, failure.type) == ("numpy-bridge-unavailable", "fail")
    blocks = failure.text.split("\n\n")
    failing = results[1].failures
    assert len(blocks) == len(failing) == 15
    for block, test in zip(blocks, failing, strict=True):
        head, evidence, *_ = block.splitlines()
        assert head.startswith(f"{test.test} [numpy-bridge-unavailable]")
        assert "Numpy is not available" in evidence
    (crash,) = found["pre-post-crash"].result
    assert (crash.message, crash.type) == ("crash-signal", "crash")
    assert crash.text.startswith("pytest [crash-signal] in commands[0]\n")
    (unsat,) = found["unsat"].result
    assert isinstance(unsat, FailureElement) and unsat.type == "unsatisfiable"
    assert "packaging>=99" in unsat.text


def test_an_unmeasured_cell_is_an_error_naming_its_problem(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results)
    found = cases(tmp_path / "junit.xml")
    (network,) = found["net"].result
    assert isinstance(network, Error) and (network.message, network.type) == (
        "install-network", "infra-error")  # fmt: skip
    assert network.text == f"install [install-network]\n{NETWORK.evidence}"
    (empty,) = found["no-commands"].result
    assert isinstance(empty, Error) and (empty.message, empty.type) == ("no-tests", "no-tests")


def test_test_ids_arrive_as_text_with_what_xml_cannot_hold_escaped(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "my<project>", results)
    text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    ElementTree.fromstring(text.encode())  # well-formed for any parser, not only lxml
    found = cases(tmp_path / "junit.xml")
    (failure,) = found["odd<&>"].result
    readable = "tests/t.py::test_x[<b>&amp; ]]> 100%\n::error title=SPOOF::x \\x1b[31m\\x00\\ud800]"
    assert failure.text == f"{readable} [other]\nAssertionError: 100% off"  # evidence: cleaned
    assert found["odd<&>"].classname == "my<project>"


def test_the_file_is_valid_against_our_xsd_and_a_broken_one_is_not(results, tmp_path):
    junit.write(tmp_path / "junit.xml", "myproject", results)
    text = (tmp_path / "junit.xml").read_bytes()
    assert schema().validate(etree.fromstring(text)), schema().error_log
    broken = {
        "a case without a name": text.replace(b'<testcase name="net" ', b"<testcase "),
        "a count that is no number": text.replace(b' tests="7"', b' tests="seven"', 1),
        "an element no reporter knows": text.replace(b"<system-out>", b"<verdict/><system-out>", 1),
        "a suite without its counts": text.replace(b' failures="4"', b"", 2),
        "a bare testsuite": etree.tostring(etree.fromstring(text)[0]),
    }
    for why, variant in broken.items():
        assert variant != text, why
        assert not schema().validate(etree.fromstring(variant)), why


def test_the_file_is_the_same_without_lxml(results, tmp_path):
    """Installed alone, the tool has no lxml: junitparser then uses the standard library's
    ElementTree, which would write control characters XML cannot hold."""
    given = json.dumps([r.to_dict() for r in results])
    script = (
        "import json, sys; sys.modules['lxml'] = None\n"
        "from harness.model import CellResult\nfrom harness.report import junit\n"
        "assert junit.JUnitXml.__module__ == 'junitparser.junitparser'\n"
        "import junitparser.junitparser as j; assert j.etree.__name__ == 'xml.etree.ElementTree'\n"
        "results = [CellResult.from_dict(r) for r in json.load(sys.stdin)]\n"
        "junit.write(sys.argv[1], 'myproject', results)\n"
    )
    out = tmp_path / "stdlib.xml"
    done = subprocess.run([sys.executable, "-c", script, str(out)], input=given, text=True,
                          capture_output=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    junit.write(tmp_path / "lxml.xml", "myproject", results)
    assert schema().validate(etree.parse(str(out))), schema().error_log
    assert _seen(out) == _seen(tmp_path / "lxml.xml")


def _seen(path: Path) -> list:
    return [(c.name, c.classname, c.time, c.system_out, [(type(r), r.message, r.type, r.text)
             for r in c.result]) for c in cases(path).values()]  # fmt: skip


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
    assert [case.name for case in cases(target).values()] == [r.cell.name for r in results]
    assert {case.classname for case in cases(target).values()} == {"proj"}
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
    found = cases(target)
    assert list(found) == ["pkg23-fail", "pkg24-fail"]
    assert found["pkg23-fail"].is_passed and found["pkg23-fail"].classname == "tiny"
    assert found["pkg23-fail"].time == pytest.approx(measured["pkg23-fail"]["duration_s"], abs=1e-3)
    (failure,) = found["pkg24-fail"].result
    assert failure.message == ", ".join(measured["pkg24-fail"]["signatures"])
    assert failure.text.startswith("tests/test_tiny.py::test_one [")
    assert "packaging 24.1 too new" in failure.text
    assert schema().validate(etree.parse(str(target))), schema().error_log
    assert "::group::pkg23-fail: pass" in done.stdout.splitlines()
    assert "::group::pkg24-fail: fail" in done.stdout.splitlines()
    (annotation,) = [line for line in done.stderr.splitlines() if line.startswith("::error ")]
    line = (tiny_project / "tox.ini").read_text().splitlines().index("[testenv]") + 1
    assert annotation.startswith(f"::error file=tiny/tox.ini,line={line},title=pkg24-fail%3A fail")
    assert "tests/test_tiny.py::test_one [" in annotation
