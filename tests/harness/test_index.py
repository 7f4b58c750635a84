"""Package names on the index: canonical names, a typed error for an unknown package (exit 2),
network failures left as they are (exit 3); and uv's word for an unknown ``--with`` package.

The index client's HTTP layer is stubbed; the lock tests run uv against a local index.
"""

import functools
import http.server
import io
import json
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request
import zipfile

import pytest

from harness import index
from harness.cli import main
from harness.commands import bisect
from harness.commands.bisect import Step
from harness.errors import ConfigError, HarnessError, UnknownPackage
from harness.model import Cell
from harness.stages import lock
from harness.stages.verdicts import Evidence, decide

PYPI = "https://pypi.org/simple"
PACKAGING_FILES = [
    {"filename": f"packaging-{v}-py3-none-any.whl", "url": f"https://x/packaging-{v}.whl"}
    for v in ("23.0", "23.1", "23.2", "24.0")
]


@pytest.fixture
def requested(monkeypatch):
    """Stub the index: ``packaging`` exists, every other name is a 404; the URLs asked for."""
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    urls = []

    def urlopen(request, timeout=None):
        url = request.full_url
        urls.append(url)
        if url == f"{PYPI}/packaging/":
            return io.BytesIO(json.dumps({"files": PACKAGING_FILES}).encode())
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, io.BytesIO(b"Not Found"))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return urls


def refusing(monkeypatch, error: Exception) -> None:
    monkeypatch.delenv("UV_INDEX_URL", raising=False)

    def urlopen(request, timeout=None):
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


@pytest.mark.parametrize(
    "given", ["packaging", "Packaging", "PACKAGING", "Packaging_", "_packaging.", " packaging "]
)
def test_names_are_canonical_before_the_index_is_asked(given, requested):
    assert index.project_name(given) == "packaging"
    assert [str(v) for v, _, _ in index.wheel_tags(given)] == ["23.0", "23.1", "23.2", "24.0"]
    assert requested == [f"{PYPI}/packaging/"]


def test_canonical_forms_and_names_that_are_not_names():
    assert index.project_name("Py_YAML") == "py-yaml"
    assert index.project_name("zope.Interface") == "zope-interface"
    for bad in ("", "_", "torch numpy", "numpy==2.0", "a/b"):
        with pytest.raises(ConfigError, match="is not a package name"):
            index.project_name(bad)


def test_a_404_is_an_unknown_package_with_one_line(requested):
    with pytest.raises(UnknownPackage) as caught:
        index.releases("NoSuchPkg_XYZ")
    message = str(caught.value)
    assert message == f"no package named nosuchpkg-xyz on the index ({PYPI}/nosuchpkg-xyz/)"
    assert isinstance(caught.value, HarnessError) and isinstance(caught.value, LookupError)
    assert "\n" not in message


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
        TimeoutError("timed out"),
        urllib.error.HTTPError(f"{PYPI}/packaging/", 503, "Service Unavailable", {}, None),
    ],
)
def test_network_failures_are_not_the_user_s_fault(monkeypatch, error):
    refusing(monkeypatch, error)
    with pytest.raises(type(error)) as caught:
        index.files("packaging")
    assert not isinstance(caught.value, HarnessError)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py\n[testenv]\npackage = skip\n")
    return tmp_path


def test_bisect_on_an_unknown_package_exits_2_with_one_line(project, requested, capsys):
    assert main(["bisect", "nosuchpkg-xyz", ">=1.0", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"harness: error: no package named nosuchpkg-xyz on the index ({PYPI}/nosuchpkg-xyz/)\n"
    )
    assert requested == [f"{PYPI}/nosuchpkg-xyz/"]


def test_bisect_on_a_name_that_is_not_a_name_exits_2(project, requested, capsys):
    assert main(["bisect", "torch numpy", ">=1.0", "--project", str(project)]) == 2
    assert capsys.readouterr().err == "harness: error: 'torch numpy' is not a package name\n"
    assert requested == []


def test_bisect_on_a_connection_failure_exits_3(project, monkeypatch, capsys):
    refusing(monkeypatch, urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")))
    assert main(["bisect", "packaging", ">=23.0", "--project", str(project)]) == 3
    err = capsys.readouterr().err
    assert (
        err.strip()
        == "harness: error: the package index could not be reached: [Errno 111] Connection refused"
    )


def test_bisect_on_packaging_underscore_searches_packaging(project, requested, monkeypatch, capsys):
    measured = []

    def measure(folder, store, base, axis, version, pins, mode, args):
        measured.append((axis, str(version)))
        return Step(str(version), "pass" if version.release < (24,) else "fail", "", 0.0)

    monkeypatch.setattr(bisect.matrix, "tox_cells", lambda folder, envs: [Cell(envs[0], {})])
    monkeypatch.setattr(bisect.prepare, "find_pythons", lambda cells: {"py": sys.executable})
    monkeypatch.setattr(bisect.prepare, "identity", lambda python: "cpython 3.11.7")
    monkeypatch.setattr(bisect.publish, "publish", lambda *args, **kwargs: None)
    monkeypatch.setattr(bisect, "_measure", measure)
    argv = ["bisect", "Packaging_", ">=23.0,<24.2", "--last-pass", "-e", "py"]
    assert main(argv + ["--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "4 packaging releases in >=23.0,<24.2" in out
    assert "the last passing packaging release is 23.2" in out and "24.0 fails" in out
    assert requested == [f"{PYPI}/packaging/"] and {a for a, _ in measured} == {"packaging"}


# uv against a local index: ``bar`` 1.0 exists, ``foo`` 1.0 depends on a package that does not.


def _wheel(folder, name: str, version: str, requires: tuple = ()) -> str:
    filename = f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(folder / "files" / filename, "w") as wheel:
        wheel.writestr(f"{name}/__init__.py", "")
        wheel.writestr(f"{info}/METADATA", metadata)
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")
    page = folder / "simple" / name / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<html><body><a href="../../files/{filename}">{filename}</a></body></html>')
    return filename


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_index(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("index")
    (root / "files").mkdir()
    _wheel(root, "bar", "1.0")
    _wheel(root, "foo", "1.0", ("nosuch-dep",))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("UV_INDEX_URL", f"http://127.0.0.1:{server.server_address[1]}/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(root / "uv-cache"))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    yield root
    server.shutdown()
    server.server_close()


def test_an_unknown_with_pin_stops_the_command(local_index, tmp_path):
    cell = Cell("py-with_nosuchpkg-xyz1.0", {"nosuchpkg-xyz": "==1.0"},
                ["bar==1.0", "nosuchpkg-xyz==1.0"], base_env="py", adhoc=True)  # fmt: skip
    with pytest.raises(UnknownPackage) as caught:
        lock.lock_cell(cell, tmp_path / "c.txt", tmp_path, sys.executable)
    assert str(caught.value) == (
        "no package named nosuchpkg-xyz on the index (uv found none when locking "
        "py-with_nosuchpkg-xyz1.0)"
    )
    with pytest.raises(UnknownPackage):
        lock.lock_all([cell], {cell.name: tmp_path / "c.txt"}, tmp_path,
                      {cell.name: sys.executable})  # fmt: skip
    assert not (tmp_path / "c.txt").exists()


def test_an_unknown_name_elsewhere_stays_an_unsatisfiable_cell(local_index, tmp_path):
    cells = [
        Cell("py", {}, ["nosuchpkg-xyz>=1"]),  # a tox env of the matrix: its own cell's fact
        Cell("py-forced", {}, ["nosuchpkg-xyz>=1"], base_env="py", adhoc=True, forced=True),
        Cell("py-with_foo1.0", {"foo": "==1.0"}, ["foo==1.0"], base_env="py", adhoc=True),
    ]
    for cell in cells:  # the last: a dependency of a known package is missing, not the name
        outcome = lock.lock_cell(cell, tmp_path / f"{cell.name}.txt", tmp_path, sys.executable)
        assert not outcome.ok and outcome.problem.signature == "unsatisfiable", cell.name
        assert "was not found in the package registry" in outcome.problem.evidence
        assert decide(cell, Evidence(lock_problem=outcome.problem)).verdict == "unsatisfiable"
    known = Cell("py-with_bar1.0", {"bar": "==1.0"}, ["bar==1.0"], base_env="py", adhoc=True)
    assert lock.lock_cell(known, tmp_path / "k.txt", tmp_path, sys.executable).ok


@pytest.mark.integration
def test_lock_with_an_unknown_package_exits_2_with_one_line(local_index, project, capsys):
    (project / "tox.ini").write_text(textwrap.dedent("""
        [tox]
        env_list = py
        [testenv]
        package = skip
        deps = bar==1.0
        commands = python -c pass
    """))  # fmt: skip
    argv = ["lock", "-e", "py", "--with", "nosuchpkg-xyz==1.0", "--project", str(project)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness: error: no package named nosuchpkg-xyz on the index (")
    assert err.count("\n") == 1


@pytest.mark.integration
def test_gate_on_a_requirement_naming_an_unknown_package_exits_2(local_index, project, capsys):
    (project / "tox.ini").write_text(
        "[tox]\nenv_list = py\n[testenv]\npackage = skip\ndeps = bar\ncommands = python -c pass\n"
    )
    (project / "requirements.txt").write_text("bar==1.0\n")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", *args], cwd=project,
                       check=True, capture_output=True)  # fmt: skip
    (project / "requirements.txt").write_text("bar==1.0\nnosuchpkg-xyz>=1\n")
    assert main(["gate", "--project", str(project)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("harness: error: no package named nosuchpkg-xyz on the index (")
    assert not any(line.startswith("harness: error:") for line in lines[:-1])
