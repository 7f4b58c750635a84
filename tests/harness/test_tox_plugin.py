"""The tox plugin as tox really loads it: ad-hoc env names, and the probe installed per env."""

import json
import os
import subprocess
import sys

from harness.tox_plugin import PLAN_VARIABLE, PTH_NAME, install_probe


def test_install_probe_puts_a_pytest11_entry_point_on_the_path(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    pth = install_probe(tmp_path / "env", site, tmp_path / "out" / "sessions")
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
    assert config == {"sessions": str(tmp_path / "out" / "sessions")}


def test_tox_accepts_the_plan_s_env_names_only_with_a_plan(tiny_project, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"envs": ["pkg23-ok-with_x1"]}))
    command = [sys.executable, "-m", "tox", "config", "-e", "pkg23-ok-with_x1", "-k", "deps"]
    known = subprocess.run(command, cwd=tiny_project, capture_output=True, text=True,
                           env={**os.environ, PLAN_VARIABLE: str(plan)})  # fmt: skip
    assert known.returncode == 0 and "packaging==23.2" in known.stdout
    unknown = subprocess.run(command, cwd=tiny_project, capture_output=True, text=True)
    assert unknown.returncode != 0 and "not found" in unknown.stdout + unknown.stderr
