"""What the package index says: a project's files (PEP 691 JSON), its releases with a wheel
for this interpreter, and the size of that wheel."""

from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from pathlib import Path

from packaging.tags import sys_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from harness import bounded
from harness.errors import ConfigError, UnknownPackage

DEFAULT_INDEX = "https://pypi.org/simple"
VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508


def project_name(name: str) -> str:
    """The name the index knows a package by (PEP 503): ``Packaging_`` -> ``packaging``.

    Separators a name cannot start or end with (``-_.``) are dropped first, so a stray one
    still means the package; anything else that is not a package name is a ``ConfigError``.
    """
    stripped = name.strip().strip("-_.")
    if not VALID_NAME.match(stripped):
        raise ConfigError(f"{name!r} is not a package name")
    return canonicalize_name(stripped)


def files(name: str, index: str = None, timeout: float = 20) -> list:
    """The index's files of ``name``; ``UnknownPackage`` when the index has no such package.

    Network failures (timeouts, refused connections, other HTTP errors) propagate as they are:
    they are not the user's fault.
    """
    index = (index or os.environ.get("UV_INDEX_URL") or DEFAULT_INDEX).rstrip("/")
    name = project_name(name)
    url = f"{index}/{name}/"
    import urllib.error
    import urllib.request  # where used: a run that fetches nothing starts without http.client

    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bounded.json_text(response.read(bounded.MAX_BYTES + 1), url)["files"]
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
        exc.close()
        raise UnknownPackage(f"no package named {name} on the index ({url})") from exc


def wheel_tags(name: str, index: str = None) -> list:
    """``(version, tags, size)`` of every wheel the index serves for ``name``."""
    found = []
    for entry in files(name, index):
        if not entry["filename"].endswith(".whl") or entry.get("yanked"):
            continue
        try:
            _, version, _, tags = parse_wheel_filename(entry["filename"])
        except InvalidWheelFilename:
            continue
        found.append((version, frozenset(tags), entry.get("size")))
    return found


def wheels(name: str, index: str = None) -> list:
    """``(version, rank, size)`` of each wheel this interpreter can install (lower rank: better)."""
    ranks = {tag: rank for rank, tag in enumerate(sys_tags())}
    found = []
    for version, tags, size in wheel_tags(name, index):
        rank = min((ranks[t] for t in tags if t in ranks), default=None)
        if rank is not None:
            found.append((version, rank, size))
    return found


def wheel_size(name: str, version: str, index: str = None) -> int:
    """Size in bytes of the best wheel of this release for this interpreter, per the index."""
    sized = [(rank, size) for v, rank, size in wheels(name, index) if str(v) == version and size]
    if not sized:
        raise LookupError(f"no wheel of {name}=={version} for this interpreter")
    return min(sized)[1]


def releases(name: str, index: str = None) -> list:
    """Final releases with a wheel for this interpreter, oldest first."""
    versions = {v for v, _, _ in wheels(name, index) if not v.is_prerelease and not v.is_devrelease}
    return sorted(versions)


def latest_of_each_minor(versions: list, above: Version) -> list:
    """The newest patch of every minor release newer than ``above``, oldest first."""
    newest = {}
    for version in versions:
        if version > above:
            key = version.release[:2]
            newest[key] = max(newest.get(key, version), version)
    return [newest[key] for key in sorted(newest)]


def requires_dist(name: str, version: str, cache: Path = None, index: str = None) -> list:
    """The ``Requires-Dist`` lines of a release: from the wheel uv unpacked in its cache, else
    from the index's core metadata (PEP 658), else from PyPI's JSON API."""
    from packaging.metadata import parse_email  # not at start-up: a tenth of a second

    for unpacked in sorted(cache.glob(f"wheels-v*/pypi/{name}/{version}-*")) if cache else []:
        for metadata in unpacked.glob("*.dist-info/METADATA"):
            raw, _ = parse_email(metadata.read_text(errors="replace"))
            return list(raw.get("requires_dist", []))
    import urllib.request

    wanted = Version(version)
    for entry in files(name, index):
        metadata = entry.get("core-metadata") or entry.get("data-dist-info-metadata")
        if entry["filename"].endswith(".whl") and metadata and _version_of(entry) == wanted:
            with urllib.request.urlopen(entry["url"] + ".metadata", timeout=20) as response:
                raw, _ = parse_email(response.read().decode("utf-8", "replace"))
            return list(raw.get("requires_dist", []))
    for found, _, _, url in _wheel_urls(name, index):
        if found == wanted:
            with zipfile.ZipFile(RemoteFile(url)) as wheel:
                member = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
                raw, _ = parse_email(wheel.read(member).decode("utf-8", "replace"))
            return list(raw.get("requires_dist", []))
    raise LookupError(f"no metadata for {name}=={version} in uv's cache or on the index")


def _wheel_urls(name: str, index: str = None):
    for entry in files(name, index):
        if entry["filename"].endswith(".whl") and not entry.get("yanked"):
            version = _version_of(entry)
            if version is not None:
                yield version, entry.get("size") or 0, entry["filename"], entry["url"]


class RemoteFile(io.RawIOBase):
    """A wheel on the index, read with HTTP range requests: a zip's directory and one member
    cost a few hundred kilobytes, not the whole wheel."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        import urllib.request

        self.url, self.timeout, self.position = url, timeout, 0
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            self.size = int(response.headers["Content-Length"])

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def read(self, count: int = -1) -> bytes:
        end = self.size if count is None or count < 0 else min(self.size, self.position + count)
        if end <= self.position:
            return b""
        import urllib.request

        request = urllib.request.Request(
            self.url, headers={"Range": f"bytes={self.position}-{end - 1}"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            data = response.read()
        self.position += len(data)
        return data


def _version_of(entry: dict):
    try:
        return parse_wheel_filename(entry["filename"])[1]
    except InvalidWheelFilename:
        return None


WORKERS = 8  # look-ups at once


def parallel(function, items: list) -> dict:
    """``{item: function(item)}`` over daemon threads: an interrupt never waits for them."""
    results, queue = {}, list(items)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            try:
                results[item] = function(item)
            except Exception as exc:  # a failed look-up is a fact, handled by the caller
                results[item] = exc

    threads = [threading.Thread(target=work, daemon=True) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
    return results
