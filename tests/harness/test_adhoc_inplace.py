"""``--with`` on the most common service layout: a tox env reading ``-r requirements.txt``
that pins NumPy 1.26.4, plain or hash-pinned (``uv pip compile --generate-hashes``). The pin
replaces the file's own, NumPy 2.2.6 is installed and the tests are measured; a pin another
package's metadata excludes still reads unsatisfiable, the reason naming that package's
demand whole; the gate takes a hash-pinned bump."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import layouts

pytestmark = pytest.mark.integration  # real tox envs, uv and NumPy wheels

TOX = (
    "[tox]\nenv_list = py\n[testenv]\npackage = skip\ndeps =\n    -r requirements.txt\n    pytest\n"
)
UV = shutil.which("uv") or str(Path(sys.executable).parent / "uv")


def harness(*args):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, timeout=900, env=env)  # fmt: skip


def service(folder: Path, requirements: str, hashed: bool = False) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_it.py").write_text(layouts.TESTS)
    (folder / "tox.ini").write_text(TOX + layouts.TOX_RUN)
    (folder / "requirements.in").write_text(requirements)
    compile_requirements(folder, hashed)
    layouts.git(folder, "init", "-q")
    layouts.git(folder, "add", ".")
    layouts.git(folder, "commit", "-qm", "base")
    return folder


def compile_requirements(folder: Path, hashed: bool) -> None:
    if not hashed:
        shutil.copyfile(folder / "requirements.in", folder / "requirements.txt")
        return
    subprocess.run([UV, "pip", "compile", "requirements.in", "--generate-hashes", "--python",
                    "3.11", "-o", "requirements.txt", "--quiet"], cwd=folder, check=True,
                   timeout=300)  # fmt: skip
    assert "--hash=sha256:" in (folder / "requirements.txt").read_text()


def adhoc_result(project: Path) -> dict:
    doc = json.loads((project / ".harness" / "compat.json").read_text())
    (result,) = [r for r in doc["cells"] if r["cell"]["adhoc"]]
    return result


def tracked_files_unchanged(project: Path) -> bool:
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=project,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout == ""


@pytest.mark.parametrize("hashed", [False, True], ids=["plain", "hash-pinned"])
def test_with_replaces_the_pin_its_requirements_file_holds(tmp_path, hashed):
    project = service(tmp_path / "svc", "numpy==1.26.4\n", hashed)
    done = harness("run", "--project", str(project), "--with", "numpy==2.2.6")
    assert done.returncode == 1, done.stdout + done.stderr  # a new failure, not unsatisfiable
    result = adhoc_result(project)
    assert result["verdict"] == "fail" and result["versions"]["numpy"] == "2.2.6"
    assert (result["tests"]["passed"], result["tests"]["failed"]) == (1, 1)
    assert [f["test"] for f in result["failures"]] == [layouts.BROKEN]
    assert result["cell"]["replaced"] == [
        {"package": "numpy", "was": "numpy==1.26.4", "in": "requirements.txt"}
    ]
    assert result["cell"]["unhashed"] == (["requirements.txt"] if hashed else [])
    assert "replaced numpy==1.26.4 (requirements.txt)" in done.stdout
    assert ("hashes not checked: requirements.txt" in done.stdout) == hashed
    assert tracked_files_unchanged(project)

    if hashed:  # the gate on the same project, bumped as `uv pip compile` bumps it
        (project / "requirements.in").write_text("numpy==2.2.6\n")
        compile_requirements(project, hashed=True)
        gate = harness("gate", "--project", str(project), "--json")
        assert gate.returncode == 1, gate.stdout + gate.stderr
        doc = json.loads(gate.stdout)
        assert [r["test"] for r in doc["regressions"]] == [layouts.BROKEN]
        assert doc["proposed"]["versions"]["numpy"] == "2.2.6"


def test_a_pin_another_package_excludes_is_unsatisfiable_and_says_why(tmp_path):
    project = service(tmp_path / "svc", "numpy==1.26.4\npandas==2.1.4\n")
    done = harness("run", "--project", str(project), "--with", "numpy==2.2.6")
    assert done.returncode == 1, done.stdout + done.stderr
    result = adhoc_result(project)
    assert result["verdict"] == "unsatisfiable"
    reason = result["problem"]["evidence"]
    assert reason.startswith("Because pandas==2.1.4 depends on numpy"), reason
    assert ">=1.23.2,<2" in reason and "you require numpy==2.2.6" in reason  # not numpy==1.26.4
    shown = next(line for line in done.stdout.splitlines() if "[unsatisfiable]" in line)
    assert "pandas==2.1.4 depends on numpy" in shown and ">=1.23.2,<2 " in shown, shown
