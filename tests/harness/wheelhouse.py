"""A local package index for the integration tier: real wheels from the real index, downloaded
once into a cache (``$HARNESS_TEST_WHEELHOUSE``, else ``~/.cache/compat-harness-tests``) and
served on 127.0.0.1 as PEP 503 pages and PEP 691 JSON, so that a test of a small project never
waits on the network. Only the first session on a machine (or after the lists below change)
asks the real index, through ``pip download``; later ones read the cache alone.

Tests about the real index itself (the dead-index case, provisioning, sdist fetches, torch's
own wheels) do not use it; they are marked ``real_index`` or ``real_wheels``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

# What the small projects of the tests install: every packaging release they pin, and pytest
# with what it needs on each Python.
PINNED = (
    *(f"packaging=={v}" for v in ("23.0", "23.1", "23.2", "24.0", "24.1", "24.2", "25.0")),
    "six==1.16.0",
)
WITH_DEPENDENCIES = ("pytest", "exceptiongroup", "tomli")  # the last two: pytest on 3.8 to 3.10
PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")  # pytest's wheels differ by Python


def _cache_root() -> Path:
    given = os.environ.get("HARNESS_TEST_WHEELHOUSE")
    return Path(given) if given else Path.home() / ".cache" / "compat-harness-tests"


def _key() -> str:
    return hashlib.sha256("\n".join(PINNED + WITH_DEPENDENCIES + PYTHONS).encode()).hexdigest()[:16]


def filled() -> Path:
    """The folder of wheels of ``PINNED`` and ``WITH_DEPENDENCIES``, downloaded on the first call on a machine.

    Filled beside its final place and renamed, under a lock, so that concurrent sessions
    (pytest-xdist workers) never see half a folder."""
    root = _cache_root()
    folder = root / f"wheels-{_key()}"
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        import fcntl

        fcntl.flock(lock, fcntl.LOCK_EX)
        if folder.is_dir():
            return folder
        partial = root / f".partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                    "--disable-pip-version-check", "--dest", str(partial)]  # fmt: skip
        for pin in PINNED:  # one at a time: pip resolves one call's requirements together
            subprocess.run([*download, "--no-deps", pin], check=True)
        for python in PYTHONS:
            subprocess.run([*download, "--python-version", python, *WITH_DEPENDENCIES], check=True)
        partial.rename(folder)
    return folder


def _pages(folder: Path) -> dict:
    """``{project: [(filename, sha256, size), ...]}`` of the folder's wheels."""
    projects: dict = {}
    for wheel in sorted(folder.glob("*.whl")):
        name = canonicalize_name(parse_wheel_filename(wheel.name)[0])
        content = wheel.read_bytes()
        projects.setdefault(name, []).append(
            (wheel.name, hashlib.sha256(content).hexdigest(), len(content))
        )
    return projects


class _Handler(http.server.SimpleHTTPRequestHandler):
    """``/files/NAME`` is the wheel itself (GET and HEAD, which uv sends first); ``/simple/P/``
    is the project's page, as JSON when the client asks for it (the harness does)."""

    projects: dict

    def log_message(self, *args) -> None:
        pass

    def translate_path(self, path: str) -> str:
        parts = [part for part in path.split("?")[0].split("/") if part]
        if len(parts) == 2 and parts[0] == "files" and parts[1] in self._names():
            return str(Path(self.directory) / parts[1])
        return str(Path(self.directory) / "no such file")

    def do_GET(self) -> None:
        parts = [part for part in self.path.split("?")[0].split("/") if part]
        if len(parts) == 2 and parts[0] == "simple":
            return self._page(parts[1])
        return super().do_GET()

    def _page(self, project: str) -> None:
        files = self.projects.get(project)
        if files is None:
            return self.send_error(404)
        if "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
            document = {"meta": {"api-version": "1.0"}, "name": project, "files": [
                {"filename": name, "url": f"/files/{name}", "hashes": {"sha256": digest},
                 "size": size} for name, digest, size in files]}  # fmt: skip
            return self._send(json.dumps(document).encode(), "application/vnd.pypi.simple.v1+json")
        links = "".join(
            f'<a href="/files/{html.escape(name)}#sha256={digest}">{html.escape(name)}</a>\n'
            for name, digest, _ in files
        )
        return self._send(f"<html><body>\n{links}</body></html>".encode(), "text/html")

    def _names(self) -> set:
        return {name for files in self.projects.values() for name, _, _ in files}

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def served(folder: Path):
    """The URL of a PEP 503/691 index of ``folder``'s wheels, served while the context lasts."""
    handler = functools.partial(
        type("Handler", (_Handler,), {"projects": _pages(folder)}), directory=str(folder)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=functools.partial(server.serve_forever, 0.05), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
