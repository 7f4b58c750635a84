"""``harness gate`` as CI runs it: real git, real tox envs, real wheels."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from .layouts import git

pytestmark = pytest.mark.integration  # real tox envs, uv and the package index

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "harness" / "schemas" / "gate.schema.json").read_text())
COMPAT = json.loads((ROOT / "harness" / "schemas" / "compat.schema.json").read_text())


def harness(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=3000,
        cwd=cwd, env={**os.environ, **(env or {})},
    )  # fmt: skip


CONFIGS = {
    "tox.ini": "[tox]\nenv_list = py\n[testenv]\npackage = skip\ndeps = pytest\ncommands = pytest tests\n",
    "tox.toml": 'env_list = ["py"]\n[env_run_base]\npackage = "skip"\ndeps = ["pytest"]\n'
    'commands = [["pytest", "tests"]]\n',
    "pyproject.toml": '[project]\nname = "gated"\nversion = "0"\n[tool.tox]\nenv_list = ["py"]\n'
    '[tool.tox.env_run_base]\npackage = "skip"\ndeps = ["pytest"]\ncommands = [["pytest", "tests"]]\n',
}


TESTS = textwrap.dedent("""
    import packaging


    def test_needs_packaging_23():
        assert packaging.__version__.startswith("23"), f"packaging {packaging.__version__}"


    def test_the_code():
        assert 1 + 1 == 2


    def test_anything():
        pass
""")


@pytest.fixture
def gated(tmp_path, request):
    """A project whose tests need packaging 23, with its requirements committed; its tox
    config in each format tox reads."""
    project = tmp_path / "gated"
    (project / "tests").mkdir(parents=True)
    config = getattr(request, "param", "tox.ini")
    (project / config).write_text(CONFIGS[config])
    (project / "requirements.txt").write_text("packaging==23.2\n")
    (project / "tests" / "test_it.py").write_text(
        textwrap.dedent("""
        import packaging


        def test_needs_packaging_23():
            assert packaging.__version__.startswith("23"), f"packaging {packaging.__version__}"


        def test_anything():
            pass
    """)
    )
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "base")
    return project


@pytest.mark.parametrize("gated", list(CONFIGS), indirect=True)
def test_a_bump_that_breaks_a_test_fails_the_gate_with_a_measured_fix(gated):
    (gated / "requirements.txt").write_text("packaging==24.1\n")
    done = harness("gate", "--project", str(gated), "--json", env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1, done.stdout + done.stderr
    annotation = next(line for line in done.stderr.splitlines() if line.startswith("::error"))
    assert annotation.startswith("::error file=requirements.txt,line=1::1 test(s) that passed")
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert {"name": "packaging", "before": "23.2", "after": "24.1"} in doc["changes"]
    (broken,) = doc["regressions"]
    assert (
        broken["test"] == "tests/test_it.py::test_needs_packaging_23"
        and "packaging 24.1" in broken["evidence"]
    )
    fixes = {f["requirement"]: f for f in doc["fixes"]}
    assert fixes["packaging==23.2"]["verified"] and fixes["packaging<24"]["verified"]
    assert fixes["packaging==23.2"]["report"] == "baseline HEAD"
    own = gated / ".harness" / "gate"  # the gate's own folder; the matrix's report has no cell
    jsonschema.validate(json.loads((own / "compat.json").read_text()), COMPAT)
    assert not (gated / ".harness" / "cells").exists()


def test_a_bump_that_cannot_be_installed_names_the_version_it_asked_for(gated):
    (gated / "requirements.txt").write_text("packaging==24.1\n")  # measured: its lock is left
    assert harness("gate", "--project", str(gated)).returncode == 1
    (gated / "requirements.txt").write_text("packaging==99.0\npytest\n")
    done = harness("gate", "--project", str(gated), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["headline"].startswith("the proposed requirements cannot be installed")
    assert doc["changes"] == [{"name": "packaging", "before": "23.2", "after": "99.0"}]
    assert [f["requirement"] for f in doc["fixes"] if f["verified"]][:1] == ["packaging==23.2"]


def test_a_stored_gate_report_can_be_the_baseline(gated, tmp_path):
    (gated / "requirements.txt").write_text("packaging==23.2\npytest\n")  # measured: a change
    main = harness("gate", "--project", str(gated), "--reports", str(tmp_path / "main"))
    assert main.returncode == 0, main.stdout + main.stderr
    (gated / "requirements.txt").write_text("packaging==24.1\npytest\n")
    done = harness("gate", "--project", str(gated), "--baseline-report", str(tmp_path / "main"))
    assert done.returncode == 1 and "REGRESSION" in done.stdout, done.stdout + done.stderr
    assert "harness: 1 cell(s);" in done.stderr  # only the proposed state was measured
    assert "baseline report" in done.stdout


def test_a_code_change_and_a_bump_on_a_shallow_clone_with_the_project_in_a_folder(tmp_path):
    """CI's checkout (depth 1, the base branch fetched at depth 1) of a pull request that
    breaks one test with its code and another with its bump: only the bump's is a
    regression; the code's fails with the base's dependencies too and is listed apart."""
    origin = tmp_path / "origin"
    project = origin / "services" / "svc"
    (project / "tests").mkdir(parents=True)
    (project / "tox.ini").write_text(CONFIGS["tox.ini"].replace("deps = pytest", "deps =\n"
                                     "    pytest\n    -r requirements.txt"))  # fmt: skip
    (project / "requirements.txt").write_text("packaging==23.2\n")
    (project / "tests" / "test_it.py").write_text(TESTS)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "base")
    git(origin, "checkout", "-q", "-b", "pr")
    (project / "requirements.txt").write_text("packaging==24.1\n")
    (project / "tests" / "test_it.py").write_text(TESTS.replace("1 + 1 == 2", "1 + 1 == 3"))
    git(origin, "commit", "-qam", "bump and break")
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "pr", f"file://{origin}", "clone")
    clone = tmp_path / "clone"
    git(clone, "fetch", "-q", "--depth", "1", "origin", "+refs/heads/main:refs/remotes/origin/main")
    done = harness("gate", "--project", "services/svc", "--base", "origin/main", "--json",
                   cwd=clone)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert [r["test"] for r in doc["regressions"]] == ["tests/test_it.py::test_needs_packaging_23"]
    assert doc["already_failing"] == ["tests/test_it.py::test_the_code"]
    assert doc["changed_inputs"] == ["requirements.txt"] and doc["dependencies_changed"]
    assert doc["baseline"]["versions"]["packaging"] == "23.2"
    assert doc["proposed"]["versions"]["packaging"] == "24.1"
    assert [(c["path"], c["text"]) for c in doc["changed_lines"]] == [
        ("requirements.txt", "packaging==24.1")
    ]
    assert not subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                              cwd=clone, capture_output=True, text=True).stdout  # fmt: skip


def test_an_unreachable_index_is_exit_3(gated, tmp_path):
    offline = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_CACHE_DIR": str(tmp_path / "cold"),
               "UV_HTTP_RETRIES": "0"}  # fmt: skip
    (gated / "requirements.txt").write_text("packaging==24.1\n")
    done = harness("gate", "--project", str(gated), env=offline)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "could not be measured" in done.stdout


def test_a_missing_baseline_is_exit_2(gated, tmp_path):
    done = harness("gate", "--project", str(gated), "--base", "no-such-branch")
    assert done.returncode == 2 and "is not a commit" in done.stderr
    (tmp_path / "compat.json").write_text(json.dumps({"schema": "harness.compat/1"}))
    done = harness(
        "gate", "--project", str(gated), "--baseline-report", str(tmp_path / "compat.json")
    )
    assert done.returncode == 2 and "needs gate.json and compat.json" in done.stderr


@pytest.mark.real_wheels
def test_the_seed_incident_is_stopped_on_a_copy_of_this_repository(tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(copy)], check=True)
    requirements = copy / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("numpy<2.0", "numpy>=2"))
    done = harness(
        "gate", "--project", str(copy), "--reports", str(tmp_path / "reports"), cwd=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "numpy-bridge-unavailable" in done.stdout and "Numpy is not available" in done.stdout
    assert "numpy 1.26.4 → 2." in done.stdout and "fixes measured to pass:" in done.stdout
    doc = json.loads((tmp_path / "reports" / "gate" / "gate.json").read_text())
    assert len(doc["regressions"]) == 15 and any(f["verified"] for f in doc["fixes"])
    subprocess.run(["git", "checkout", "-q", "requirements.txt"], cwd=copy, check=True)
    unchanged = harness(
        "gate", "--project", str(copy), "--reports", str(tmp_path / "reports"), cwd=tmp_path
    )
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr


def test_with_a_stored_report_and_tried_cells_the_closest_passing_cell_proves_each_fix(
    gated, tmp_path
):
    (gated / "requirements.txt").write_text("packaging==23.2\npytest\n")  # measured: a change
    good = harness("gate", "--project", str(gated), "--reports", str(tmp_path / "main"))
    assert good.returncode == 0, good.stdout + good.stderr
    (gated / "requirements.txt").write_text("packaging==24.1\npytest\n")
    done = harness("gate", "--project", str(gated), "--json", "--from-report", str(tmp_path / "main"),
                   "--try-fixes", "2")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, SCHEMA)
    proofs = {f["requirement"]: (f["cell"], f["report"]) for f in doc["fixes"] if f["verified"]}
    # The stored report's cell and the baseline's are one state measured twice, equally close to
    # the proposed closure: the first source, the baseline, proves both packaging fixes. No fix
    # that keeps packaging 24.1 (a pytest revert or bound, the cells tried) can pass.
    baseline = next(f["cell"] for f in doc["fixes"] if f["requirement"] == "packaging==23.2")
    assert proofs == {
        "packaging==23.2": (baseline, "baseline HEAD"),
        "packaging<24": (baseline, "baseline HEAD"),
    }
    stored = json.loads((tmp_path / "main" / "gate" / "compat.json").read_text())["cells"]
    assert baseline in [c["cell"]["name"] for c in stored]  # the same cell, stored by `main`
    bad = harness("gate", "--project", str(gated), "--from-report", str(tmp_path / "nowhere"))
    assert bad.returncode == 2 and "--from-report" in bad.stderr


SERVICE = {
    "requirements.txt": "packaging==23.2\nsix==1.15.0\n",
    "tox.ini": "[tox]\nenv_list = py\n[testenv]\npackage = wheel\ndeps = pytest\n"
    "commands = pytest tests -q\n",
    "svc/__init__.py": "",
    "tests/test_svc.py": textwrap.dedent("""
        import packaging
        import six
        from packaging.version import Version


        def test_versions_fit_together():
            if Version(packaging.__version__) >= Version("24"):
                assert Version(six.__version__) >= Version("1.16"), six.__version__


        def test_known_broken():
            assert 1 + 1 == 3
    """),
}
BUILD = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
METADATA = {  # where the package declares six<1.16, and that line
    "pyproject.toml": ({"pyproject.toml": BUILD + '[project]\nname = "svc"\nversion = "0.1"\n'
                        'dependencies = [\n  "packaging",\n  "six<1.16",\n]\n'
                        '[tool.setuptools]\npackages = ["svc"]\n'}, 9),
    "setup.cfg": ({"pyproject.toml": BUILD, "setup.cfg": "[metadata]\nname = svc\nversion = 0.1\n"
                   "[options]\npackages = svc\ninstall_requires =\n    packaging\n    six<1.16\n"}, 8),
}  # fmt: skip


@pytest.mark.parametrize("metadata", sorted(METADATA))
def test_a_service_in_a_subfolder_names_why_fixes_failed_and_lifts_its_own_bound(
    tmp_path, metadata
):
    """The package's own ``six<1.16`` forbids the fix. In pyproject's static dependencies the
    candidate cell replaces it where the env reads it; in setup.cfg it cannot, the candidate is
    unsatisfiable, the gate names the bound and measures the candidate installed over it. Either
    way the fix lifts the bound. The annotation names the file from the repository's root; the
    cells stay in the gate's folder."""
    files, line = METADATA[metadata]
    repo = tmp_path / "repo"
    project = repo / "services" / "svc"
    for name, text in {**SERVICE, **files}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (project / "requirements.txt").write_text("packaging==24.1\nsix==1.15.0\n")
    done = harness("gate", "--project", "services/svc", "--try-fixes", "2", cwd=repo,
                   env={"GITHUB_ACTIONS": "true"})  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    annotation = next(line for line in done.stderr.splitlines() if line.startswith("::error"))
    assert annotation.startswith("::error file=services/svc/requirements.txt,line=1::")
    own = project / ".harness" / "gate"
    doc = json.loads((own / "gate.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    bound = {"requirement": "six<1.16", "path": metadata, "line": line}
    tried = {t["cell"]: t for t in doc["tried"]}
    first = tried["py-gate_fix_six1.16.0"]
    if metadata == "setup.cfg":
        assert [t["verdict"] for t in doc["tried"]] == ["unsatisfiable"] * 2 + ["fail"] * 2
        assert first["blocked_by"] == [bound]
        assert first["reason"].startswith(f"blocked by the project's own six<1.16 in {metadata}")
        proof = tried["py-gate_lift_six1.16.0"]
    else:
        assert [t["verdict"] for t in doc["tried"]] == ["fail"] * 2 and first["lifts"] == [bound]
        assert first["label"].endswith(f"lifting the project's six<1.16 in {metadata} line {line}")
        proof = first
    assert proof["reason"].startswith("the broken tests pass")
    lift = next(f for f in doc["fixes"] if f["kind"] == "lift")
    assert (lift["requirement"], lift["replaces"], lift["write_to"], lift["cell"]) == (
        "six>=1.16.0,<1.17", "six<1.16", f"{metadata} line {line}", proof["cell"])  # fmt: skip
    assert not [f for f in doc["fixes"] if f["kind"] == "raise"]  # alone, it would not install
    page = (own / "gate.md").read_text()
    assert "`tests/test_svc.py::test_known_broken`" in page and "fix: six==1.16.0" in page
    assert not (project / ".harness" / "cells").exists()
