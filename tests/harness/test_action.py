"""The composite action (action.yml) and its shell steps (scripts/action.sh), run as GitHub's
runner runs them: GITHUB_* and RUNNER_* set, the inputs handed over as environment variables.

The fast tier runs the `run` step against a stand-in harness (a script that records its
arguments and writes what the real one writes) in a small git repository; the integration
tier installs the real harness from the action's files and gates a real requirement bump."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .layouts import git

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "action.sh"
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
BIN = Path(sys.executable).parent

# Writes what `harness gate`/`run` write (whole files, each under a new inode as
# harness.files.write_atomic does), records its arguments (NUL-separated) and whether it saw
# GITHUB_STEP_SUMMARY, exits STUB_EXIT. compat.json only with STUB_VERDICTS ("pass fail").
STUB = r"""#!/usr/bin/env bash
set -eu
printf '%s\0' "$@" >"$STUB_LOG"
[[ -v GITHUB_STEP_SUMMARY ]] && echo summary >"$STUB_LOG.env" || echo none >"$STUB_LOG.env"
args=("$@")
for ((i = 0; i < $#; i++)); do
	case ${args[i]} in
	--reports) reports=${args[i + 1]} ;;
	--junit) junit=${args[i + 1]} ;;
	esac
done
write() { mkdir -p "${1%/*}" && printf '%s' "$2" >"$1.tmp" && mv "$1.tmp" "$1"; }
if [[ ${STUB_WRITES:-1} == 1 ]]; then
	markdown=${STUB_MARKDOWN:-"## harness $1 report"$'\n'}
	[[ -z ${STUB_MARKDOWN_FILE:-} ]] || markdown=$(<"$STUB_MARKDOWN_FILE")$'\n'
	own=$reports; [[ $1 != gate ]] || own=$reports/gate  # the gate's own folder
	if [[ $1 == gate ]]; then write "$own/gate.md" "$markdown"; else write "$own/compat.md" "$markdown"; fi
	write "$junit" "<testsuites/>"
	if [[ -n ${STUB_VERDICTS:-} ]]; then
		cells=""
		for verdict in $STUB_VERDICTS; do cells+="${cells:+, }{\"verdict\": \"$verdict\"}"; done
		write "$own/compat.json" "{\"cells\": [$cells]}"
	fi
fi
exit "${STUB_EXIT:-0}"
"""


@pytest.fixture
def runner(tmp_path):
    """``(workspace, env)``: a checked-out consumer repository (two commits on main, whose tip
    origin/main also names) and the variables GitHub's runner sets for a pull request's step,
    the stand-in harness included."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "requirements.txt").write_text("packaging==23.2\n")
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "one")
    (workspace / "requirements.txt").write_text("packaging==24.1\n")
    git(workspace, "commit", "-qam", "two")
    git(workspace, "update-ref", "refs/remotes/origin/main", "HEAD")
    stub = tmp_path / "stub-harness"
    stub.write_text(STUB)
    stub.chmod(0o755)
    python = tmp_path / "python"  # the tool's Python, without the dev venv's site-packages
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_BASE_REF": "main",
        "GITHUB_OUTPUT": str(temp / "output"),
        "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
        "GITHUB_PATH": str(temp / "path"),
        "RUNNER_TEMP": str(temp),
        "HARNESS": str(stub),
        "HARNESS_PYTHON": str(python),
        "STUB_LOG": str(tmp_path / "stub.json"),
    }
    return workspace, env


def step(env, /, **inputs):
    """Run the action's `run` step with ``inputs`` (``try_fixes=`` is INPUT_TRY_FIXES,
    ``stub_exit=`` the stand-in's STUB_EXIT): ``(completed process, outputs, the stand-in's
    record or None)``."""
    env = {**env, **{k.upper() if k.startswith("stub_") else f"INPUT_{k.upper()}": str(v)
                     for k, v in inputs.items()}}  # fmt: skip
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        Path(env[name]).unlink(missing_ok=True)
    done = subprocess.run(["bash", str(SCRIPT), "run"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=env["RUNNER_TEMP"])  # fmt: skip
    return done, outputs(env), record(env)


def outputs(env) -> dict:
    path = Path(env["GITHUB_OUTPUT"])
    lines = path.read_text().splitlines() if path.exists() else []
    found = dict(line.split("=", 1) for line in lines)
    assert len(found) == len(lines), f"an output was written twice: {lines}"
    return found


def record(env):
    """What the stand-in was run with: ``{"args": [...], "summary_env": bool}``, or None."""
    path = Path(env["STUB_LOG"])
    if not path.exists():
        return None
    args = path.read_text().split("\0")[:-1]
    seen = Path(env["STUB_LOG"] + ".env").read_text().strip() == "summary"
    path.unlink()
    return {"args": args, "summary_env": seen}


def summary(env) -> str:
    path = Path(env["GITHUB_STEP_SUMMARY"])
    return path.read_text() if path.exists() else ""


def regression_outputs(reports: Path) -> dict:
    """The step's outputs for a gate that found a regression (one passing, one failing cell)."""
    return {
        "exit-code": "1",
        "result": "regression",
        "verdicts": '{"fail": 1, "pass": 1}',
        "reports": str(reports),
        "junit": str(reports / "junit.xml"),
        "summary": str(reports / "gate" / "gate.md"),
    }


def test_a_regression_fails_the_step_with_the_gates_report_in_the_summary(runner):
    workspace, env = runner
    done, out, ran = step(
        env, stub_exit=1, stub_markdown="## REGRESSION\n", stub_verdicts="pass fail"
    )
    assert done.returncode == 1, done.stderr
    reports = workspace / ".harness"
    assert ran["args"] == ["gate", "--project", ".", "--reports", str(reports),
                           "--junit", str(reports / "junit.xml"), "--base", "origin/main"]  # fmt: skip
    assert not ran["summary_env"]  # the harness's own summary is off: the step writes it once
    assert summary(env) == "## REGRESSION\n"
    assert out == regression_outputs(reports)


@pytest.mark.parametrize("code, word", [(0, "pass"), (2, "usage"), (3, "unmeasured"),
                                        (130, "interrupted"), (7, "error")])  # fmt: skip
def test_the_step_exits_with_the_harness_exit_code(runner, code, word):
    _, env = runner
    done, out, _ = step(env, stub_exit=code)
    assert done.returncode == code and out["exit-code"] == str(code) and out["result"] == word


def test_the_base_is_the_pull_requests_base_branch_else_the_commit_before(runner):
    workspace, env = runner
    _, _, ran = step(env, base="HEAD")
    assert ran["args"][-2:] == ["--base", "HEAD"]
    del env["GITHUB_BASE_REF"]  # a push
    _, _, ran = step(env)
    assert ran["args"][-2:] == ["--base", "HEAD~1"]


def test_a_base_branch_the_checkout_lacks_is_fetched(runner, tmp_path):
    workspace, env = runner
    origin = tmp_path / "origin"
    shutil.copytree(workspace, origin)
    git(origin, "checkout", "-q", "-b", "release")
    git(workspace, "update-ref", "-d", "refs/remotes/origin/main")
    git(workspace, "remote", "add", "origin", str(origin))
    done, _, ran = step({**env, "GITHUB_BASE_REF": "release"})
    assert done.returncode == 0, done.stderr
    assert ran["args"][-2:] == ["--base", "origin/release"]
    assert git(workspace, "rev-parse", "origin/release") == git(origin, "rev-parse", "release")


def test_a_shallow_checkout_gets_the_base_at_depth_1_whatever_names_it(runner, tmp_path):
    """actions/checkout's default (fetch-depth: 1) on a pull request's merge commit, detached,
    and on a push: the base branch and a commit id are each fetched at depth 1, HEAD~1 by
    deepening the checkout by one commit."""
    workspace, env = runner
    origin = tmp_path / "origin"
    workspace.rename(origin)
    git(origin, "checkout", "-q", "-b", "pr")
    (origin / "requirements.txt").write_text("packaging==24.2\n")
    git(origin, "commit", "-qam", "three")
    git(origin, "checkout", "-q", "main")
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "pr", f"file://{origin}", "workspace")
    git(workspace, "checkout", "-q", "--detach")
    first = git(origin, "rev-parse", "main~1").strip()
    for inputs, base in [
        ({}, "origin/main"),
        ({"base": first}, first),
        ({"base": "HEAD~1"}, "HEAD~1"),
    ]:
        done, _, ran = step(env, **inputs)
        assert done.returncode == 0, done.stderr
        assert ran["args"][-2:] == ["--base", base]
        assert git(workspace, "rev-parse", "--verify", f"{base}^{{commit}}")
        if base != "HEAD~1":  # fetched at depth 1: the checkout stays shallow
            assert git(workspace, "rev-parse", "--is-shallow-repository").strip() == "true"
    assert git(workspace, "rev-parse", "origin/main") == git(origin, "rev-parse", "main")


def test_a_base_ref_that_is_not_there_stops_before_the_harness(runner):
    workspace, env = runner
    done, out, ran = step(env, base="no-such-ref")
    assert done.returncode == 2 and ran is None and out == {}
    assert "::error title=compat-harness::the base ref no-such-ref is not in the checkout" in (
        done.stderr
    )
    assert "fetch it, or check out with fetch-depth: 0" in done.stderr


def test_run_takes_envs_labels_budget_and_args(runner):
    workspace, env = runner
    done, out, ran = step(env, command="run", env="py311-a,py311-b", labels="full, bench ci",
                          disk_budget="12G", reports="out/reports",
                          args="--shard 1/2 -- -k 'not slow'")  # fmt: skip
    assert done.returncode == 0, done.stderr
    reports = workspace / "out" / "reports"
    assert ran["args"] == [
        "run", "--project", ".", "--reports", str(reports), "--junit", str(reports / "junit.xml"),
        "-e", "py311-a,py311-b", "-m", "full", "-m", "bench", "-m", "ci", "--disk-budget", "12G",
        "--shard", "1/2", "--", "-k", "not slow",
    ]  # fmt: skip
    assert summary(env) == "## harness run report\n"
    assert out["summary"] == str(reports / "compat.md") and out["result"] == "pass"
    _, out, _ = step(env, command="run", stub_exit=1)
    assert out["result"] == "fail"  # a failing cell, not a regression


def test_inputs_are_data_never_code(runner, tmp_path):
    workspace, env = runner
    evil = f"$(touch {tmp_path}/a) `touch {tmp_path}/b`; touch {tmp_path}/c"
    done, _, ran = step(env, command="run", env=evil, labels="*", args=f"'{evil}' \"$HOME\"")
    assert done.returncode == 0, done.stderr
    assert ran["args"][ran["args"].index("-e") + 1] == evil
    assert ran["args"][ran["args"].index("-m") + 1] == "*"  # not a glob of the folder
    assert ran["args"][-2:] == [evil, "$HOME"]
    assert not [p for p in tmp_path.iterdir() if p.name in ("a", "b", "c")]


@pytest.mark.parametrize("inputs, message", [
    ({"command": "bisect"}, "command must be gate or run, not bisect"),
    ({"labels": "full"}, "labels applies to command: run"),
    ({"disk_budget": "12G"}, "disk-budget applies to command: run"),
    ({"try_fixes": "four"}, "try-fixes must be a number"),
    ({"command": "run", "base": "main"}, "base applies to command: gate"),
    ({"command": "run", "try_fixes": "4"}, "try-fixes applies to command: gate"),
    ({"args": "--with 'numpy==2"}, "args does not split into shell words"),
    ({"base": "a\nb"}, "the base ref a%0Ab is not in the checkout"),
])  # fmt: skip
def test_bad_inputs_stop_with_exit_2_and_one_error_line(runner, inputs, message):
    _, env = runner
    done, out, ran = step(env, **inputs)
    assert done.returncode == 2 and ran is None and out == {}, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("::error")]
    assert message in line


def test_try_fixes_reach_the_gate(runner):
    _, env = runner
    _, _, ran = step(env, try_fixes="4", env="py311")
    assert ran["args"][-4:] == ["--env", "py311", "--try-fixes", "4"]
    _, _, ran = step(env, try_fixes="0")
    assert "--try-fixes" not in ran["args"]


def test_a_report_left_by_an_earlier_run_is_not_summarized(runner):
    workspace, env = runner
    reports = workspace / ".harness"
    (reports / "gate").mkdir(parents=True)
    (reports / "gate" / "gate.md").write_text("## an old gate\n")
    (reports / "junit.xml").write_text("<testsuites/>")
    done, out, _ = step(env, stub_exit=3, stub_writes="0")
    assert done.returncode == 3
    assert "old gate" not in summary(env)
    assert summary(env) == "### harness gate: exit 3\n\nIt wrote no report; its log says why.\n"
    assert out["summary"] == "" and out["junit"] == "" and out["verdicts"] == "{}"
    assert out["result"] == "unmeasured"
    _, out, _ = step(env)  # a fresh one is
    assert summary(env) == "## harness gate report\n" and out["summary"].endswith("gate.md")


def test_a_report_over_githubs_limit_is_cut_with_a_note(runner, tmp_path):
    _, env = runner
    big = "| cell | verdict |\n" * 70_000  # 1.33 MB
    (tmp_path / "big.md").write_text(big)
    done, _, _ = step(env, command="run", stub_markdown_file=tmp_path / "big.md")
    assert done.returncode == 0
    written = summary(env).encode()
    assert written.startswith(big.encode()[:1_000_000]) and len(written) < 1_024 * 1_024
    assert written.endswith(b"the whole of it is compat.md in the artifact.*\n")


def test_without_a_summary_file_the_step_still_works(runner):
    _, env = runner
    del env["GITHUB_STEP_SUMMARY"]
    done = subprocess.run(["bash", str(SCRIPT), "run"], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr


# action.yml itself


def steps():
    return {s.get("id") or s.get("name"): s for s in ACTION["runs"]["steps"]}


def test_action_yml_hands_every_input_to_a_step_as_data():
    assert ACTION["runs"]["using"] == "composite"
    used = json.dumps(ACTION["runs"]["steps"])
    for name in ACTION["inputs"]:
        assert f"inputs.{name}" in used, f"input {name} reaches no step"
    for each in ACTION["runs"]["steps"]:
        assert "${{" not in each.get("run", ""), f"an expression in the shell code: {each}"
        if "run" in each:
            assert each["shell"] == "bash"
            assert each["run"].startswith('bash "$GITHUB_ACTION_PATH/scripts/action.sh" ')
    script = SCRIPT.read_text()
    for value in steps()["harness"]["env"].values():
        assert value.startswith("${{ ") and value.endswith(" }}")
    for variable in steps()["harness"]["env"]:
        assert re.search(r"\$\{?" + variable + r"\b", script), f"the script never reads {variable}"
    assert "INPUT_PYTHON_VERSION" in steps()["install"]["env"]


def test_action_yml_outputs_are_what_the_script_writes():
    script = SCRIPT.read_text()
    for name, output in ACTION["outputs"].items():
        step_id, key = (
            output["value"].removeprefix("${{ steps.").removesuffix(" }}").split(".outputs.")
        )
        assert step_id in steps() and key == name
        assert f"output {name} " in script, f"the script never writes {name}"


def test_the_reports_are_uploaded_whatever_the_exit_code_less_the_envs():
    upload = next(s for s in ACTION["runs"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"].startswith("always()")
    paths = upload["with"]["path"].splitlines()
    assert paths == ["${{ steps.harness.outputs.reports }}",
                     "!${{ steps.harness.outputs.reports }}/envs/"]  # fmt: skip
    assert upload["with"]["include-hidden-files"] is True
    setup = next(s for s in ACTION["runs"]["steps"] if "setup-uv" in s.get("uses", ""))
    assert setup["with"]["enable-cache"] is True
    for pattern in ("**/tox.ini", "**/tox.toml", "**/requirements*.txt", "**/pyproject.toml"):
        assert pattern in setup["with"]["cache-dependency-glob"].split()


def shellcheck():
    for candidate in (BIN / "shellcheck", shutil.which("shellcheck")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


def test_the_script_lints_clean():
    checked = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    if shellcheck():
        linted = subprocess.run([shellcheck(), str(SCRIPT)], capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout


# the real thing

TOX_INI = """
[tox]
env_list = py
[testenv]
package = skip
deps =
    pytest
    -r requirements.txt
commands = pytest tests
"""

TEST = """
import packaging


def test_needs_packaging_23():
    assert packaging.__version__.startswith("23"), f"packaging {packaging.__version__}"


def test_anything():
    pass
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The action's install step, run for real: ``(env of a runner, its outputs)``."""
    temp = tmp_path_factory.mktemp("runner-temp")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(temp / "install-output"),
        "GITHUB_PATH": str(temp / "path"),
        "RUNNER_TEMP": str(temp),
    }
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])  # where uv is, as setup-uv
    done = subprocess.run(["bash", str(SCRIPT), "install"], env=env, capture_output=True,
                          text=True, timeout=600, cwd=temp)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return env, outputs(env)


@pytest.mark.integration
def test_install_puts_the_harness_alone_on_path(installed):
    env, out = installed
    harness, python = Path(out["harness"]), Path(out["python"])
    assert harness.parent == python.parent and harness.is_file()
    on_path = Path(Path(env["GITHUB_PATH"]).read_text().strip())
    assert (on_path / "harness").resolve() == harness.resolve()
    assert not (on_path / "python").exists()  # the tool's venv does not shadow the job's python
    found = subprocess.run([str(python), "-c", "import importlib.util as u; "
                            "print([n for n in ('torch', 'numpy', 'pytest') if u.find_spec(n)])"],
                           capture_output=True, text=True)  # fmt: skip
    assert found.stdout.strip() == "[]", found.stdout + found.stderr
    source = Path(env["RUNNER_TEMP"]) / "compat-harness" / "source"
    assert (source / "pyproject.toml").is_file()  # built from a copy: the checkout is untouched


@pytest.mark.integration
def test_the_action_gates_a_real_bump_and_keeps_its_reports(installed, tmp_path):
    base, installed_out = installed
    workspace = tmp_path / "consumer"
    (workspace / "tests").mkdir(parents=True)
    (workspace / "tox.ini").write_text(textwrap.dedent(TOX_INI))
    (workspace / "tests" / "test_it.py").write_text(textwrap.dedent(TEST))
    (workspace / "requirements.txt").write_text("packaging==23.2\n")
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "base")
    git(workspace, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(workspace, "checkout", "-q", "-b", "bump")
    (workspace / "requirements.txt").write_text("packaging==24.1\n")
    git(workspace, "commit", "-qam", "bump packaging")
    env = {
        **base,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_BASE_REF": "main",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "HARNESS": installed_out["harness"],
        "HARNESS_PYTHON": installed_out["python"],
        "PATH": os.pathsep.join(p for p in base["PATH"].split(os.pathsep) if p != str(BIN)),
    }
    done = subprocess.run(["bash", str(SCRIPT), "run"], env=env, capture_output=True, text=True,
                          timeout=1200, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error file=requirements.txt,line=1::" in done.stderr
    out = outputs(env)
    reports = workspace / ".harness"
    assert out == regression_outputs(reports)
    gate = json.loads((reports / "gate" / "gate.json").read_text())
    assert gate["result"] == "regression"
    assert [r["test"] for r in gate["regressions"]] == ["tests/test_it.py::test_needs_packaging_23"]
    own = reports / "gate"  # the gate's own folder: `harness run`'s reports never show its cells
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text() == (own / "gate.md").read_text()
    assert "test_needs_packaging_23" in (reports / "junit.xml").read_text()
    # what upload-artifact takes: the reports folder, hidden files included, less envs/
    uploaded = {p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file()
                and "envs" not in p.relative_to(reports).parts}  # fmt: skip
    assert {"gate/gate.json", "gate/gate.md", "junit.xml", "gate/compat.json", "gate/compat.md",
            "gate/compat.html", ".harness-reports", "gate/.harness-reports"} <= uploaded  # fmt: skip
    assert len([p for p in uploaded if p.startswith("gate/cells/")]) == 2
    assert not [p for p in uploaded if p.startswith("cells/")]
    assert any(p.startswith("gate/runs/") and p.endswith("tox.log") for p in uploaded)

    git(workspace, "checkout", "-q", "main", "--", "requirements.txt")  # the bump reverted
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        Path(env[name]).unlink()
    again = subprocess.run(["bash", str(SCRIPT), "run"],
                           env={**env, "INPUT_COMMAND": "run", "INPUT_REPORTS": "run-reports"},
                           capture_output=True, text=True, timeout=1200, cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    out = outputs(env)
    assert out["result"] == "pass" and out["verdicts"] == '{"pass": 1}'
    assert out["summary"] == str(workspace / "run-reports" / "compat.md")
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text() == (
        (workspace / "run-reports" / "compat.md").read_text()
    )
