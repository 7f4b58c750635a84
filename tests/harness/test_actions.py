"""``harness run`` in GitHub Actions: a ``::group::`` per cell on stdout, an annotation per
failing cell on stderr on its env's line of the tox config, and no line that a test id could
turn into a workflow command of its own (read as actions/runner reads them, with the helpers
of test_gate_output)."""

import textwrap

import pytest

from harness.cli import main
from harness.commands import run as run_command
from harness.model import Cell, CellResult, Counts, Failure
from harness.report import actions, terminal
from harness.stages import expectations, pipeline

from .test_gate_output import parse, runner_commands, runner_lines

SPOOF = "\n::error title=SPOOF::x"
TEST = f"tests/t.py::test_x[100%0A,a:b\r{SPOOF} ##[error]y]"
CRASH = Failure("pytest", "crash-signal", "Segmentation fault", where="commands[0]")
TOX_INI = """\
[tox]
env_list = ok, broken

[testenv:broken]
commands = pytest

[testenv]
deps = pytest
"""


def result(name: str, verdict: str, failures=(), problem=None, base_env="") -> CellResult:
    return CellResult(Cell(name, {}, base_env=base_env, adhoc=bool(base_env)), verdict,
                      Counts(passed=1, failed=len(failures)), failures=list(failures),
                      problem=problem)  # fmt: skip


def failing(count: int) -> list:
    return [Failure(TEST if i == 0 else f"tests/t.py::test_{i}", "assertion",
                    f"AssertionError: {i}\n::warning::w") for i in range(count)]  # fmt: skip


@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "tox.ini").write_text(TOX_INI)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return folder


@pytest.fixture
def results() -> list:
    return [
        result("ok", "pass"),
        result("broken", "fail", failing(7)),
        result("py311-x", "crash", problem=CRASH),
        result("net", "infra-error", problem=Failure("install", "install-network", "no route")),
    ]


def test_each_cell_is_a_group_holding_its_result_lines(project, results, capsys):
    terminal.show(results, project)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert runner_lines(out.rstrip("\n")) == lines  # no value split a line
    starts = [i for i, line in enumerate(lines) if line.startswith("::group::")]
    assert [parse(lines[i])[2] for i in starts] == [
        "ok: pass", "broken: fail", "py311-x: crash", "net: infra-error"]  # fmt: skip
    ends = [i for i, line in enumerate(lines) if line == "::endgroup::"]
    assert ends == [*(s - 1 for s in starts[1:]), len(lines) - 1]
    for start, cell in zip(starts, results, strict=True):
        assert lines[start + 1].startswith(f"{cell.cell.name}: {cell.verdict} (")
    assert runner_commands(out) == [lines[i] for i in sorted(starts + ends)]  # nothing else
    broken = lines[starts[1] + 2]
    assert broken.startswith("    tests/t.py::test_x[100%0A,a:b\\r\\n::error title=SPOOF::x ##\\[")


def test_a_failing_cell_is_annotated_on_its_env_s_line(project, results, capsys):
    terminal.show(results, project)
    err = capsys.readouterr().err
    annotations = err.splitlines()
    assert runner_lines(err.rstrip("\n")) == annotations == runner_commands(err)
    assert len(annotations) == 3  # broken, the crash, the unmeasured cell; not the pass
    name, properties, message = parse(annotations[0])
    assert name == "error"
    assert properties == {"file": "tox.ini", "line": "4", "title": "broken: fail (assertion)"}
    assert message.startswith(f"broken: 7 failing test(s)\n{TEST} [assertion]: AssertionError: 0")
    assert "\ntests/t.py::test_4 [assertion]: AssertionError: 4 ::warning::w\n" in message
    assert "test_5" not in message and message.endswith("\n... and 2 more (see the report)")
    name, properties, message = parse(annotations[1])  # no section of its own: [testenv]
    assert name == "error" and (properties["file"], properties["line"]) == ("tox.ini", "7")
    assert message == "commands[0] [crash-signal]: Segmentation fault"
    name, properties, message = parse(annotations[2])
    assert name == "warning" and properties["title"] == "net: infra-error (install-network)"


def test_outside_actions_there_are_no_groups_nor_annotations(project, results, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS")
    terminal.show(results, project)
    out, err = capsys.readouterr()
    assert err == "" and runner_commands(out) == []
    assert out.splitlines()[0].startswith("ok: pass (")


def test_an_adhoc_cell_is_annotated_on_its_base_env(project):
    (annotation,) = actions.annotations(project, [result("broken-with-x", "fail", failing(1),
                                                         base_env="broken")])  # fmt: skip
    assert parse(annotation)[1]["line"] == "4"


def test_the_file_is_named_from_the_workspace_when_the_project_lies_in_it(project, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project.parent))
    (annotation,) = actions.annotations(project, [result("broken", "fail", failing(1))])
    assert parse(annotation)[1]["file"] == "proj/tox.ini"


CONFIGS = {
    "tox.ini": ("[tox]\n[testenv:py{310,311}-a]\n[testenv]\n", 2, 3),
    "tox.toml": ('env_list = ["a"]\n[env_run_base]\n[env."py311-a"]\n', 3, 2),
    "pyproject.toml": ("[tool.tox]\n[tool.tox.env_run_base]\n[tool.tox.env.'py311-a']\n", 3, 2),
    "setup.cfg": ("[metadata]\n[tox:tox]\n[testenv]\n[testenv:py311-a]\n", 4, 3),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_env_s_section_is_found_in_each_config_format(tmp_path, name):
    text, env_line, base_line = CONFIGS[name]
    (tmp_path / name).write_text(text)
    assert actions.env_line(tmp_path, "py311-a") == (tmp_path / name, env_line)
    assert actions.env_line(tmp_path, "py312-b") == (tmp_path / name, base_line)


def test_a_legacy_pyproject_and_a_config_without_a_base_section(tmp_path):
    legacy = textwrap.dedent('''\
        [project]
        name = "x"
        [tool.tox]
        legacy_tox_ini = """
        [testenv:lint]
        """
    ''')  # fmt: skip
    (tmp_path / "pyproject.toml").write_text(legacy)
    assert actions.env_line(tmp_path, "lint") == (tmp_path / "pyproject.toml", 5)
    assert actions.env_line(tmp_path, "other") == (tmp_path / "pyproject.toml", None)
    (tmp_path / "tox.ini").write_text("[tox]\n")  # tox reads tox.ini first
    assert actions.env_line(tmp_path, "lint") == (tmp_path / "tox.ini", None)
    (annotation,) = actions.annotations(tmp_path, [result("lint", "fail", failing(1))])
    assert parse(annotation)[1] == {"file": "tox.ini", "title": "lint: fail (assertion)"}


def test_harness_run_prints_groups_and_annotations(project, results, capsys, monkeypatch):
    outcome = pipeline.RunOutcome([r.cell for r in results], results, [])
    monkeypatch.setattr(run_command.pipeline, "run", lambda options, store, progress: outcome)
    monkeypatch.setattr(run_command, "tools", lambda project: {"tox": "tox", "uv": "uv"})
    main(["run", "--project", str(project)])
    out, err = capsys.readouterr()
    assert [parse(line)[2] for line in runner_commands(out) if line != "::endgroup::"] == [
        "ok: pass", "broken: fail", "py311-x: crash", "net: infra-error"]  # fmt: skip
    assert [parse(line)[0] for line in runner_commands(err)] == ["error", "error", "warning"]


def test_a_declared_failure_is_a_notice_and_a_cell_that_now_passes_a_warning(project):
    declared = expectations.parse(
        {"broken": {"verdict": "fail", "signature": "assertion"}, "ok": {"verdict": "fail"}},
        project / "pyproject.toml", "pyproject.toml",
    )  # fmt: skip
    found = [parse(line) for line in actions.annotations(
        project, [result("ok", "pass"), result("broken", "fail", failing(1))], declared)]  # fmt: skip
    assert [(kind, props["title"]) for kind, props, _ in found] == [
        ("warning", "ok: pass"),
        ("notice", "broken: fail (assertion), as declared"),
    ]
    assert found[0][2] == "ok: now passes: update the declaration in pyproject.toml"
    undeclared = actions.annotations(project, [result("broken", "fail", failing(1))])
    assert parse(undeclared[0])[0] == "error"
