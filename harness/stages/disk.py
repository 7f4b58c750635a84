"""Before installing anything: will the selection's environments fit on the disk?

tox-uv unpacks each wheel once into uv's cache, and hardlinks it into every env on the same
filesystem; on another filesystem it copies. So two needs are measured, each against the
free space of its own filesystem:

- uv's cache grows by the unpacked size of each locked wheel it lacks, counted once;
- the envs take a little each when hardlinked, or their whole closure each when copied
  (a cached wheel is measured where uv unpacked it).

Wheel sizes come from the package index (its JSON API, PEP 700); unpacked, a wheel takes
about 2.2 times its size (measured on torch 2.1.2 and 2.7.1: 1.4 GB from 670 MB, 1.6 GB
from 821 MB). Where the index cannot be asked, a torch release with its CUDA wheels is
taken as 6 GB (measured: 46 GB of cache for eight releases, 2.0 to 2.7).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness import index, processes
from harness.errors import DiskSpaceError
from harness.index import wheel_size
from harness.stages import lock as lockfiles
from harness.stages.lock import uv_binary

GB = 1024**3
MB = 1024**2
UNPACK_FACTOR = 2.2
FALLBACK_TORCH_BYTES = 6 * GB
FALLBACK_WHEEL_BYTES = 50 * MB
ENV_BYTES = 60 * MB  # one env of hardlinks: metadata, scripts, bytecode
MARGIN_BYTES = GB  # left free on each filesystem


@dataclass
class DiskPlan:
    fetch: int  # bytes uv's cache grows by
    envs: int  # bytes the envs take
    cache_free: int
    env_free: int
    uncached: list  # "name==version" not yet in uv's cache
    linked: bool  # whether uv can hardlink from its cache into the envs (one filesystem)
    cells: int = 0
    sized_by_index: bool = True

    @property
    def need(self) -> int:
        return self.fetch + self.envs

    @property
    def enough(self) -> bool:
        if self.linked:
            return self.env_free >= self.fetch + self.envs + MARGIN_BYTES
        return (self.cache_free >= self.fetch + MARGIN_BYTES
                and self.env_free >= self.envs + MARGIN_BYTES)  # fmt: skip

    def describe(self) -> str:
        torch = [p for p in self.uncached if p.startswith("torch==")]
        fetch = (
            f"{len(self.uncached)} wheels to fetch, {_size(self.fetch)} unpacked "
            f"(torch: {', '.join(torch) or 'none'})" if self.uncached else "nothing to fetch"
        )  # fmt: skip
        if self.linked:
            envs = f"{self.cells} env(s) hardlinked from uv's cache, {_size(self.envs)}"
            free = f"{_size(self.env_free)} free"
        else:
            envs = f"{self.cells} env(s) copied (uv's cache is on another filesystem), {_size(self.envs)}"
            free = (
                f"{_size(self.cache_free)} free for uv's cache, {_size(self.env_free)} for the envs"
            )
        return f"{fetch}; {envs}; {free}"


def _size(count: int) -> str:
    return f"{count / GB:.1f} GB" if count >= GB else f"{count / MB:.0f} MB"


def uv_cache_dir() -> Path:
    done = processes.run([uv_binary(), "cache", "dir"], timeout=60)
    return Path(done.stdout.strip() or os.path.expanduser("~/.cache/uv"))


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


def existing_dir(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def unpacked_bytes(path: Path) -> int:
    total = 0
    for root, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def cached_bytes(cache: Path, name: str, version: str) -> int:
    for wheels in cache.glob(f"wheels-v*/pypi/{name}"):
        for entry in wheels.iterdir():
            if entry.name.startswith(version + "-") and entry.is_dir():
                return unpacked_bytes(entry.resolve())
    return 0


def _estimate(pin: tuple, found) -> int:
    if isinstance(found, int):
        return int(found * UNPACK_FACTOR)
    return FALLBACK_TORCH_BYTES if pin[0] == "torch" else FALLBACK_WHEEL_BYTES


def plan(cells: list, constraints: dict, tox_dir: Path, cache: Path, sizer=wheel_size) -> DiskPlan:
    cache_root, env_root = existing_dir(cache), existing_dir(tox_dir)
    linked = os.stat(cache_root).st_dev == os.stat(env_root).st_dev
    closures = {cell.name: lockfiles.locked(constraints[cell.name]) for cell in cells}
    pins = set().union(*closures.values())
    missing = sorted(p for p in pins if not cached(cache, *p))
    sizes = index.parallel(lambda pin: sizer(*pin), missing)
    unpacked = {pin: _estimate(pin, sizes[pin]) for pin in missing}
    if linked:
        envs = len(cells) * ENV_BYTES
    else:
        unpacked.update(
            index.parallel(lambda pin: cached_bytes(cache, *pin), sorted(pins - set(missing)))
        )
        envs = sum(ENV_BYTES + sum(unpacked[p] for p in closure) for closure in closures.values())
    return DiskPlan(
        fetch=sum(unpacked[p] for p in missing), envs=envs,
        cache_free=shutil.disk_usage(cache_root).free, env_free=shutil.disk_usage(env_root).free,
        uncached=[f"{n}=={v}" for n, v in missing], linked=linked, cells=len(cells),
        sized_by_index=all(isinstance(sizes[p], int) for p in missing),
    )  # fmt: skip


def check(disk: DiskPlan, budget: int = 0) -> None:
    """Stop before installing anything when the selection (with a budget: its largest group)
    cannot fit."""
    if budget and disk.need + MARGIN_BYTES > budget:
        raise DiskSpaceError(
            f"the largest group of cells needs about {_size(disk.need + MARGIN_BYTES)} with room to "
            f"spare, more than --disk-budget {_size(budget)} ({disk.describe()})"
        )
    if not disk.enough:
        raise DiskSpaceError(
            f"not enough free disk for this selection ({disk.describe()}). "
            "Free space, select fewer cells (-e/-m), point UV_CACHE_DIR at a larger disk on the "
            "same filesystem as the envs, pass --disk-budget to run it group by group, or pass "
            "--skip-disk-check."
        )
