"""Every annotation's ``file=`` is a path from the repository's root, in ``run`` as in ``gate``:
GitHub resolves it there, so only then does it land on the pull request's diff. Real git
repositories made in tmp_path, the project in a subfolder."""

from types import SimpleNamespace

import pytest

from harness.gate import judge as gate
from harness.gate import output as gate_output
from harness.model import Cell, CellResult, Counts, Failure
from harness.report import actions
from harness.stages.sources import Line, Sources

from .layouts import git
from .test_gate_output import parse


@pytest.fixture
def service(tmp_path, monkeypatch):
    """``repo/services/svc``: a project in a subfolder of a git repository."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    repo = tmp_path / "repo"
    project = repo / "services" / "svc"
    project.mkdir(parents=True)
    (project / "tox.ini").write_text("[tox]\nenv_list = py\n[testenv]\ndeps = pytest\n")
    (project / "requirements.txt").write_text("# pins\npackaging==23.2\n")
    git(repo, "init", "-q")
    return project


def state(label, root, requirement, verdict):
    result = CellResult(Cell(f"py-{label}", {}), verdict, Counts(passed=1),
                        versions={"packaging": requirement.split("==")[1]})  # fmt: skip
    return SimpleNamespace(label=label, root=root, result=result,
                           sources=Sources(label, [Line("requirements.txt", 2, requirement)]))  # fmt: skip


def gate_annotation(project, base):
    (base / "tox.ini").write_text((project / "tox.ini").read_text())
    (base / "requirements.txt").write_text("# pins\npackaging==23.2\n")
    (project / "requirements.txt").write_text("# pins\npackaging==24.1\n")
    judged = gate.Judgement(gate.EXIT_REGRESSION, "1 test(s) that passed in the baseline broke",
                            [gate.Change("packaging", "23.2", "24.1")],
                            [gate.Broken("tests/t.py::test_x", "failed", "assertion", "E")])  # fmt: skip
    doc = gate_output.document(judged, state("HEAD", base, "packaging==23.2", "pass"),
                               state("working tree", project, "packaging==24.1", "fail"),
                               project / ".harness")  # fmt: skip
    (annotation,) = gate_output.annotations(doc)
    return parse(annotation)[1], doc


def test_the_gate_names_the_changed_line_from_the_repository_root(service, tmp_path):
    base = tmp_path / "snapshot"  # the baseline's checkout lies elsewhere: only its lines count
    base.mkdir()
    properties, doc = gate_annotation(service, base)
    assert properties == {"file": "services/svc/requirements.txt", "line": "2"}
    assert doc["changed_lines"][0]["path"] == "requirements.txt"  # where the project has it


def test_run_names_the_tox_config_from_the_repository_root(service):
    failing = CellResult(Cell("py", {}), "fail", Counts(failed=1),
                         failures=[Failure("tests/t.py::test_x", "assertion", "E")])  # fmt: skip
    (annotation,) = actions.annotations(service, [failing])
    assert parse(annotation)[1]["file"] == "services/svc/tox.ini"


def test_the_repository_root_wins_over_the_workspace(service, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(service.parent))  # a checkout path option
    path = service / "requirements.txt"
    assert actions.repository_path(service, path) == "services/svc/requirements.txt"


def test_without_a_repository_the_workspace_then_the_project(tmp_path, monkeypatch):
    project = tmp_path / "work" / "svc"
    project.mkdir(parents=True)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    assert actions.repository_path(project, "requirements.txt") == "requirements.txt"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "work"))
    assert actions.repository_path(project, "requirements.txt") == "svc/requirements.txt"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "elsewhere"))
    assert actions.repository_path(project, project / "tox.ini") == "tox.ini"
