"""An sdist from the index (``survey.fetch``), against a local JSON API and file server: the
index's sha256 is checked before a file is kept or used, and every member's path before it is
unpacked."""

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.survey import fetch
from harness.survey import row as rows


def tar_bytes(members: dict, links: dict = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


GOOD = tar_bytes(
    {"pkg-1.0/PKG-INFO": "Name: pkg\n", "pkg-1.0/tests/test_a.py": "def test(): pass\n"}
)


class Index:
    """A JSON API (PyPI's shape, file URLs relative as a mirror's) and its files."""

    def __init__(self):
        self.files, self.hits, self.releases = {}, [], {}

    def add(self, version, filename, data, sha256=None, packagetype="sdist", yanked=False):
        self.files[filename] = data
        entry = {"filename": filename, "packagetype": packagetype, "yanked": yanked,
                 "url": f"../../files/{filename}", "size": len(data),
                 "digests": {"sha256": sha256 or hashlib.sha256(data).hexdigest()}}  # fmt: skip
        self.releases.setdefault(version, []).append(entry)

    def answer(self, path):
        self.hits.append(path)
        parts = path.strip("/").split("/")
        if parts[0] == "files" and parts[1] in self.files:
            return self.files[parts[1]]
        if parts[0] == "pypi" and parts[-1] == "json" and parts[1] == "pkg":
            if len(parts) == 3:
                latest = max(self.releases)
                return json.dumps({"info": {"name": "pkg", "version": latest},
                                   "urls": self.releases[latest], "releases": self.releases}).encode()  # fmt: skip
        return None  # per-release JSON: 404, as some mirrors answer


@pytest.fixture
def index(monkeypatch, tmp_path):
    served = Index()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = served.answer(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("HARNESS_JSON_API", f"http://127.0.0.1:{server.server_port}/pypi")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield served
    server.shutdown()


def test_an_sdist_whose_hash_is_the_index_s_is_cached_and_then_used_offline(index, tmp_path):
    index.add("1.0", "pkg-1.0.tar.gz", GOOD)
    index.add("1.0", "pkg-1.0-py3-none-any.whl", b"wheel", packagetype="bdist_wheel")
    sdist = fetch.choose(fetch.release("pkg", "1.0"))  # per-release JSON 404s: from releases
    assert (sdist.version, sdist.filename) == ("1.0", "pkg-1.0.tar.gz")
    assert sdist.url.startswith("http://127.0.0.1:") and sdist.url.endswith("/files/pkg-1.0.tar.gz")
    path = fetch.download(sdist)
    assert path == tmp_path / "cache" / "harness" / "sdists" / "pkg-1.0.tar.gz"
    assert path.read_bytes() == GOOD
    before = len(index.hits)
    assert fetch.download(sdist) == path and len(index.hits) == before  # from the cache
    path.write_bytes(b"corrupted")
    assert fetch.download(sdist).read_bytes() == GOOD and len(index.hits) == before + 1


def test_an_sdist_whose_hash_is_not_the_index_s_is_refused_and_not_kept(index, tmp_path):
    index.add("1.0", "pkg-1.0.tar.gz", GOOD, sha256="0" * 64)
    sdist = fetch.choose(fetch.release("pkg"))
    with pytest.raises(rows.Unmeasurable) as caught:
        fetch.download(sdist)
    assert caught.value.kind == rows.BAD_SDIST
    assert (
        "0" * 64 in caught.value.reason and hashlib.sha256(GOOD).hexdigest() in caught.value.reason
    )
    assert list((tmp_path / "cache" / "harness" / "sdists").iterdir()) == []  # no part file either


def test_releases_without_an_sdist_and_unknown_ones_are_named(index):
    index.add("1.0", "pkg-1.0-py3-none-any.whl", b"wheel", packagetype="bdist_wheel")
    index.add("1.1", "pkg-1.1.tar.gz", GOOD, yanked=True)
    index.add("1.2rc1", "pkg-1.2rc1.tar.gz", GOOD)
    index.add("1.3", "pkg-1.3.zip", b"zip")
    index.add("1.3", "pkg-1.3.tar.gz", GOOD)
    with pytest.raises(rows.Unmeasurable) as caught:
        fetch.choose(fetch.release("pkg", "1.0"))
    assert caught.value.kind == rows.NO_SDIST and "only bdist_wheel" in caught.value.reason
    with pytest.raises(rows.Unmeasurable) as caught:
        fetch.release("pkg", "9.9")
    assert caught.value.kind == rows.NO_RELEASE
    assert fetch.choose(fetch.release("pkg", "1.3")).filename == "pkg-1.3.tar.gz"  # before the zip
    assert [str(v) for v in fetch.versions_with_sdist(fetch.release("pkg"))] == ["1.3"]


@pytest.mark.parametrize(
    "members, links, words",
    [
        ({"pkg-1.0/../../evil.py": "x"}, {}, "outside its folder"),
        ({"/etc/evil": "x"}, {}, "outside its folder"),
        ({"pkg-1.0/a.py": "x"}, {"pkg-1.0/link": "../../../etc/passwd"}, "links"),
        ({"pkg-1.0/a.py": "x"}, {"pkg-1.0/abs": "/etc/passwd"}, "links"),
        ({"pkg-1.0/a.py": "x", "other-1.0/b.py": "y"}, {}, "one top folder"),
    ],
)  # fmt: skip
def test_a_member_outside_the_sdist_s_folder_is_refused(tmp_path, members, links, words):
    archive = tmp_path / "pkg-1.0.tar.gz"
    archive.write_bytes(tar_bytes(members, links))
    with pytest.raises(rows.Unmeasurable) as caught:
        fetch.extract(archive, tmp_path / "src")
    assert caught.value.kind == rows.BAD_SDIST and words in caught.value.reason
    assert not (tmp_path / "src").exists() and not (tmp_path.parent / "evil.py").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["pkg-1.0.tar.gz"]  # no work folder left


def test_the_top_folder_becomes_the_destination_replacing_an_earlier_one(tmp_path):
    archive = tmp_path / "pkg-1.0.tar.gz"
    archive.write_bytes(tar_bytes({"pkg-1.0/tests/test_a.py": "pass\n"}, {"pkg-1.0/t": "tests"}))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "left-by-a-run").write_text("")
    found = fetch.extract(archive, tmp_path / "src")
    assert sorted(p.name for p in found.iterdir()) == ["t", "tests"]
    zipped = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("pkg-1.0/tests/test_a.py", "pass\n")
    assert (fetch.extract(zipped, tmp_path / "z") / "tests" / "test_a.py").read_text() == "pass\n"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("../evil.py", "x")
    with pytest.raises(rows.Unmeasurable):
        fetch.extract(zipped, tmp_path / "z2")
