"""``harness survey`` at its limits, on tiny real projects served as sdists by a local index
(PyPI's JSON API shape): a project that hangs, or that ``--disk-budget`` cannot hold,
costs its own row and not the survey; an interrupt ends a survey of projects measured side
by side cleanly, and ``--resume`` finishes it. Real tox, tox-uv, uv and packaging wheels from
PyPI; no process of a survey outlives it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.stages import budget
from harness.survey import output

from .proctree import wait_until

CELLS = ["--with", "packaging==24.2", "--with", "packaging==25.0", "--python", "3.11"]
TIMEOUT = 45  # s a cell: the fine project's cells took 24 s with two CPUs busy elsewhere
NCCL = "nvidia-nccl-cu12==2.21.5"  # one wheel, no dependencies: 189 MB (415 MB unpacked, as
# the disk plan reckons), for Linux x86_64 only; the heavy project is stopped before it is fetched

SETUPTOOLS = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["{name}"]
"""
HATCHLING = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["{name}"]
"""
PROJECT = """
[project]
name = "{name}"
version = "{version}"
requires-python = ">=3.9"
dependencies = [{dependencies}]

[project.optional-dependencies]
test = ["pytest"]
"""
PACKAGE = '''
"""{name}: compares versions with packaging."""

from packaging.version import Version


def newer(a: str, b: str) -> bool:
    return Version(a) > Version(b)
'''
FINE_TESTS = """
import packaging

from {name} import newer


def test_newer():
    assert newer("1.10", "1.9") and not newer("1.0", "1.0.0")


def test_packaging_is_a_pinned_release():
    assert packaging.__version__ in ("24.2", "25.0"), packaging.__version__
"""
HANGING_TESTS = """
import time
from pathlib import Path

import packaging

from {name} import newer


def test_newer():
    assert newer("2", "1")


def test_hangs():
    if packaging.__version__ != "24.2":  # the change's cell: the row is the control's timeout
        return
    (Path(__file__).parent / "sleeping").touch()  # the test found it running: it hangs now
    time.sleep(3600)
"""

FLAKY_TESTS = """
from pathlib import Path

import packaging

from {name} import newer


def test_newer():
    assert newer("2", "1")


def test_breaks_once_with_packaging_25():  # a timing test on a loaded machine, say
    marker = Path(__file__).parent / ("ran-" + packaging.__version__)
    first = not marker.exists()
    marker.touch()
    assert not (first and packaging.__version__ == "25.0")


def test_breaks_with_packaging_25():
    assert packaging.__version__ != "25.0"
"""


def sdist(name: str, tests: str, backend: str = HATCHLING, dependencies=("packaging>=24",),
          version: str = "1.0") -> tuple:  # fmt: skip
    """``(filename, bytes)``: a real sdist of a small project (``NAME-VERSION/`` holding PKG-INFO,
    pyproject.toml, the package and its tests; a ``test`` extra with pytest)."""
    listed = ", ".join(json.dumps(d) for d in dependencies)
    pkg_info = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
         "Requires-Python: >=3.9", *(f"Requires-Dist: {d}" for d in dependencies),
         "Provides-Extra: test", 'Requires-Dist: pytest; extra == "test"', ""]
    )  # fmt: skip
    members = {
        "PKG-INFO": pkg_info,
        "pyproject.toml": textwrap.dedent(backend).format(name=name).lstrip()
        + textwrap.dedent(PROJECT).format(name=name, version=version, dependencies=listed),
        f"{name}/__init__.py": textwrap.dedent(PACKAGE).format(name=name).lstrip(),
        "tests/__init__.py": "",
        f"tests/test_{name}.py": textwrap.dedent(tests).format(name=name).lstrip(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return f"{name}-{version}.tar.gz", buffer.getvalue()


class Index:
    """PyPI's JSON API (``/pypi/NAME/json``, ``/pypi/NAME/VERSION/json``) and its files, served
    from 127.0.0.1."""

    def __init__(self) -> None:
        self.files, self.projects = {}, {}
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = index.answer(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def add(self, name: str, version: str, filename: str, data: bytes) -> None:
        self.files[filename] = data
        self.projects.setdefault(name, {})[version] = [{
            "filename": filename, "packagetype": "sdist", "yanked": False,
            "url": f"{self.base}/files/{filename}", "size": len(data), "requires_python": ">=3.9",
            "digests": {"sha256": hashlib.sha256(data).hexdigest()},
        }]  # fmt: skip

    def answer(self, path: str):
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "files":
            return self.files.get(parts[1])
        if parts[0] != "pypi" or parts[-1] != "json" or parts[1] not in self.projects:
            return None
        releases = self.projects[parts[1]]
        version = parts[2] if len(parts) == 4 else max(releases)
        if version not in releases:
            return None
        info = {"name": parts[1], "version": version, "requires_python": ">=3.9"}
        return json.dumps({"info": info, "urls": releases[version], "releases": releases}).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def index():
    served = Index()
    served.add("fine", "1.0", *sdist("fine", FINE_TESTS))
    served.add("hangs", "1.0", *sdist("hangs", HANGING_TESTS, backend=SETUPTOOLS))
    yield served
    served.close()


def environment(index: Index, tmp_path: Path, uv_cache: Path = None) -> dict:
    """The survey's environment: the local index; the harness's caches (sdists, envs) private
    to the test; uv's cache the user's own, so no wheel is fetched again, unless ``uv_cache``."""
    shared = os.environ.get("UV_CACHE_DIR") or os.path.expanduser("~/.cache/uv")
    return dict(
        os.environ, HARNESS_JSON_API=f"{index.base}/pypi", XDG_CACHE_HOME=str(tmp_path / "cache"),
        UV_CACHE_DIR=str(uv_cache or shared), NO_COLOR="1",
    )  # fmt: skip


def survey(env: dict, cwd: Path, *arguments, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "survey", *arguments], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)  # fmt: skip


def left_behind(marker: str) -> list:
    """``pid: command line`` of every process (but this one) whose command line names
    ``marker``: a survey's tox, pytest, uv and supervisors all name its folders."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            words = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_bytes().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if marker in words and state not in (b"Z", b"X"):
            found.append(f"{entry}: {words.replace(chr(0), ' ')}")
    return found


def rows_of(reports: Path) -> tuple:
    doc = output.check(json.loads((reports / "survey.json").read_text()))
    return doc, {row["project"]: row for row in doc["rows"]}


def assert_works_across_the_change(row: dict) -> None:
    assert row["outcome"] == "works", row
    control, change = row["cells"]
    assert (control["role"], control["versions"]["packaging"]) == ("control", "24.2"), row
    assert (change["role"], change["versions"]["packaging"]) == ("change", "25.0"), row
    for cell in (control, change):
        assert cell["verdict"] == "pass" and cell["tests"]["passed"] == 2, cell
        assert cell["interpreter"].startswith("cpython 3.11"), cell


@pytest.mark.integration
def test_a_hanging_project_times_out_as_its_own_row(index, tmp_path):
    reports = tmp_path / "survey"
    done = survey(environment(index, tmp_path), tmp_path, "hangs", "fine", *CELLS,
                  "--parallel", "2", "--timeout", str(TIMEOUT), "--reports", str(reports))  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    doc, rows = rows_of(reports)
    assert sorted(rows) == ["fine", "hangs"] and doc["interrupted"] is False
    assert_works_across_the_change(rows["fine"])
    hangs = rows["hangs"]
    assert (hangs["outcome"], hangs["reason_kind"]) == ("not-measurable", "timeout"), hangs
    assert f"cell timed out after {TIMEOUT}s" in hangs["reason"], hangs["reason"]
    assert hangs["broken_tests"] == [] and doc["summary"]["breaks"] == 0
    assert doc["summary"]["not_measurable_reasons"] == {"timeout": 1}
    assert (reports / "projects/hangs-1.0/src/tests/sleeping").exists()  # it did hang
    assert "hangs 1.0: not-measurable" in done.stdout and "fine 1.0: works" in done.stdout
    for name in ("survey.md", "survey.html"):
        assert "hangs" in (reports / name).read_text() and "fine" in (reports / name).read_text()
    assert left_behind(str(tmp_path)) == []  # the hanging pytest died with its cell


@pytest.mark.integration
def test_a_project_its_disk_budget_cannot_hold_costs_only_its_row(tmp_path):
    """``--disk-budget 1.3G`` makes the survey one project at a time (``--parallel 2`` or not:
    each project evicts from uv's cache what it does not need), each with the whole budget; the disk plan
    keeps 1 GB of it free. ``fine`` needs about 125 MB more and is measured; ``heavy`` also
    needs nvidia-nccl-cu12 (about 415 MB unpacked), so the plan refuses it before anything is
    installed. uv's cache is the test's own: the budget counts uv's cache, and a project over
    it evicts what it does not need, which must never be the user's cache."""
    served = Index()
    try:
        served.add("fine", "1.0", *sdist("fine", FINE_TESTS))
        served.add("heavy", "1.0", *sdist("heavy", FINE_TESTS, backend=SETUPTOOLS,
                                          dependencies=("packaging>=24", NCCL)))  # fmt: skip
        reports, uv_cache = tmp_path / "survey", tmp_path / "uv-cache"
        env = environment(served, tmp_path, uv_cache=uv_cache)
        done = survey(env, tmp_path, "heavy", "fine", *CELLS, "--parallel", "2",
                      "--disk-budget", "1.3G", "--reports", str(reports))  # fmt: skip
    finally:
        served.close()
    assert done.returncode == 3, done.stdout + done.stderr
    doc, rows = rows_of(reports)
    assert_works_across_the_change(rows["fine"])
    heavy = rows["heavy"]
    assert (heavy["outcome"], heavy["reason_kind"]) == ("not-measurable", "disk"), heavy
    assert re.match(
        r"the largest group of cells needs about 1\.\d GB with room to spare, more "
        r"than --disk-budget 1\.3 GB \(\d+ wheels to fetch",
        heavy["reason"],
    ), heavy
    assert heavy["cells"] == [] and heavy["broken_tests"] == []
    assert doc["summary"]["breaks"] == 0 and doc["summary"]["not_measurable_reasons"] == {"disk": 1}
    assert "heavy 1.0: not-measurable" in done.stdout
    unpacked = [p for p in uv_cache.glob("wheels-v*/pypi/nvidia-nccl-cu12/*") if p.is_dir()]
    assert unpacked == []  # refused before it was fetched (uv read only its metadata)
    share = json.loads((reports / "projects/fine-1.0/reports/disk.json").read_text())
    assert share["budget"] == budget.parse_size("1.3G") and share["groups"][0]["evicted"] == []
    assert "[1/2] heavy: " not in done.stderr  # one at a time: no line needs to say whose
    assert not (reports / "projects/heavy-1.0/reports/envs").exists()
    assert left_behind(str(tmp_path)) == []


@pytest.mark.integration
def test_an_interrupt_ends_a_parallel_survey_cleanly_and_resume_finishes_it(index, tmp_path):
    reports = tmp_path / "survey"
    env = environment(index, tmp_path)
    stderr = tmp_path / "stderr.txt"
    arguments = ["hangs", "fine", *CELLS, "--parallel", "2", "--reports", str(reports)]
    with open(stderr, "w") as errors:
        harness = subprocess.Popen(
            [sys.executable, "-m", "harness", "survey", *arguments, "--timeout", "900"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=errors, text=True,
            start_new_session=True,
        )  # fmt: skip
    try:
        sleeping = reports / "projects/hangs-1.0/src/tests/sleeping"

        def hanging_and_fine_done() -> bool:
            said = stderr.read_text()
            testing = re.search(r"\] hangs: \[\d/2\] py311-with_packaging[\d.]+: testing", said)
            return bool(harness.poll() is None and testing and sleeping.exists()
                        and "fine 1.0: works" in said)  # fmt: skip

        assert wait_until(hanging_and_fine_done, within=150), stderr.read_text()
        assert any("bin/pytest" in p for p in left_behind(str(tmp_path)))
        interrupted_at = time.monotonic()
        os.kill(harness.pid, signal.SIGINT)
        stdout, _ = harness.communicate(timeout=60)
        stopped_s = time.monotonic() - interrupted_at
    finally:
        if harness.poll() is None:  # the assertion failed: end what the test started
            os.killpg(harness.pid, signal.SIGKILL)
            harness.wait()
    said = stderr.read_text()
    assert harness.returncode == 130, stdout + said
    assert stopped_s < 30, f"the survey took {stopped_s:.0f}s to stop"
    assert "run again with --resume" in said, said
    doc, rows = rows_of(reports)
    assert doc["interrupted"] is True
    assert_works_across_the_change(rows["fine"])  # what finished is kept
    assert rows.get("hangs", {}).get("outcome") not in ("works", "breaks"), rows.get("hangs")
    assert wait_until(lambda: not left_behind(str(tmp_path)), within=10), left_behind(str(tmp_path))

    again = survey(env, tmp_path, *arguments, "--timeout", "20", "--resume")
    assert again.returncode == 3, again.stdout + again.stderr
    assert ": kept (works)" in again.stderr and "fine 1.0: measuring" not in again.stderr
    doc, rows = rows_of(reports)
    assert doc["interrupted"] is False and sorted(rows) == ["fine", "hangs"]
    assert (rows["hangs"]["outcome"], rows["hangs"]["reason_kind"]) == ("not-measurable", "timeout")
    assert "cell timed out after 20s" in rows["hangs"]["reason"], rows["hangs"]["reason"]
    assert_works_across_the_change(rows["fine"])
    assert left_behind(str(tmp_path)) == []


@pytest.mark.integration
def test_a_break_counts_once_it_repeats_and_a_flaky_one_is_named(tmp_path):
    """The changed cell runs again when something breaks: the test that broke only in its first
    run is flaky (named, not counted); the one that broke in both runs is the break."""
    served = Index()
    try:
        served.add("flaky", "1.0", *sdist("flaky", FLAKY_TESTS))
        reports = tmp_path / "survey"
        done = survey(environment(served, tmp_path), tmp_path, "flaky", *CELLS,
                      "--timeout", "120", "--reports", str(reports))  # fmt: skip
    finally:
        served.close()
    assert done.returncode == 1, done.stdout + done.stderr
    _, rows = rows_of(reports)
    row = rows["flaky"]
    assert row["outcome"] == "breaks", row
    assert [b["test"] for b in row["broken_tests"]] == [
        "tests/test_flaky.py::test_breaks_with_packaging_25"
    ]
    assert [b["test"] for b in row["flaky_tests"]] == [
        "tests/test_flaky.py::test_breaks_once_with_packaging_25"]  # fmt: skip
    assert "1 test(s) broke in one run of two" in row["reason"]
    assert (reports / "projects/flaky-1.0/src/tests/ran-25.0").exists()
    assert "(1 flaky, not counted)" in (reports / "survey.md").read_text()
