"""Before installing anything: will the selection's environments fit on the disk?

tox-uv unpacks each wheel once into uv's cache and hardlinks it into every env on the same
filesystem, so an env that shares its wheels costs little; a torch release not yet cached
costs about 3 GB (its CUDA wheels partly shared with other releases).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .cells import Cell
from .errors import DiskSpaceError
from .lock import uv_binary

GB = 1024**3
TORCH_RELEASE_BYTES = 3 * GB  # a torch release with its CUDA wheels, in uv's cache
OTHER_WHEELS_BYTES = GB // 2  # numpy, pandas, pytest... for a cell whose wheels are new
ENV_BYTES = 60 * 1024**2  # one env of hardlinks: metadata, scripts, bytecode
COPIED_ENV_BYTES = 5 * GB  # one env when hardlinks are impossible (cache on another disk)
MARGIN_BYTES = GB


@dataclass
class DiskPlan:
    needed: int
    free: int
    uncached_torch: list
    linked: bool  # whether uv can hardlink from its cache into the envs

    @property
    def enough(self) -> bool:
        return self.free >= self.needed

    def describe(self) -> str:
        return (
            f"needs about {self.needed / GB:.1f} GB, {self.free / GB:.1f} GB free; torch to fetch: "
            f"{', '.join(self.uncached_torch) or 'none'}; envs "
            + (
                "hardlinked from uv's cache"
                if self.linked
                else "copied (uv's cache is on another disk)"
            )
        )


def uv_cache_dir() -> Path:
    done = subprocess.run([uv_binary(), "cache", "dir"], capture_output=True, text=True, timeout=60)
    return Path(done.stdout.strip() or os.path.expanduser("~/.cache/uv"))


def cached_torch(cache: Path, version: str) -> bool:
    """Whether uv already holds an unpacked torch wheel of this version."""
    for wheels in cache.glob("wheels-v*/pypi/torch"):
        for entry in wheels.iterdir():
            if entry.name.startswith(version + "-") and entry.suffix not in (
                ".msgpack",
                ".http",
                ".lock",
            ):
                return True
    return False


def torch_version(cell: Cell, constraint: Path):
    """The torch version the cell's lock pins, else its exact pin."""
    try:
        for line in constraint.read_text().splitlines():
            if line.startswith("torch=="):
                return line.split("==", 1)[1].split()[0]
    except OSError:
        pass
    spec = cell.pins.get("torch", "")
    return spec[2:] if spec.startswith("==") else None


def existing_dir(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def plan(cells: list, constraints: dict, tox_dir: Path, cache: Path) -> DiskPlan:
    cache_root, env_root = existing_dir(cache), existing_dir(tox_dir)
    linked = os.stat(cache_root).st_dev == os.stat(env_root).st_dev
    versions = {torch_version(cell, constraints[cell.name]) for cell in cells} - {None}
    uncached = sorted(v for v in versions if not cached_torch(cache, v))
    needed = len(uncached) * TORCH_RELEASE_BYTES + OTHER_WHEELS_BYTES + MARGIN_BYTES
    needed += len(cells) * (ENV_BYTES if linked else COPIED_ENV_BYTES)
    free = shutil.disk_usage(cache_root).free
    return DiskPlan(needed, free, uncached, linked)


def check(disk: DiskPlan) -> None:
    if not disk.enough:
        raise DiskSpaceError(
            f"not enough free disk for this selection: it {disk.describe()}. "
            "Free space, select fewer cells (-e/-m), point UV_CACHE_DIR at a larger disk on the "
            "same filesystem as .tox, or pass --skip-disk-check."
        )
