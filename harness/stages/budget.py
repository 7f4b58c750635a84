"""Disk-bounded runs: cells grouped by their heaviest wheel, groups run one after another.

Cells that share a torch release run together, so each release is fetched once. With a
``--disk-budget``, the run also keeps the harness's footprint (uv's cache and the envs)
under the budget: before a group starts, the cache entries that no later group needs are
evicted when the group would not fit otherwise; after a group ends, its envs are removed.
A meter samples the disk all along, and each group's prediction is set beside what it used.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import processes
from harness.errors import ConfigError, DiskSpaceError
from harness.stages import disk as environments
from harness.stages import lock
from harness.stages.lock import uv_binary
from harness.stages.shard import HEAVY, heavy_pins

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``14G``, ``500M``, ``2.5GiB`` -> bytes."""
    match = SIZE.match(text or "")
    if not match:
        raise ConfigError(f"--disk-budget {text!r} is not a size such as 14G or 500M")
    return int(float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " "))


def heavy_key(cell, lock_file: Path) -> str:
    """The cell's heavy wheels: from its pins (as shards see them), else from its lock."""
    locked = dict(lock.locked(lock_file))
    found = [f"{name} {locked[name]}" for name in HEAVY if name in locked]
    return heavy_pins(cell) or ", ".join(found) or "(light)"


def schedule(cells: list, locks: dict) -> list:
    """``[(key, [cells])]``: cells sharing their heavy wheels together, in version order."""
    groups = {}
    for cell in cells:
        groups.setdefault(heavy_key(cell, locks[cell.name]), []).append(cell)
    return sorted(groups.items(), key=lambda item: _order(item[0]))


def _order(key: str):
    try:
        return (0, Version(key.split(",")[0].split()[-1]), key)
    except (InvalidVersion, IndexError):
        return (1, Version("0"), key)


@dataclass
class Group:
    key: str
    cells: list
    predicted: int = 0  # bytes the disk plan expected the group to add
    start: int = 0  # the harness's footprint when the group started
    peak: int = 0  # the most it reached while the group ran
    evicted: list = field(default_factory=list)  # packages cleaned from uv's cache before it


class Meter:
    """Samples the footprint (uv's cache and the envs) every ``every_s`` seconds: the size it
    had at the start, plus what its filesystems have used since."""

    def __init__(self, cache: Path, envs: Path, every_s: float = 2.0, used=None) -> None:
        self.folders = [p for p in (cache, envs) if p.exists()]
        self.systems = {environments.existing_dir(p) for p in (cache, envs)}
        self._used = used or self._filesystems_used  # what the filesystems hold now, in bytes
        self.base = du(self.folders)
        self.used_at_start = self._used()
        self.peak = self.group_peak = self.base
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _filesystems_used(self) -> int:
        devices = {}
        for path in self.systems:
            devices.setdefault(Path(path).stat().st_dev, path)
        return sum(shutil.disk_usage(path).used for path in devices.values())

    def now(self) -> int:
        value = self.base + self._used() - self.used_at_start
        self.peak = max(self.peak, value)
        self.group_peak = max(self.group_peak, value)
        return value

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            self.now()

    def stop(self) -> None:
        self._stop.set()


def du(folders: list) -> int:
    """Bytes under the folders, each hardlinked file counted once."""
    seen, total = set(), 0
    for folder in folders:
        for path in Path(folder).rglob("*"):
            try:
                status = path.lstat()
            except OSError:
                continue
            if (status.st_dev, status.st_ino) not in seen:
                seen.add((status.st_dev, status.st_ino))
                total += status.st_blocks * 512
    return total


def make_room(
    group: Group, later: list, locks: dict, cache: Path, meter: Meter, budget: int, say
) -> None:
    """Evict cached packages no later group needs until the group fits under the budget."""
    if meter.now() + group.predicted + environments.MARGIN_BYTES <= budget:
        return
    needed = set().union(*(lock.locked(locks[c.name]) for g in later for c in g), set())
    needed |= set().union(*(lock.locked(locks[c.name]) for c in group.cells), set())
    cached = {(n, v) for n, v in _cached_pins(cache)}
    names = sorted({n for n, _ in cached} - {n for n, v in needed if (n, v) in cached})
    if not names:
        raise DiskSpaceError(
            f"group {group.key} needs about {group.predicted / environments.GB:.1f} GB and only "
            f"{(budget - meter.now()) / environments.GB:.1f} GB of the budget is left; nothing in "
            "uv's cache can go"
        )
    processes.run([uv_binary(), "cache", "clean", *names], timeout=600)
    processes.run([uv_binary(), "cache", "prune"], timeout=600)  # clean drops the index entries;
    # prune drops the unpacked archives they pointed to, which hold the bytes
    group.evicted = names
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    say(
        f"evicted {len(names)} package(s) from uv's cache before {group.key}: {shown} "
        "(no later group needs them, and the group would not fit the budget otherwise)"
    )


def _cached_pins(cache: Path):
    for wheels in cache.glob("wheels-v*/pypi/*"):
        for entry in wheels.iterdir():
            if entry.is_dir() or entry.is_symlink():
                yield entry.parent.name, entry.name.split("-")[0]


def release_envs(group: Group, tox_dir: Path, say) -> None:
    """A finished group's envs: nothing later reads them, and they can be built again."""
    gone = [c.name for c in group.cells if (tox_dir / c.name).is_dir()]
    for name in gone:
        shutil.rmtree(tox_dir / name, ignore_errors=True)
    if gone:
        say(f"removed the envs of {group.key}: {len(gone)} (its cells are measured)")


def report(groups: list, budget: int, meter: Meter) -> dict:
    return {
        "budget": budget,
        "peak": meter.peak,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "groups": [dict(asdict(g), cells=[c.name for c in g.cells]) for g in groups],
    }
