"""scripts/record_fixture.py on a real run of the tiny project: the folder it records, read as the
fixtures are read (conftest.py's ``recorded_cell`` and ``recorded_evidence``), decides the very
verdict, counts and failures the run stored, and holds no path of this machine."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.stages.verdicts import decide

from .conftest import recorded_cell, recorded_evidence

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "record_fixture.py"
EXPECTED = {"pkg23-ok": "pass", "pkg24-fail": "fail", "pkg24-crash": "crash",
            "pkg23-empty": "no-tests", "pkg24-unsat": "unsatisfiable"}  # fmt: skip


def record(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def signature(problem) -> str:
    return "" if problem is None else problem["signature"]


def test_a_recorded_run_folder_decides_what_the_run_stored(tiny_project, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--project", str(tiny_project), "-e",
         ",".join(EXPECTED), "--jobs", "2"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr  # pkg23-empty was not measured
    reports, fixtures = tiny_project / ".harness", tmp_path / "fixtures"
    stored = {n: json.loads((reports / "cells" / f"{n}.json").read_text()) for n in EXPECTED}
    assert {n: s["verdict"] for n, s in stored.items()} == EXPECTED

    for name in ("pkg23-ok", "pkg24-fail", "pkg24-crash", "pkg23-empty"):
        recorded = record(reports / "cells" / f"{name}.json", tiny_project, "--into", fixtures)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        folder = fixtures / name
        assert {"cell.json", "tox-result.json", "tox.log", "sessions"} <= {
            p.name for p in folder.iterdir()
        }
        text = "".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())
        assert str(tiny_project) not in text and str(tmp_path) not in text  # made anonymous
        assert "/project/tests" in text  # the project's paths, as the fixtures write them
        result = decide(recorded_cell(folder), recorded_evidence(folder)).to_dict()
        expected = stored[name]
        assert result["verdict"] == expected["verdict"] == EXPECTED[name]
        assert result["tests"] == expected["tests"]
        assert signature(result["problem"]) == signature(expected["problem"])
        assert sorted(f["test"] for f in result["failures"]) == sorted(
            f["test"] for f in expected["failures"]
        )
        assert result["signatures"] == expected["signatures"]

    renamed = record(reports / "cells" / "pkg24-fail.json", tiny_project, "--into", fixtures,
                     "--name", "renamed")  # fmt: skip
    assert renamed.returncode == 0, renamed.stderr
    again = decide(recorded_cell(fixtures / "renamed"), recorded_evidence(fixtures / "renamed"))
    assert again.verdict == "fail" and again.tests.failed == 1  # the journal is the cell's

    unsat = record(reports / "cells" / "pkg24-unsat.json", tiny_project, "--into", fixtures)
    assert unsat.returncode == 1 and "the cell never ran (unsatisfiable)" in unsat.stderr
    assert not (fixtures / "pkg24-unsat").exists()
