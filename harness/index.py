"""What the package index says: a project's files (PEP 691 JSON), its releases with a wheel
for this interpreter, and the size of that wheel."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

from packaging.metadata import parse_email
from packaging.tags import sys_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

DEFAULT_INDEX = "https://pypi.org/simple"


def files(name: str, index: str = None, timeout: float = 20) -> list:
    index = (index or os.environ.get("UV_INDEX_URL") or DEFAULT_INDEX).rstrip("/")
    request = urllib.request.Request(
        f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)["files"]


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
    for unpacked in sorted(cache.glob(f"wheels-v*/pypi/{name}/{version}-*")) if cache else []:
        for metadata in unpacked.glob("*.dist-info/METADATA"):
            raw, _ = parse_email(metadata.read_text(errors="replace"))
            return list(raw.get("requires_dist", []))
    wanted = Version(version)
    for entry in files(name, index):
        metadata = entry.get("core-metadata") or entry.get("data-dist-info-metadata")
        if entry["filename"].endswith(".whl") and metadata and _version_of(entry) == wanted:
            with urllib.request.urlopen(entry["url"] + ".metadata", timeout=20) as response:
                raw, _ = parse_email(response.read().decode("utf-8", "replace"))
            return list(raw.get("requires_dist", []))
    if (index or os.environ.get("UV_INDEX_URL") or DEFAULT_INDEX).rstrip("/") == DEFAULT_INDEX:
        url = f"https://pypi.org/pypi/{name}/{version}/json"
        with urllib.request.urlopen(url, timeout=20) as response:
            return list(json.load(response)["info"].get("requires_dist") or [])
    raise LookupError(f"no metadata for {name}=={version} in uv's cache or on the index")


def _version_of(entry: dict):
    try:
        return parse_wheel_filename(entry["filename"])[1]
    except InvalidWheelFilename:
        return None
