"""Disk-bounded runs and ``harness clean``: groups, the meter, releasing what is done."""

import json
import os
import subprocess
import sys

import pytest

from harness.errors import ConfigError, DiskSpaceError
from harness.model import Cell
from harness.stages.budget import Group, Meter, du, make_room, parse_size, schedule
from harness.store import Store


def harness(*args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ))  # fmt: skip


def test_sizes():
    assert parse_size("14G") == 14 * 1024**3 and parse_size("500M") == 500 * 1024**2
    assert parse_size("2.5GiB") == int(2.5 * 1024**3) and parse_size("4096") == 4096
    for bad in ("14Q", "", "G"):
        with pytest.raises(ConfigError, match="--disk-budget"):
            parse_size(bad)


def test_cells_sharing_a_torch_release_run_together_in_version_order(tmp_path):
    cells = [Cell(f"t{t}-n{n}", {"torch": f"=={t}", "numpy": f"=={n}"})
             for t in ("2.10.0", "2.2.2", "2.9.1") for n in ("1.26.4", "2.2.6")]  # fmt: skip
    locks = {c.name: tmp_path / "none.txt" for c in cells}
    groups = schedule(cells, locks)
    assert [key for key, _ in groups] == ["torch 2.2.2", "torch 2.9.1", "torch 2.10.0"]
    assert all(len(members) == 2 for _, members in groups)
    light = schedule([Cell("a", {}), Cell("b", {})], {"a": tmp_path / "x", "b": tmp_path / "y"})
    assert [key for key, _ in light] == ["(light)"]


def test_the_meter_counts_hardlinks_once_and_adds_what_the_filesystem_grew(tmp_path):
    cache, envs = tmp_path / "cache", tmp_path / "envs"
    cache.mkdir()
    envs.mkdir()
    (cache / "wheel.so").write_bytes(b"x" * 1024 * 1024)
    os.link(cache / "wheel.so", envs / "wheel.so")
    assert 1024 * 1024 <= du([cache, envs]) < 2 * 1024 * 1024
    readings = iter([5000, 9000, 6000])  # the filesystem's used bytes, as three samples read it
    meter = Meter(cache, envs, every_s=3600, used=lambda: next(readings))
    start = du([cache, envs])
    assert meter.base == start and meter.now() == start + 4000
    meter.group_peak = 0
    assert meter.now() == start + 1000
    assert meter.peak == start + 4000 and meter.group_peak == start + 1000
    meter.stop()


def test_a_group_that_cannot_fit_stops_the_run(tmp_path):
    meter = Meter(tmp_path, tmp_path, every_s=60)
    group = Group("torch 2.1.2", [Cell("a", {})], predicted=10 * 1024**3)
    with pytest.raises(DiskSpaceError, match="nothing in uv's cache can go"):
        make_room(group, [], {"a": tmp_path / "lock"}, tmp_path, meter, 1024**3, print)
    make_room(
        Group("small", [], predicted=1), [], {}, tmp_path, meter, 1024**4, print
    )  # fits: nothing done
    meter.stop()


@pytest.mark.integration
def test_a_budgeted_run_releases_envs_and_records_each_group(tiny_project):
    done = harness(
        "run", "--project", str(tiny_project), "-e", "pkg23-ok,pkg24-ok", "--disk-budget", "400G"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed the envs of (light): 2" in done.stderr
    assert not (Store(tiny_project / ".harness").envs / "pkg23-ok").exists()
    disk = json.loads((tiny_project / ".harness" / "disk.json").read_text())
    (group,) = disk["groups"]
    assert disk["budget"] == 400 * 1024**3 and group["cells"] == ["pkg23-ok", "pkg24-ok"]
    assert (
        group["predicted"] > 0
        and group["peak"] >= group["start"] > 0
        and disk["peak"] >= group["peak"]
    )
    report = json.loads((tiny_project / ".harness" / "compat.json").read_text())
    assert report["disk"]["groups"][0]["key"] == "(light)"


@pytest.mark.integration
def test_clean_removes_only_what_the_harness_made(tiny_project):
    assert harness("run", "--project", str(tiny_project), "-e", "pkg23-ok").returncode == 0
    (tiny_project / ".tox" / "theirs").mkdir(parents=True)  # the user's own tox envs
    envs = Store(tiny_project / ".harness").envs
    assert (envs / "pkg23-ok").is_dir()
    cleaned = harness("clean", "--project", str(tiny_project))
    assert cleaned.returncode == 0 and "removed 1 env(s)" in cleaned.stdout
    assert not envs.exists() and (tiny_project / ".tox" / "theirs").is_dir()
    assert not list((tiny_project / ".harness" / "cells").glob("*.json"))
    assert (tiny_project / ".harness" / "locks" / "pkg23-ok.txt").is_file()
