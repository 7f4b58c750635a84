"""Before installing anything: will the selection's environments fit on the disk?

tox-uv unpacks each wheel once into uv's cache and hardlinks it into every env on the same
filesystem. So the need is the unpacked size of each locked wheel that the cache lacks,
counted once across cells, plus a little per env. Wheel sizes come from the package
index (its JSON API, PEP 700); unpacked, a wheel takes about 2.2 times its size (measured
on torch 2.1.2 and 2.7.1: 1.4 GB from 670 MB, 1.6 GB from 821 MB). Where the index cannot
be asked, a torch release with its CUDA wheels is taken as 6 GB (measured: 46 GB of cache
for eight releases, 2.0 to 2.7).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from .errors import DiskSpaceError
from .lock import uv_binary

GB = 1024**3
UNPACK_FACTOR = 2.2
FALLBACK_TORCH_BYTES = 6 * GB
ENV_BYTES = 60 * 1024**2  # one env of hardlinks: metadata, scripts, bytecode
COPIED_ENV_BYTES = 8 * GB  # one env when hardlinks are impossible (cache on another disk)
MARGIN_BYTES = GB
DEFAULT_INDEX = "https://pypi.org/simple"


@dataclass
class DiskPlan:
    needed: int
    free: int
    uncached: list  # "name==version" not yet in uv's cache
    linked: bool  # whether uv can hardlink from its cache into the envs
    sized_by_index: bool = True

    @property
    def enough(self) -> bool:
        return self.free >= self.needed

    def describe(self) -> str:
        torch = [p for p in self.uncached if p.startswith("torch==")]
        return (
            f"needs about {self.needed / GB:.1f} GB, {self.free / GB:.1f} GB free; "
            f"{len(self.uncached)} wheels to fetch (torch: {', '.join(torch) or 'none'}); envs "
            + (
                "hardlinked from uv's cache"
                if self.linked
                else "copied (uv's cache is on another disk)"
            )
        )


def uv_cache_dir() -> Path:
    done = subprocess.run([uv_binary(), "cache", "dir"], capture_output=True, text=True, timeout=60)
    return Path(done.stdout.strip() or os.path.expanduser("~/.cache/uv"))


def locked(constraint: Path) -> set:
    """``{(name, version)}`` pinned by a lock file (``name==version`` lines, or a uv.lock)."""
    try:
        text = constraint.read_text()
    except OSError:
        return set()
    if constraint.name == "uv.lock":
        return _uv_lock_pins(text)
    pins = set()
    for line in text.splitlines():
        try:
            requirement = Requirement(line.split("#")[0].strip())
        except InvalidRequirement:
            continue
        (spec, *more) = list(requirement.specifier) or [None]
        if spec is not None and spec.operator == "==" and not more:
            pins.add((canonicalize_name(requirement.name), spec.version))
    return pins


def _uv_lock_pins(text: str) -> set:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python < 3.11
        return set()
    try:
        packages = tomllib.loads(text).get("package", [])
    except ValueError:
        return set()
    return {
        (canonicalize_name(p["name"]), str(p["version"]))
        for p in packages
        if "registry" in p.get("source", {}) and "version" in p
    }


def cached(cache: Path, name: str, version: str) -> bool:
    """Whether uv already holds an unpacked wheel of this release."""
    for wheels in cache.glob(f"wheels-v*/pypi/{name}"):
        for entry in wheels.iterdir():
            if entry.name.startswith(version + "-") and entry.suffix not in (
                ".msgpack",
                ".http",
                ".lock",
            ):
                return True
    return False


def wheel_size(name: str, version: str, index: str = None, timeout: float = 20) -> int:
    """Size in bytes of the best wheel of this release for this interpreter, per the index."""
    index = (index or os.environ.get("UV_INDEX_URL") or DEFAULT_INDEX).rstrip("/")
    request = urllib.request.Request(
        f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        files = json.load(response)["files"]
    ranks = {tag: rank for rank, tag in enumerate(sys_tags())}
    best = None
    for entry in files:
        if not entry["filename"].endswith(".whl") or "size" not in entry:
            continue
        _, wheel_version, _, tags = parse_wheel_filename(entry["filename"])
        rank = min((ranks[t] for t in tags if t in ranks), default=None)
        if str(wheel_version) == version and rank is not None and (best is None or rank < best[0]):
            best = (rank, entry["size"])
    if best is None:
        raise LookupError(f"no wheel of {name}=={version} for this interpreter")
    return best[1]


def existing_dir(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def plan(cells: list, constraints: dict, tox_dir: Path, cache: Path, sizer=wheel_size) -> DiskPlan:
    cache_root, env_root = existing_dir(cache), existing_dir(tox_dir)
    linked = os.stat(cache_root).st_dev == os.stat(env_root).st_dev
    pins = set().union(*(locked(constraints[cell.name]) for cell in cells)) if cells else set()
    missing = sorted(p for p in pins if not cached(cache, *p))
    sized_by_index = True
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            wheels = sum(pool.map(lambda pin: sizer(*pin), missing))
        needed = int(wheels * UNPACK_FACTOR)
    except (OSError, ValueError, LookupError, KeyError, HTTPException):
        sized_by_index = False
        needed = FALLBACK_TORCH_BYTES * len({v for n, v in missing if n == "torch"})
    needed += MARGIN_BYTES + len(cells) * (ENV_BYTES if linked else COPIED_ENV_BYTES)
    free = shutil.disk_usage(cache_root).free
    return DiskPlan(needed, free, [f"{n}=={v}" for n, v in missing], linked, sized_by_index)


def check(disk: DiskPlan) -> None:
    if not disk.enough:
        raise DiskSpaceError(
            f"not enough free disk for this selection: it {disk.describe()}. "
            "Free space, select fewer cells (-e/-m), point UV_CACHE_DIR at a larger disk on the "
            "same filesystem as .tox, or pass --skip-disk-check."
        )
