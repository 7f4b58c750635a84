"""``--try-fixes``: each candidate named and labelled, why one could not be built (the project's
own bound, found where the project writes it), and the lift that measures that bound raised.
Real uv resolves the conflicts (offline); the records are built as the gate builds them."""

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from tox.config.loader.ini.factor import _expand_env_with_negation as tox_expands
from tox.tox_env.python.api import Python

from harness.gate import judge as gate
from harness.gate import output as gate_output
from harness.gate import remedy, trial
from harness.model import PASS, UNSATISFIABLE, Cell, CellResult, Counts, Failure
from harness.names import is_name
from harness.report.where import Declared, declarations, dependency_files
from harness.stages import lock
from harness.stages.classify import setup_failure
from harness.stages.sources import Line, Sources

PROPOSED = ["numpy==2.0.0", "torch==2.1.2"]
PYPROJECT = (
    '[project]\nname = "svc"\nversion = "0"\ndependencies = [\n  "numpy",\n  "torch<2.2",\n]\n'
)


def unsatisfiable(name: str, *requirements: str) -> CellResult:
    """A cell whose lock failed as uv fails it: uv resolves ``requirements`` offline."""
    done = subprocess.run([lock.uv_binary(), "pip", "compile", "-", "--no-index", "--offline",
                           "--quiet", "--python-version", "3.11"], input="\n".join(requirements),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0, done.stdout
    problem = setup_failure("lock", done.stderr)
    problem.evidence = problem.message = lock._reason(done.stderr)
    return CellResult(Cell(name, {}), UNSATISFIABLE, Counts(), problem=problem)


@pytest.fixture
def service(tmp_path):
    (tmp_path / "requirements.txt").write_text("# deploy\n" + "\n".join(PROPOSED) + "\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps =\n    py311: torch>=2.1\n    pytest\n")
    return dependency_files(tmp_path)


def test_declarations_name_each_file_and_line(service):
    assert declarations(service, "Torch") == [
        Declared("torch==2.1.2", "requirements.txt", 3),
        Declared("torch<2.2", "pyproject.toml", 6),
        Declared("torch>=2.1", "tox.ini", 3),
    ]


def test_the_project_s_own_bound_blocks_a_candidate_and_is_named(service):
    item = trial.candidate("py311", PROPOSED, ["numpy==2.0.0", "torch==2.2.2"])
    result = unsatisfiable(item.cell, "torch==2.2.2", "torch<2.2")
    replaced = {("requirements.txt", 2), ("requirements.txt", 3)}
    blocked = trial.blocking(item, result, service, replaced)
    assert blocked == [Declared("torch<2.2", "pyproject.toml", 6)]  # not the line it replaced
    record = trial.record(item, result, blocked)
    assert record["label"] == "fix: torch==2.2.2" and record["verdict"] == UNSATISFIABLE
    assert record["reason"].startswith(
        "blocked by the project's own torch<2.2 in pyproject.toml line 6. Because you require"
    )
    lifted = item.lifted(blocked)
    assert lifted.forced and lifted.cell == "py311-gate_lift_torch2.2.2"
    assert lifted.label == "lift the project's bound torch<2.2 in pyproject.toml: torch==2.2.2"


def test_a_bound_the_resolver_quotes_counts_even_on_a_replaced_line(service):
    """``-r requirements.txt`` in tox's deps keeps a line the candidate replaced in force."""
    service["requirements.txt"] = "torch<2.2\n"
    item = trial.candidate("py", ["torch<2.2"], ["torch==2.3.1"])
    result = unsatisfiable(item.cell, "torch==2.3.1", "torch<2.2")
    assert trial.blocking(item, result, service, {("requirements.txt", 1)}) == [
        Declared("torch<2.2", "requirements.txt", 1),
        Declared("torch<2.2", "pyproject.toml", 6),
    ]
    other = unsatisfiable(item.cell, "torch==2.3.1", "torch<2.3")  # a conflict elsewhere
    assert trial.blocking(item, other, {"requirements.txt": "torch<2.2\n"},
                          {("requirements.txt", 1)}) == []  # fmt: skip
    assert (
        "Because you require torch==2.3.1 and torch<2.3" in trial.record(item, other, [])["reason"]
    )


def test_cell_names_are_plain_names_that_carry_the_env_s_python():
    names = [trial.candidate("py311", [], [line]).cell
             for line in ("numpy<2", "numpy>2", "torch>=2.3,<2.4", "pkg @ https://x/a b.whl")]  # fmt: skip
    assert names[:3] == ["py311-gate_fix_numpy_lt2", "py311-gate_fix_numpy_gt2",
                         "py311-gate_fix_torch_ge2.3_lt2.4"]  # fmt: skip
    assert len(set(names)) == 4 and all(map(is_name, names))
    assert {Python.extract_base_python(name) for name in names} == {"py311"}
    assert [list(tox_expands(name)) for name in names] == [[name] for name in names]  # as tox.ini
    long = trial.candidate("py", [], [f"p{i}==1.0" for i in range(40)]).cell
    assert is_name(long) and len(long) < 160


def result(verdict, forced=False, **versions):
    return CellResult(Cell("c", {}, forced=forced), verdict, Counts(passed=1),
                      versions={"python": "3.11.7", **versions})  # fmt: skip


def test_a_forced_cell_proves_the_lift_and_nothing_else():
    moved = gate.changes(
        {"numpy": "1.26.4", "torch": "2.1.2"}, {"numpy": "2.0.0", "torch": "2.1.2"}
    )
    lines = ["numpy==2.0.0", "torch<2.2"]
    bound = Declared("torch<2.2", "requirements.txt", 2)
    evidence = [
        remedy.Backing(result("fail", numpy="2.0.0", torch="2.1.2"), "baseline HEAD"),
        remedy.Backing(result(PASS, True, numpy="2.0.0", torch="2.3.1"), "--try-fixes"),
    ]
    found = remedy.options(lines, {}, moved, ["torch"], evidence, "3.11.7",
                           {"numpy": "2.0.0", "torch": "2.1.2"}, {"torch": [bound]})  # fmt: skip
    fixes = {f.requirement: f for f in remedy.verify(found, evidence, "3.11.7")}
    lift = fixes["torch>=2.3.1,<2.4"]
    assert lift.kind == "lift" and lift.verified and lift.report == "--try-fixes"
    assert (lift.replaces, lift.place) == ("torch<2.2", "requirements.txt line 2")
    assert lift.why.startswith("lift the project's bound torch<2.2 in requirements.txt line 2:")
    assert "torch>=2.3.1" not in fixes  # a raise needs a cell installed as the project declares
    assert not fixes["numpy<2"].verified  # the forced cell has numpy 2: it backs no bound either
    unforced = [evidence[0], remedy.Backing(result(PASS, numpy="2.0.0", torch="2.3.1"), "r")]
    again = remedy.options(lines, {}, moved, ["torch"], unforced, "3.11.7", {"torch": "2.1.2"})
    assert {f.requirement: f.verified for f in remedy.verify(again, unforced, "3.11.7")}[
        "torch>=2.3.1"
    ]


def test_gate_json_md_and_the_screen_say_what_was_tried_and_why(service, tmp_path):
    item = trial.candidate("py311", PROPOSED, ["numpy==2.0.0", "torch==2.2.2"])
    blocked = [Declared("torch<2.2", "pyproject.toml", 6)]
    failed = unsatisfiable(item.cell, "torch==2.2.2", "torch<2.2")
    lifted = item.lifted(blocked)
    passed = CellResult(Cell(lifted.cell, {}, forced=True), PASS, Counts(passed=2))
    fix = gate.Fix("lift", "torch>=2.2.2,<2.3", "lift the project's bound torch<2.2", lifted.cell,
                   "--try-fixes", "torch<2.2", "pyproject.toml line 6")  # fmt: skip
    judged = gate.Judgement(gate.EXIT_REGRESSION, "1 test(s) that passed in the baseline broke",
                            fixes=[fix], already_failing=["tests/t.py::test_old"],
                            tried=[trial.record(item, failed, blocked),
                                   trial.record(lifted, passed, [])])  # fmt: skip

    def side(label, name):
        result = CellResult(Cell(name, {}), PASS, Counts(passed=2))
        return SimpleNamespace(label=label, root=None, result=result,
                               sources=Sources(label, [Line("requirements.txt", 2, PROPOSED[0])]))  # fmt: skip

    doc = gate_output.document(judged, side("HEAD", "py-gate_base"),
                               side("working tree", "py-gate_proposed"), tmp_path)  # fmt: skip
    schema = Path(gate_output.__file__).parents[1] / "schemas" / "gate.schema.json"
    jsonschema.validate(json.loads(gate_output.json_text(doc)), json.loads(schema.read_text()))
    assert doc["fixes"][0]["write_to"] == "pyproject.toml line 6"
    screen, page = gate_output.terminal(doc), gate_output.markdown(doc)
    for text in (screen, page):
        assert "fix: torch==2.2.2" in text and "blocked by the project's own torch<2.2 in" in text
        assert "lift the project's bound torch<2.2 in pyproject.toml: torch==2.2.2" in text
        assert "torch>=2.2.2,<2.3" in text and "instead of" in text
    assert "tests/t.py::test_old" in page and "py-gate_proposed" in page


def test_a_candidate_that_fails_only_where_the_baseline_failed_says_so():
    item = trial.candidate("py", ["packaging==24.1"], ["packaging<24"])
    result = CellResult(Cell(item.cell, {}), "fail", Counts(passed=1, failed=1),
                        failures=[Failure("tests/t.py::test_old", "other", "assert 2 == 3")],
                        outcomes={"tests/t.py::test_new": "passed", "tests/t.py::test_old": "failed"})  # fmt: skip
    assert trial.record(item, result, [], ("tests/t.py::test_new",))["reason"] == (
        "the broken tests pass; it fails only where the baseline failed too (tests/t.py::test_old)"
    )
    assert trial.record(item, result, [], ("tests/t.py::test_old",))["reason"].startswith(
        "1 failing, e.g. tests/t.py::test_old [other]: assert 2 == 3"
    )


def test_a_bound_a_cell_replaced_in_place_makes_its_raise_a_lift(service):
    """A derived cell edits the project's own requirement of the package where its env reads
    it (``Cell.replaced``): the raise it proves must lift that bound too, or it cannot install."""
    item = trial.candidate("py311", PROPOSED, ["numpy==2.0.0", "torch==2.2.2"])
    replaced = [{"package": "torch", "was": "torch<2.2", "in": "pyproject.toml [project.dependencies]"},
                {"package": "torch", "was": "torch==2.1.2", "in": "requirements.txt"},
                {"package": "numpy", "was": "numpy", "in": "pyproject.toml [project.dependencies]"}]  # fmt: skip
    cell = Cell(item.cell, {}, replaced=replaced)
    passed = CellResult(cell, PASS, Counts(passed=2), versions={"python": "3.11.7",
                        "numpy": "2.0.0", "torch": "2.2.2"})  # fmt: skip
    at = {("requirements.txt", 2), ("requirements.txt", 3)}
    lifted = trial.lifted_in_place(item, passed, service, at)
    assert lifted == [Declared("torch<2.2", "pyproject.toml", 6)]
    record = trial.record(item, passed, [], (), lifted)
    assert record["label"] == (
        "fix: torch==2.2.2, lifting the project's torch<2.2 in pyproject.toml line 6"
    )
    moved = gate.changes(
        {"numpy": "1.26.4", "torch": "2.1.2"}, {"numpy": "2.0.0", "torch": "2.1.2"}
    )
    evidence = [remedy.Backing(passed, "--try-fixes")]
    closure = {"numpy": "2.0.0", "torch": "2.1.2"}
    found = remedy.options(PROPOSED, {}, moved, ["torch"], evidence, "3.11.7", closure,
                           trial.bounds_of(lifted))  # fmt: skip
    fixes = {f.requirement: f for f in remedy.verify(found, evidence, "3.11.7")}
    assert "torch>=2.2.2" not in fixes  # alone, it would not install
    lift = fixes["torch>=2.2.2,<2.3"]
    assert lift.verified and (lift.replaces, lift.place) == ("torch<2.2", "pyproject.toml line 6")
    without = remedy.options(PROPOSED, {}, moved, ["torch"], evidence, "3.11.7", closure)
    assert [o.requirement for o in without if o.kind == "raise"] == ["torch>=2.2.2"]
