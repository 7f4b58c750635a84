"""The real thing: the default two-cell matrix with real torch 2.1.2 wheels from the index.

torch 2.1.2 was compiled against NumPy 1.x. Beside numpy 1.26.4 the suite must pass; beside
numpy 2.2.6 exactly the tests marked ``bridge`` must fail with "Numpy is not available". The
verdicts are then checked against an environment installed by hand with the same pins.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.real_wheels]


def bridge_test_ids() -> set:
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/inference", "-m", "bridge", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    ).stdout.splitlines()  # fmt: skip
    return {line for line in listed if "::" in line}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--reports", str(reports), "--timeout", "1500"],
        cwd=ROOT, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr  # its failing cell is declared
    assert (
        "torch21-numpy22: installing" in done.stderr and "torch21-numpy22: testing" in done.stderr
    )
    assert "(expected: numpy-bridge-unavailable)" in done.stdout  # and still shown
    return dict(json.loads((reports / "compat.json").read_text()), _reports=str(reports))


def cell(report, name):
    return next(c for c in report["cells"] if c["cell"]["name"] == name)


def test_numpy_1_cell_passes(report):
    good = cell(report, "torch21-numpy126")
    assert good["verdict"] == "pass", good
    assert (good["versions"]["torch"], good["versions"]["numpy"]) == ("2.1.2", "1.26.4")
    assert good["tests"]["failed"] == good["tests"]["errors"] == 0 and good["tests"]["passed"] >= 44
    assert [step["command"].split()[0] for step in good["invocations"]] == ["pytest"]
    assert good["coverage"] >= 90 and good["device"]["numpy_bridge"] == "ok"
    assert good["device"]["device"] in ("cpu", "cuda")


def test_numpy_2_cell_fails_exactly_the_bridge_tests(report):
    bad = cell(report, "torch21-numpy22")
    assert bad["verdict"] == "fail", bad
    assert bad["expected"]["status"] == "expected"  # as pyproject.toml declares it
    assert (bad["versions"]["torch"], bad["versions"]["numpy"]) == ("2.1.2", "2.2.6")
    failing = {f["test"] for f in bad["failures"]}
    assert len(failing) >= 12 and failing == bridge_test_ids()
    assert bad["signatures"] == {"numpy-bridge-unavailable": len(failing)}
    assert all("Numpy is not available" in f["evidence"] for f in bad["failures"])
    good = cell(report, "torch21-numpy126")
    assert bad["tests"]["passed"] == good["tests"]["passed"] - len(failing)
    assert bad["device"]["numpy_bridge"] == "RuntimeError: Numpy is not available"


def junit_outcome(path: Path) -> tuple:
    """``((passed, failed, errors, skipped), failing test ids)`` from pytest's JUnit XML."""
    cases = ElementTree.parse(path).getroot().iter("testcase")
    counts = dict.fromkeys(("passed", "failure", "error", "skipped"), 0)
    failing = set()
    for case in cases:
        found = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcome = found[0] if found else "passed"
        counts[outcome] += 1
        if outcome in ("failure", "error"):
            module = case.get("classname").replace(".", "/") + ".py"  # no classes in the suite
            failing.add(f"{module}::{case.get('name')}")
    return (counts["passed"], counts["failure"], counts["error"], counts["skipped"]), failing


@pytest.mark.parametrize(
    "name, numpy, works",
    [("torch21-numpy126", "1.26.4", True), ("torch21-numpy22", "2.2.6", False)],
)
def test_verdicts_match_an_environment_installed_by_hand(report, tmp_path, name, numpy, works):
    """The cell's pins installed by hand with uv (under the cell's own lock), and the suite run
    there by plain pytest, without the harness: its outcome, counts and failing tests are the
    harness's verdict, counts and failures for the cell."""
    measured = cell(report, name)
    lock = ROOT / measured["lock"]
    assert lock.is_file(), measured["lock"]
    uv = [sys.executable, "-m", "uv"]
    subprocess.run(
        [*uv, "venv", "-q", str(tmp_path / "env"), "-p", sys.executable], check=True, timeout=300
    )
    python = tmp_path / "env" / "bin" / "python"
    deps = ["torch==2.1.2", f"numpy=={numpy}", "pandas", "pillow", "pytest", "pytest-cov"]
    install = [*uv, "pip", "install", "-q", "--python", str(python), *deps, "-c", str(lock)]
    subprocess.run(install, check=True, timeout=1800)
    versions = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version as v; "
         "print(v('torch'), v('numpy'))"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout.split()  # fmt: skip
    assert versions == [measured["versions"]["torch"], measured["versions"]["numpy"]]
    probe = "import numpy, torch; torch.from_numpy(numpy.zeros(2)); print('bridge ok')"
    bridge = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=300)
    assert (bridge.returncode == 0) is works
    assert ("bridge ok" in bridge.stdout) if works else ("Numpy is not available" in bridge.stderr)

    junit = tmp_path / "junit.xml"
    quiet = ("PYTEST_", "COV_CORE_", "COVERAGE_")  # this session's settings stay out of the env
    env = {k: v for k, v in os.environ.items() if not k.startswith(quiet) and k != "PYTHONPATH"}
    suite = subprocess.run(
        [str(python), "-m", "pytest", "tests/inference", "-p", "no:cacheprovider", "-q",
         f"--junitxml={junit}"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env,
    )  # fmt: skip
    assert suite.returncode in (0, 1), suite.stdout[-3000:] + suite.stderr[-3000:]
    by_hand = "pass" if suite.returncode == 0 else "fail"
    assert by_hand == ("pass" if works else "fail"), suite.stdout[-3000:]
    assert measured["verdict"] == by_hand
    counts, failing = junit_outcome(junit)
    tests = measured["tests"]
    assert (tests["passed"], tests["failed"], tests["errors"], tests["skipped"]) == counts
    assert {f["test"] for f in measured["failures"]} == failing
    assert len(failing) == (0 if works else len(bridge_test_ids()))


def test_an_adhoc_numpy_bump_keeps_torch_and_fails_on_the_bridge(report, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--with", "numpy==2.2.6", "--reports", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # pyproject.toml does not declare it
    assert "torch21-numpy126-with_numpy2.2.6: fail (numpy-bridge-unavailable), a new failure" in (
        done.stderr
    )
    (bumped,) = json.loads((tmp_path / "compat.json").read_text())["cells"]
    assert bumped["cell"]["name"] == "torch21-numpy126-with_numpy2.2.6"
    assert (bumped["versions"]["torch"], bumped["versions"]["numpy"]) == ("2.1.2", "2.2.6")
    assert bumped["verdict"] == "fail"
    assert bumped["signatures"] == cell(report, "torch21-numpy22")["signatures"]


def test_the_probe_agrees_with_the_suite_on_the_real_cells(report, tmp_path):
    reports = Path(report["_reports"])
    done = subprocess.run(
        [sys.executable, "-m", "harness", "probe", "--reports", str(reports)],
        cwd=ROOT, capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    cells = {
        c["cell"]["name"]: c for c in json.loads((reports / "compat.json").read_text())["cells"]
    }
    good, bad = cells["torch21-numpy126"], cells["torch21-numpy22"]
    assert good["probe"]["verdict"] == "pass" and good["agrees"] is True
    assert bad["probe"]["verdict"] == "fail" and bad["agrees"] is True
    assert "numpy-bridge-unavailable" in bad["probe"]["signatures"]
