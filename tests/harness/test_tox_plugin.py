"""The tox plugin as tox really loads it: ad-hoc env names, and the probe installed per env."""

import json
import os
import shlex
import subprocess
import sys

import pytest

from harness.tox_plugin import PLAN_VARIABLE, PTH_NAME, install_probe


def test_install_probe_puts_a_pytest11_entry_point_on_the_path(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    pth = install_probe(tmp_path / "env", site, tmp_path / "out" / "sessions", ["packaging"])
    assert pth == site / PTH_NAME and (tmp_path / "out" / "sessions").is_dir()
    home = pth.read_text().strip()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from importlib.metadata import entry_points;"
        "print([e.value for e in entry_points(group='pytest11') if e.name == 'harness_probe'])"
    )
    done = subprocess.run([sys.executable, "-c", code, home], capture_output=True, text=True)
    assert done.stdout.strip() == "['harness_probe']"
    config = json.loads((tmp_path / "env" / ".harness-probe" / "harness-probe.json").read_text())
    assert config == {"sessions": str(tmp_path / "out" / "sessions"), "watch": ["packaging"],
                      "past_collection_errors": False}  # fmt: skip


@pytest.mark.parametrize("past", [False, True])
def test_the_probe_runs_past_a_module_that_fails_to_collect_only_when_asked(tmp_path, past):
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_stale.py").write_text("import pytz_gone_from_this_env\n")
    (project / "tests" / "test_fine.py").write_text("def test_fine():\n    pass\n")
    site, sessions = tmp_path / "site", tmp_path / "sessions"
    site.mkdir()
    home = install_probe(tmp_path / "env", site, sessions, (), past).read_text().strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_"))}
    env.update(PYTHONPATH=home, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # the probe alone, by name
    no_torch = "import sys; sys.modules['torch'] = None; import pytest; sys.exit(pytest.main())"
    done = subprocess.run([sys.executable, "-c", no_torch, "-p", "harness_probe", "-q", "tests"],
                          cwd=project, capture_output=True, text=True, env=env)  # fmt: skip
    (session,) = sessions.iterdir()
    record = json.loads((session / "session.json").read_text())
    events = [json.loads(line) for line in (session / "events.jsonl").read_text().splitlines()]
    outcomes = {e["nodeid"]: e["category"] for e in events}
    assert record["continue_on_collection_errors"] is past and record["finished"]
    assert outcomes["tests/test_stale.py"] == "error"
    assert ("tests/test_fine.py::test_fine" in outcomes) is past
    assert done.returncode == (1 if past else 2), done.stdout


FORMATS = {
    "tox.ini": """
[tox]
env_list = a
[testenv]
package = skip
deps = pytest
    packaging==24.1
commands = pytest
[testenv:a]
set_env = MODE = fail
""",
    "tox.toml": """
env_list = ["a"]
[env_run_base]
package = "skip"
deps = ["pytest", "packaging==24.1"]
commands = [["pytest"]]
[env.a]
set_env = { MODE = "fail" }
""",
    "pyproject.toml": """
[tool.tox]
env_list = ["a"]
[tool.tox.env_run_base]
package = "skip"
deps = ["pytest", "packaging==24.1"]
commands = [["pytest"]]
[tool.tox.env.a]
set_env = { MODE = "fail" }
""",
}


def tox_config(project, plan, env, *keys):
    command = [sys.executable, "-m", "tox", "config", "--format", "json", "-e", env, "-k", *keys]
    extra = {PLAN_VARIABLE: str(plan)} if plan else {}
    done = subprocess.run(command, cwd=project, capture_output=True, text=True,
                          env={**os.environ, **extra})  # fmt: skip
    return done.returncode, (json.loads(done.stdout)["env"][env] if done.returncode == 0 else None)


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.integration
def test_every_config_format_takes_the_plan_alike(name, tmp_path):
    project = tmp_path / "p p"  # a space in the path, as users have
    project.mkdir()
    (project / name).write_text(FORMATS[name])
    lock = project / "my locks" / "a.txt"
    plan = tmp_path / "plan.json"
    pinned = {
        "set": {"constraints": shlex.quote(str(lock))},
        "add": {"pass_env": ["COVERAGE_FILE"]},
    }
    cell = {"base": "a", "set": {"deps": "pytest\npackaging==23.2", **pinned["set"]},
            "add": pinned["add"]}  # fmt: skip
    plan.write_text(json.dumps({"cells": {"a-with_packaging23.2": cell, "a": pinned}}))
    keys = ("deps", "constraints", "set_env", "pass_env")
    code, adhoc = tox_config(project, plan, "a-with_packaging23.2", *keys)
    assert code == 0 and adhoc["deps"] == ["pytest", "packaging==23.2"]
    assert [shlex.split(line) for line in adhoc["constraints"]] == [[str(lock)]]
    assert adhoc["set_env"]["MODE"] == "fail"
    assert "COVERAGE_FILE" in adhoc["pass_env"]
    _, plain = tox_config(project, plan, "a", *keys)
    assert plain["deps"] == ["pytest", "packaging==24.1"]
    assert [shlex.split(line) for line in plain["constraints"]] == [[str(lock)]]
    assert tox_config(project, None, "a-with_packaging23.2", "deps")[0] != 0  # no plan: unknown
    _, untouched = tox_config(project, None, "a", *keys)
    assert untouched["constraints"] == [] and "COVERAGE_FILE" not in untouched["pass_env"]


BY_NAME = {  # factors, conditional settings, labels, an env a label alone names, sections, and
    # envs tox cannot build (a runner it lacks): it says so of each env it builds
    "tox.ini": """\
[tox]
env_list = a{1,2}-b{1,2}, broken
labels =
    more = a{1,2,3}-b{1,2}, broken-too
[testenv]
package = skip
labels = own
deps =
    a1: packaging==23.2
    a3: packaging==24.1
    b2: six
set_env =
    LIST = {[tox]env_list}
    only: ONLY = 1
commands = python -c 'print(1)'
[testenv:style]
labels = lint
commands = python -c 'print(2)'
[testenv:broken]
runner = no-such-runner
[testenv:broken-too]
runner = no-such-runner
""",
    "tox.toml": """\
env_list = ["a1", "a2", "broken"]
labels = { more = ["broken-too"] }
[env_run_base]
package = "skip"
labels = ["own"]
set_env = { LIST = "x" }
commands = [["python", "-c", "print(1)"]]
[env.style]
labels = ["lint"]
commands = [["python", "-c", "print(2)"]]
[env.broken]
runner = "no-such-runner"
[env.broken-too]
runner = "no-such-runner"
""",
}


@pytest.mark.parametrize("name", BY_NAME)
def test_a_cell_s_tox_builds_the_envs_named_alone_and_reads_them_alike(name, tmp_path):
    """With ``by_name`` in the plan, tox builds only the envs ``-e`` names
    (``build_only_named_envs``): not the others it cannot build, which it reports as it builds
    them; every setting of each named env (from env_list, from a label's factors, a section's)
    is what tox reads without the plan."""
    (tmp_path / name).write_text(BY_NAME[name])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"by_name": True}))
    envs = "a1-b2,a3-b1,style" if name == "tox.ini" else "a2,style"  # a3-b1: a label's factors
    read, said = {}, {}
    for way, extra in (("project", {}), ("cell", {PLAN_VARIABLE: str(plan)})):
        answer = tmp_path / f"{way}.json"
        command = [sys.executable, "-m", "tox", "config", "--hashseed", "7", "-o", str(answer),
                   "--format", "json", "-e", envs]  # fmt: skip
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, **extra})  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        read[way] = json.loads(answer.read_text())["env"]
        said[way] = done.stdout + done.stderr
    assert read["cell"] == read["project"] and len(read["cell"]) == envs.count(",") + 1
    assert read["cell"]["style"]["labels"] == ["lint"]
    assert "environment broken marked as unavailable" in said["project"]
    assert "environment broken-too marked as unavailable" in said["project"]
    assert "unavailable" not in said["cell"]
