"""Declared cells (pytest's strict xfail for a matrix): the comparison of each result with its
declaration, the format and its errors, and what ``harness run`` exits with and shows."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from harness.cli import main
from harness.commands import run as run_command
from harness.errors import EXIT_FAILED, EXIT_OK, EXIT_UNMEASURED, EXIT_USAGE
from harness.model import Cell, CellResult, Failure
from harness.report import compat as reports
from harness.stages import expectations, pipeline
from harness.stages.expectations import (
    EXPECTED,
    NEW_FAILURE,
    NONE,
    NOT_MEASURED,
    NOW_PASSES,
    PASSED,
    SIGNATURE_CHANGED,
    VERDICT_CHANGED,
    compare,
    load,
    parse,
)
from harness.stages.fingerprint import project_digest
from harness.stages.signatures import BUILTIN

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "harness/schemas/compat.schema.json").read_text()
)
BRIDGE = "numpy-bridge-unavailable"
TABLE = {
    "torch21-numpy22": {"verdict": "fail", "signature": BRIDGE, "reason": "built for NumPy 1.x"},
    "torch22-numpy22-pandas21": {"verdict": "unsatisfiable"},
    "torch2[01]-numpy2*": {"verdict": "fail", "signature": "binary-incompatible"},
    "torch2?-numpy2*": {"verdict": "crash"},
}
DECLARED = parse(TABLE, Path("/p/pyproject.toml"), "pyproject.toml")


def result(name, verdict, *signatures, problem=""):
    failures = [Failure(f"t::{n}", s, "evidence") for n, s in enumerate(signatures)]
    stop = Failure("lock", problem, "evidence") if problem else None
    return CellResult(Cell(name, {}), verdict, failures=failures, problem=stop)


def test_a_declared_cell_that_fails_as_declared_is_expected():
    check = compare(result("torch21-numpy22", "fail", BRIDGE, BRIDGE), DECLARED)
    assert check.status == EXPECTED and not check.differs
    assert check.note == f"expected: {BRIDGE}" and check.message(DECLARED) == ""
    assert check.to_dict() == {
        "status": "expected", "declared": "torch21-numpy22", "verdict": "fail",
        "signature": BRIDGE, "reason": "built for NumPy 1.x", "file": "pyproject.toml",
        "note": f"expected: {BRIDGE}",
    }  # fmt: skip


def test_other_signatures_beside_the_declared_one_still_match():
    check = compare(result("torch21-numpy22", "fail", "binary-incompatible", BRIDGE), DECLARED)
    assert check.status == EXPECTED and check.signatures == ("binary-incompatible", BRIDGE)


def test_a_declared_unsatisfiable_cell_without_a_signature_is_expected():
    unsat = result("torch22-numpy22-pandas21", "unsatisfiable", problem="unsatisfiable")
    check = compare(unsat, DECLARED)
    assert check.status == EXPECTED and check.note == "expected: unsatisfiable"


@pytest.mark.parametrize("verdict", ["fail", "crash", "unsatisfiable"])
def test_an_undeclared_cell_that_does_not_pass_is_a_new_failure(verdict):
    check = compare(result("torch30-numpy22", verdict, "other"), DECLARED)
    assert check.status == NEW_FAILURE and check.differs and check.to_dict() is None
    assert check.message(DECLARED) == (
        f"torch30-numpy22: {verdict} (other), a new failure: not declared in "
        "pyproject.toml [tool.harness.expected]"
    )


def test_without_declarations_every_failing_cell_is_a_new_failure_and_a_pass_is_fine():
    assert compare(result("a", "fail", "other"), NONE).differs
    passed = compare(result("a", "pass"), NONE)
    assert passed.status == PASSED and not passed.differs and passed.note == ""


def test_a_changed_signature_differs():
    check = compare(result("torch21-numpy22", "fail", "numpy-abi-import"), DECLARED)
    assert check.status == SIGNATURE_CHANGED and check.differs
    assert check.note == f"signature changed: declared {BRIDGE}"
    assert f"without {BRIDGE} (found: numpy-abi-import)" in check.message(DECLARED)


def test_a_changed_verdict_differs():
    check = compare(result("torch21-numpy22", "crash", "crash-signal"), DECLARED)
    assert check.status == VERDICT_CHANGED and check.differs
    assert check.message(DECLARED).endswith("but pyproject.toml declares fail")


def test_a_declared_cell_that_now_passes_differs_and_says_what_to_update():
    check = compare(result("torch21-numpy22", "pass"), DECLARED)
    assert check.status == NOW_PASSES and check.differs
    assert check.message(DECLARED) == (
        "torch21-numpy22 now passes: update the declaration in pyproject.toml"
    )
    assert check.to_dict()["status"] == "now passes"


def test_a_cell_takes_its_own_entry_else_the_first_matching_glob():
    assert DECLARED.for_cell("torch21-numpy22").signature == BRIDGE  # exact, before both globs
    assert DECLARED.for_cell("torch20-numpy24").signature == "binary-incompatible"  # first glob
    assert DECLARED.for_cell("torch25-numpy20").verdict == "crash"
    assert DECLARED.for_cell("torch210-numpy22") is None and DECLARED.for_cell("x") is None
    glob = compare(result("torch20-numpy20", "fail", "binary-incompatible"), DECLARED)
    assert glob.status == EXPECTED and glob.to_dict()["declared"] == "torch2[01]-numpy2*"


def test_an_unmeasured_cell_is_left_to_exit_3_declared_or_not():
    for name in ("torch21-numpy22", "undeclared"):
        check = compare(result(name, "infra-error", problem="install-network"), DECLARED)
        assert check.status == NOT_MEASURED and not check.differs


def project(tmp_path, pyproject=None, standalone=None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    if standalone is not None:
        (tmp_path / "harness-expected.toml").write_text(textwrap.dedent(standalone))
    return tmp_path


def test_declarations_are_read_from_pyproject_or_the_standalone_file(tmp_path):
    (tmp_path / "bare").mkdir()  # no pyproject: a declaration would go in the standalone file
    assert load(tmp_path / "bare").where == "harness-expected.toml [expected]"
    assert not load(tmp_path / "bare").entries
    assert load(project(tmp_path / "other", "[tool.other]\nx = 1\n")) == NONE
    one = load(project(tmp_path / "py", '[tool.harness.expected]\na = {verdict = "fail"}\n'))
    assert one.file == "pyproject.toml" and [e.pattern for e in one.entries] == ["a"]
    alone = load(project(tmp_path / "alone", standalone='[expected.b]\nverdict = "crash"\n'))
    assert alone.file == "harness-expected.toml" and alone.entries[0].verdict == "crash"
    assert alone.where == "harness-expected.toml [expected]"


BAD = [  # (pyproject, standalone, what the one line says)
    ('[tool.harness.expected]\na = {verdict = "fail", sig = "x"}\n', None,
     "pyproject.toml: [tool.harness.expected] key 'a': unknown key 'sig'"),
    ('[tool.harness.expected]\na = {verdict = "failed"}\n', None,
     "key 'a': verdict 'failed' is not a verdict (one of fail, crash, unsatisfiable)"),
    ('[tool.harness.expected]\na = {verdict = "pass"}\n', None,
     "key 'a': verdict 'pass' cannot be declared"),
    ('[tool.harness.expected]\na = {signature = "other"}\n', None, "key 'a': no verdict"),
    ('[tool.harness.expected]\na = "fail"\n', None, "key 'a' must be a table such as"),
    ('[tool.harness.expected]\na = {verdict = "fail", signature = 3}\n', None,
     "key 'a': signature must be a string, not int"),
    ('[tool.harness.expected]\na = {verdict = "fail", signature = "numpy-bridge"}\n', None,
     "key 'a': signature 'numpy-bridge' is not a known signature id"),
    ("[tool.harness]\nexpected = 3\n", None, "[tool.harness.expected] must be a table"),
    ("[tool.harness.expected\n", None, "pyproject.toml: not valid TOML: "),
    (None, '[expected]\na = {verdict = "fail"}\n[other]\n', "unknown table or key 'other'"),
    (None, '[expected]\n"" = {verdict = "fail"}\n', "a cell name or glob cannot be empty"),
    ('[tool.harness.expected]\na = {verdict = "fail"}\n', '[expected]\n',
     "declared both in harness-expected.toml and in pyproject.toml"),
]  # fmt: skip


@pytest.mark.parametrize(("pyproject", "standalone", "says"), BAD)
@pytest.mark.parametrize("command", ["run", "probe"])
def test_a_bad_declaration_is_one_line_and_exit_2_before_any_work(
    command, pyproject, standalone, says, tmp_path, capsys
):
    folder = project(tmp_path, pyproject, standalone)
    assert main([command, "--project", str(folder)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"harness: error: {folder}"), err
    assert says in err[0]
    assert not (folder / ".harness").exists()  # refused before the reports folder was taken


def test_editing_the_standalone_file_leaves_every_cell_fresh(tmp_path):
    folder = project(tmp_path, standalone='[expected]\na = {verdict = "fail"}\n')
    before = project_digest(folder, folder / ".harness")
    (folder / "harness-expected.toml").write_text("[expected]\n")
    assert project_digest(folder, folder / ".harness") == before
    (folder / "tox.ini").write_text("[tox]\nenv_list = py,other\n")  # an input does count
    assert project_digest(folder, folder / ".harness") != before


@pytest.fixture
def fake_run(monkeypatch):
    """``harness run`` in-process, its pipeline replaced by one that stores given results."""
    given = []

    def run(options, store, progress):
        for made in given:
            store.save(made)
        return pipeline.RunOutcome([r.cell for r in given], list(given), [])

    monkeypatch.setattr(run_command.pipeline, "run", run)
    monkeypatch.setattr(run_command, "tools", lambda project: {})
    return given


TORCH_FAIL = result("torch21-numpy22", "fail", BRIDGE, BRIDGE)
DECLARATION = (
    f'[tool.harness.expected]\ntorch21-numpy22 = {{verdict = "fail", signature = "{BRIDGE}"}}\n'
)


def cells_of(folder: Path) -> dict:
    report = json.loads((folder / ".harness" / "compat.json").read_text())
    jsonschema.validate(report, SCHEMA)
    reports.load(folder / ".harness" / "compat.json")  # its cells still read back as results
    return {c["cell"]["name"]: c for c in report["cells"]}


@pytest.mark.parametrize("strict", [[], ["--strict"]])  # kept for old CI lines; changes nothing
def test_run_exits_0_when_every_cell_is_as_declared_and_still_shows_the_break(
    strict, fake_run, tmp_path, capsys
):
    folder = project(tmp_path, DECLARATION)
    fake_run += [TORCH_FAIL, result("torch21-numpy126", "pass")]
    assert main(["run", "--project", str(folder), *strict]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"torch21-numpy22: fail (no tests ran, 0s) [{BRIDGE} x2] (expected: {BRIDGE})" in out
    assert "torch21-numpy126: pass (no tests ran, 0s)\n" in out
    cells = cells_of(folder)
    assert cells["torch21-numpy22"]["expected"]["status"] == "expected"
    assert cells["torch21-numpy126"]["expected"] is None


def test_run_exits_1_for_an_undeclared_failure(fake_run, tmp_path, capsys):
    folder = project(tmp_path)
    fake_run += [TORCH_FAIL]
    assert main(["run", "--project", str(folder)]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "(new failure: not declared)" in captured.out
    assert f"harness: torch21-numpy22: fail ({BRIDGE}), a new failure" in captured.err


def test_run_exits_1_when_a_declared_cell_now_passes(fake_run, tmp_path, capsys):
    folder = project(tmp_path, DECLARATION)
    fake_run += [result("torch21-numpy22", "pass")]
    assert main(["run", "--project", str(folder)]) == EXIT_FAILED
    captured = capsys.readouterr()
    line = "torch21-numpy22 now passes: update the declaration in pyproject.toml"
    assert f"harness: {line}" in captured.err.splitlines()
    assert "(now passes: update the declaration in pyproject.toml)" in captured.out
    assert cells_of(folder)["torch21-numpy22"]["expected"]["status"] == "now passes"


def test_run_exits_1_for_a_changed_signature_and_an_unsatisfiable_cell(fake_run, tmp_path, capsys):
    folder = project(tmp_path, DECLARATION)
    fake_run += [result("torch21-numpy22", "fail", "numpy-abi-import")]
    assert main(["run", "--project", str(folder)]) == EXIT_FAILED
    assert "the signature changed since the declaration" in capsys.readouterr().err
    fake_run[:] = [result("odd", "unsatisfiable", problem="unsatisfiable")]
    assert main(["run", "--project", str(folder)]) == EXIT_FAILED


def test_an_unmeasured_cell_still_exits_3_and_differences_are_still_named(
    fake_run, tmp_path, capsys
):
    folder = project(tmp_path, DECLARATION)
    fake_run += [result("torch21-numpy22", "pass"), result("b", "timeout", problem="timeout")]
    assert main(["run", "--project", str(folder)]) == EXIT_UNMEASURED
    err = capsys.readouterr().err
    assert "now passes" in err and "harness: not measured: b" in err


def test_the_report_reads_declarations_without_a_run(tmp_path):
    folder = project(tmp_path, DECLARATION)
    built = reports.build([TORCH_FAIL], folder, [], False, {}, BUILTIN, set(), load(folder))
    assert built["cells"][0]["expected"]["note"] == f"expected: {BRIDGE}"
    assert expectations.judge([TORCH_FAIL], NONE)[0].differs


@pytest.mark.integration
def test_a_declared_failing_cell_exits_0_and_its_removal_exits_1(tiny_project):
    """A real tox project (tox.ini, no pyproject.toml): its failing cell, declared in
    harness-expected.toml, lets the run exit 0; without the declaration the run exits 1."""
    declared = tiny_project / "harness-expected.toml"
    declared.write_text('[expected]\npkg24-fail = { verdict = "fail", signature = "other", '
                        'reason = "packaging 24 changed" }\n')  # fmt: skip

    def harness(*args):
        return subprocess.run(
            [sys.executable, "-m", "harness", "run", "--project", str(tiny_project),
             "-e", "pkg23-ok,pkg24-fail", *args],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip

    done = harness()
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert "(expected: other)" in done.stdout
    cells = cells_of(tiny_project)
    assert cells["pkg24-fail"]["verdict"] == "fail"
    assert cells["pkg24-fail"]["expected"]["reason"] == "packaging 24 changed"
    declared.unlink()
    again = harness("--resume")  # the declaration is no input of a cell: both are kept
    assert again.returncode == EXIT_FAILED, again.stdout + again.stderr
    assert again.stderr.count("(kept)") == 2
    assert "harness: pkg24-fail: fail (other), a new failure" in again.stderr
    assert cells_of(tiny_project)["pkg24-fail"]["expected"] is None
