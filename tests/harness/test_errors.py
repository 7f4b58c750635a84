"""One table of exit codes for every command: the docs' exit-code page is generated from it, and
each command answers bad input and a busy reports folder by it, in one line."""

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.commands import COMMANDS
from harness.errors import EXIT_CODES, EXIT_UNMEASURED, EXIT_USAGE
from harness.store import Store

DOCS = Path(__file__).resolve().parents[2] / "docs"
NAMES = [module.__name__.rpartition(".")[2] for module in COMMANDS]
POSITIONAL = {"bisect": ["packaging", ">=23"], "merge": ["/no/such/folder"],
              "survey": ["six", "--with", "six==1.16.0", "--with", "six==1.17.0"]}  # fmt: skip
TAKES_PROJECT = [n for n in NAMES if n not in ("suggest", "merge", "report", "survey")]
TAKES_FOLDER = ["run", "probe", "lock", "gate", "audit", "bisect", "clean", "report", "merge",
                "survey"]  # fmt: skip
READ_TOX_FIRST = ("lock", "bisect")  # they run tox (its config) before they find the folder busy


def test_the_docs_table_is_the_code_s_table():
    """The exit-code page includes the table the site's build generates from EXIT_CODES."""
    spec = importlib.util.spec_from_file_location(
        "harness_reference", DOCS / "_ext" / "harness_reference.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", generator.exit_codes(), re.M)
    assert {int(code): text for code, text in rows} == EXIT_CODES
    page = (DOCS / "reference" / "exit-codes.md").read_text()
    assert "```{include} ../_generated/exit-codes.md\n```" in page


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("command", TAKES_PROJECT)
def test_a_folder_without_a_tox_config_is_bad_input(command, tmp_path, capsys):
    assert main([command, *POSITIONAL.get(command, []), "--project", str(tmp_path)]) == EXIT_USAGE
    files = "tox.ini, tox.toml, pyproject.toml, setup.cfg, setup.py or noxfile.py"
    assert one_line(capsys) == f"harness: error: {tmp_path} has no {files}"


@pytest.mark.parametrize(("option", "value"), [("--timeout", "nan"), ("--timeout", "inf"),
                                              ("--timeout", "0"), ("--jobs", "-1")])  # fmt: skip
@pytest.mark.parametrize("command", ["run", "probe", "gate", "bisect"])
def test_shared_options_are_checked_alike_everywhere(command, option, value, tmp_path, capsys):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    argv = [command, *POSITIONAL.get(command, []), "--project", str(tmp_path), option, value]
    assert main(argv) == EXIT_USAGE
    assert one_line(capsys).startswith(f"harness: error: {option} must be")


@pytest.mark.parametrize("base", ["", " "])
def test_an_empty_base_is_bad_input_not_head(base, tmp_path, capsys):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    assert main(["gate", "--project", str(tmp_path), "--base", base]) == EXIT_USAGE
    assert one_line(capsys).startswith("harness: error: --base is empty")
    assert not (tmp_path / ".harness").exists()


@pytest.mark.parametrize(
    "command",
    [pytest.param(c, marks=pytest.mark.integration) if c in READ_TOX_FIRST else c
     for c in TAKES_FOLDER],
)  # fmt: skip
def test_a_busy_reports_folder_is_bad_input_and_left_alone(command, tmp_path, capsys):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    (tmp_path / "requirements.txt").write_text("packaging\n")  # what the gate reads first
    if command == "gate":  # and the baseline's commit
        for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
            subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", *args],
                           cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    (tmp_path / "other").mkdir()
    reports = tmp_path / ".harness"
    holder = Store(reports)
    holder.acquire("run")
    try:
        before = sorted(p.name for p in reports.iterdir())
        positional = ["--collect"] if command == "report" else POSITIONAL.get(command, [])
        if command == "merge":
            positional = [str(tmp_path / "other")]
        argv = [command, *positional, "--reports", str(reports)]
        if command in TAKES_PROJECT:
            argv += ["--project", str(tmp_path)]
        code = main(argv)
        line = one_line(capsys)
    finally:
        holder.release()
    assert code == EXIT_USAGE and line.startswith(f"harness: error: {reports} is in use by")
    assert sorted(p.name for p in reports.iterdir()) == before


def test_a_bug_is_one_line_and_exit_3(monkeypatch, tmp_path, capsys):
    from harness.commands import list as listing

    def broken(state):
        raise ValueError("an unexpected value")

    monkeypatch.setattr(listing, "command", broken)
    monkeypatch.delenv("HARNESS_TRACEBACK", raising=False)
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n")
    assert main(["list", "--project", str(tmp_path)]) == EXIT_UNMEASURED
    assert one_line(capsys).startswith("harness: internal error: ValueError: an unexpected value")
