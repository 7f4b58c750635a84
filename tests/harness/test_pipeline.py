"""The whole pipeline on a small real project: real tox, tox-uv, uv and pytest, no torch."""

import json
import os
import signal
import subprocess
import sys

import pytest

from harness.store import Store

from .proctree import wait_until

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

HARNESS = [sys.executable, "-m", "harness"]


def harness(*args, env=None, timeout=300):
    return subprocess.run(
        [*HARNESS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def report_of(project):
    return json.loads((project / ".harness" / "compat.json").read_text())


def by_name(report):
    return {cell["cell"]["name"]: cell for cell in report["cells"]}


def test_every_kind_of_outcome_gets_its_verdict(tiny_project):
    envs = "pkg23-ok,pkg24-fail,pkg24-crash,pkg23-empty,pkg24-unsat,pkg23-importerr"
    done = harness("run", "--project", str(tiny_project), "-e", envs, "--jobs", "2")
    assert done.returncode == 3, done.stderr  # the empty cell was not measured
    assert "not measured: pkg23-empty" in done.stderr
    assert "pkg23-ok: installing" in done.stderr
    cells = by_name(report_of(tiny_project))
    verdicts = {name: cell["verdict"] for name, cell in cells.items()}
    assert verdicts == {
        "pkg23-ok": "pass", "pkg24-fail": "fail", "pkg24-crash": "crash", "pkg23-empty": "no-tests",
        "pkg24-unsat": "unsatisfiable", "pkg23-importerr": "fail",
    }  # fmt: skip
    assert cells["pkg23-ok"]["tests"] == {
        "passed": 2, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0, "xpassed": 0, "total": 2,
    }  # fmt: skip
    assert cells["pkg24-fail"]["failures"][0]["evidence"].startswith(
        "AssertionError: packaging 24.1 too new"
    )
    assert cells["pkg24-crash"]["problem"]["evidence"].endswith(
        "Fatal Python error: Segmentation fault"
    )
    assert cells["pkg23-importerr"]["signatures"] == {"import-error": 1}
    assert "packaging>=99" in cells["pkg24-unsat"]["problem"]["evidence"]
    assert cells["pkg24-fail"]["versions"]["python"] and cells["pkg23-ok"]["install_s"] is not None
    markdown = (tiny_project / ".harness" / "compat.md").read_text()
    assert (
        "## `pkg24-crash`: crash" in markdown
        and (tiny_project / ".harness" / "compat.html").is_file()
    )


def test_a_hung_cell_is_killed_at_its_timeout(tiny_project):
    done = harness("run", "--project", str(tiny_project), "-e", "pkg23-hang", "--timeout", "5")
    assert done.returncode == 3 and "pkg23-hang: timeout" in done.stderr
    (cell,) = report_of(tiny_project)["cells"]
    assert cell["verdict"] == "timeout" and cell["problem"]["signature"] == "timeout"
    hung = subprocess.run(
        ["pgrep", "-f", str(tiny_project / "tests")], capture_output=True, text=True
    )
    assert hung.stdout == "", "a timed-out cell left processes behind"


def test_interrupted_run_resumes_only_what_is_left(tiny_project):
    project, results = str(tiny_project), tiny_project / ".harness" / "cells"
    process = subprocess.Popen(
        [*HARNESS, "run", "--project", project, "-e", "pkg23-ok,pkg24-fail,pkg23-hang", "--jobs", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def measured():
        return all((results / f"{n}.json").is_file() for n in ("pkg23-ok", "pkg24-fail"))

    wait_until(lambda: measured() or process.poll() is not None, within=600)
    assert measured() and process.poll() is None, "the two quick cells never finished"
    process.send_signal(signal.SIGINT)  # while pkg23-hang hangs
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "--resume" in err
    report = report_of(tiny_project)
    assert report["interrupted"] and report["not_run"] == ["pkg23-hang"]
    assert not (results / "pkg23-hang.json").exists()
    resumed = harness(
        "run", "--project", project, "-e", "pkg23-ok,pkg24-fail,pkg23-hang", "--resume",
        "--timeout", "5",
    )  # fmt: skip
    assert resumed.returncode == 3, resumed.stderr  # the hang is measured now, as a timeout
    assert resumed.stderr.count("(kept)") == 2 and "pkg23-hang: timeout" in resumed.stderr
    assert by_name(report_of(tiny_project))["pkg23-hang"]["verdict"] == "timeout"
    (tiny_project / "tests" / "test_tiny.py").write_text(
        (tiny_project / "tests" / "test_tiny.py").read_text().replace("time.sleep(600)", "pass")
    )
    changed = harness(
        "run", "--project", project, "-e", "pkg23-ok,pkg24-fail,pkg23-hang", "--resume"
    )
    assert (
        changed.returncode == 1 and "(kept)" not in changed.stderr
    )  # the suite changed: all re-run; pkg24-fail fails, undeclared
    assert by_name(report_of(tiny_project))["pkg23-hang"]["verdict"] == "pass"


def test_adhoc_cells_and_strict_exit(tiny_project):
    done = harness(
        "run", "--project", str(tiny_project), "-e", "pkg24-fail", "--with", "packaging==23.1",
        "--with", "packaging==24.0", "--strict",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # the named env and 24.0 fail
    cells = by_name(report_of(tiny_project))
    assert {n: c["verdict"] for n, c in cells.items()} == {
        "pkg24-fail": "fail", "pkg24-fail-with_packaging23.1": "pass",
        "pkg24-fail-with_packaging24.0": "fail",
    }  # fmt: skip
    adhoc = cells["pkg24-fail-with_packaging23.1"]
    assert adhoc["cell"]["adhoc"] and adhoc["versions"]["python"]
    assert (Store(tiny_project / ".harness").envs / "pkg24-fail-with_packaging23.1").is_dir()
    listing = harness("list", "--project", str(tiny_project), "-e", "pkg24-fail", "--with",
                      "packaging==23.1")  # fmt: skip
    assert listing.stdout.split()[3:6] == [
        "pkg24-fail-with_packaging23.1",
        "locked",
        "packaging==23.1",
    ]
    strict = harness("run", "--project", str(tiny_project), "--with", "packaging==23.1", "--strict")
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_network_failure_during_install_is_infrastructure(tiny_project, tmp_path):
    harness("lock", "--project", str(tiny_project))
    offline = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_CACHE_DIR": str(tmp_path / "cold"),
               "UV_HTTP_RETRIES": "0"}  # fmt: skip
    done = harness("run", "--project", str(tiny_project), "--skip-disk-check", env=offline)
    assert done.returncode == 3
    cells = by_name(report_of(tiny_project))
    assert set(cells) == {"pkg23-ok", "pkg24-ok"}  # its env_list: every cell measured, none passed
    for cell in cells.values():
        assert cell["verdict"] == "infra-error", cell
        assert cell["problem"]["signature"] == "install-network"
        assert cell["problem"]["test"] == "install"


def test_usage_errors_are_clear(tiny_project, tmp_path):
    done = harness("run", "--project", str(tmp_path))
    assert done.returncode == 2 and "has no tox.ini" in done.stderr
    done = harness("run", "--project", str(tiny_project), "-e", "nosuch")
    assert done.returncode == 2 and "provided environments not found" in done.stderr
    done = harness("run", "--project", str(tiny_project), "--with", "torch")
    assert done.returncode == 2 and "must be a name with a version" in done.stderr
    listing = harness("list", "--project", str(tiny_project))
    assert listing.stdout.split() == [
        "pkg23-ok",
        "unlocked",
        "packaging==23.2",
        "pkg24-ok",
        "unlocked",
        "packaging==24.1",
    ]


def test_a_cell_whose_lock_fails_names_no_lock_not_the_one_an_earlier_run_left(tiny_project):
    done = harness("run", "--project", str(tiny_project), "-e", "pkg23-ok")
    assert done.returncode == 0, done.stderr
    left = tiny_project / by_name(report_of(tiny_project))["pkg23-ok"]["lock"]
    assert "packaging==23.2" in left.read_text()
    tox = tiny_project / "tox.ini"
    tox.write_text(tox.read_text().replace("pkg23: packaging==23.2", "pkg23: packaging==99.0"))
    done = harness("run", "--project", str(tiny_project), "-e", "pkg23-ok")
    assert done.returncode == 1, done.stderr
    cell = by_name(report_of(tiny_project))["pkg23-ok"]
    assert cell["verdict"] == "unsatisfiable" and "packaging==99.0" in cell["problem"]["evidence"]
    assert cell["lock"] == "" and cell["unpinned"] == [] and left.is_file()
