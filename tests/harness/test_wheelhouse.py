"""The local index of the integration tier (``wheelhouse``) and the xdist switch of
``tests/conftest.py``: what uv, pip and the harness read from it is what a real index serves."""

import types
import urllib.error
import urllib.request
import zipfile

import pytest

from harness import index
from tests import conftest as root_conftest

from .wheelhouse import served


def _wheel(folder, name: str, version: str) -> None:
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(f"{name}/__init__.py", "")


def _get(url: str, accept: str = "", method: str = "GET"):
    request = urllib.request.Request(url, headers={"Accept": accept}, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("Content-Type"), response.read()


def test_the_index_serves_pages_json_and_the_wheels_with_their_hashes(tmp_path):
    _wheel(tmp_path, "Some_Pkg", "1.0")
    _wheel(tmp_path, "some_pkg", "2.0")
    (tmp_path / "notes.txt").write_text("not a wheel")
    with served(tmp_path) as url:
        kind, page = _get(f"{url}/some-pkg/")
        assert kind == "text/html" and page.count(b"#sha256=") == 2
        files = index.files("Some_Pkg", url)  # the harness's own reader: PEP 691 JSON
        assert sorted(f["filename"] for f in files) == [
            "Some_Pkg-1.0-py3-none-any.whl", "some_pkg-2.0-py3-none-any.whl"]  # fmt: skip
        base = url.rsplit("/simple", 1)[0]
        kind, body = _get(base + files[0]["url"])
        assert body == (tmp_path / files[0]["filename"]).read_bytes()
        assert _get(base + files[0]["url"], method="HEAD")[1] == b""  # uv asks HEAD first
        for missing in (f"{url}/other/", f"{base}/files/notes.txt", f"{base}/files/../notes.txt"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                _get(missing)
            assert caught.value.code == 404
            caught.value.close()


def _config(args, numprocesses=None, worker=False, xdist=True, **options):
    config = types.SimpleNamespace(
        args=args, option=types.SimpleNamespace(numprocesses=numprocesses),
        pluginmanager=types.SimpleNamespace(hasplugin=lambda name: xdist and name == "xdist"),
        getoption=lambda name, default=None: options.get(name, default),
    )  # fmt: skip
    if worker:
        config.workerinput = {}
    return config


def test_whole_folders_spread_over_the_cpus_and_named_tests_stay_in_one_process(tmp_path):
    folder, module = tmp_path, tmp_path / "test_x.py"
    module.write_text("")
    assert root_conftest.spreads(_config([]))  # a bare pytest: testpaths
    assert root_conftest.spreads(_config([str(folder)]))
    assert not root_conftest.spreads(_config([str(module)]))
    assert not root_conftest.spreads(_config([f"{folder}::test_a"]))
    assert not root_conftest.spreads(_config([str(folder)], numprocesses=0))  # -n 0 chosen
    assert not root_conftest.spreads(_config([str(folder)], worker=True))  # never recursive
    assert not root_conftest.spreads(_config([str(folder)], xdist=False))  # -p no:xdist
    assert not root_conftest.spreads(_config([str(folder)], usepdb=True))
    assert not root_conftest.spreads(_config([str(folder)], collectonly=True))
    assert not root_conftest.spreads(_config([str(folder)], cov_source=["harness"]))
