import os
import tempfile
from pathlib import Path

import pytest
from packaging.version import Version

from harness.errors import DiskSpaceError
from harness.index import latest_of_each_minor, releases, wheel_size
from harness.model import Cell
from harness.stages.disk import (
    ENV_BYTES,
    FALLBACK_TORCH_BYTES,
    FALLBACK_WHEEL_BYTES,
    GB,
    MB,
    UNPACK_FACTOR,
    DiskPlan,
    cached,
    check,
    plan,
)  # fmt: skip
from harness.stages.lock import locked


def fake_cache(root, *releases):
    for name, version in releases:
        wheels = root / "wheels-v8" / "pypi" / name
        wheels.mkdir(parents=True, exist_ok=True)
        (wheels / f"{version}-cp311-cp311-manylinux1_x86_64").mkdir()
    metadata_only = (
        root / "wheels-v8" / "pypi" / "torch" / "2.9.1-cp311-cp311-manylinux_2_28_x86_64.msgpack"
    )
    metadata_only.parent.mkdir(parents=True, exist_ok=True)
    metadata_only.write_text("")
    return root


def lock(path, *pins):
    path.write_text("# header\n" + "".join(f"{pin}\n    # via -r -\n" for pin in pins))
    return path


def test_cached_needs_an_unpacked_wheel(tmp_path):
    cache = fake_cache(tmp_path / "uv", ("torch", "2.1.2"))
    assert cached(cache, "torch", "2.1.2")
    assert not cached(cache, "torch", "2.9.1") and not cached(cache, "numpy", "2.2.6")


def test_locked_reads_pins(tmp_path):
    path = lock(
        tmp_path / "l.txt",
        "numpy==2.2.6",
        "Torch==2.1.2",
        "triton==2.1.0 ; platform_machine == 'x86_64'",
    )
    assert locked(path) == {("numpy", "2.2.6"), ("torch", "2.1.2"), ("triton", "2.1.0")}
    assert locked(tmp_path / "missing.txt") == set()


def test_plan_sizes_each_missing_wheel_once(tmp_path):
    cache = fake_cache(tmp_path / "uv", ("torch", "2.1.2"))
    a = lock(tmp_path / "a.txt", "torch==2.1.2", "numpy==1.26.4")
    b = lock(tmp_path / "b.txt", "torch==2.2.2", "numpy==1.26.4")
    cells = [Cell("a", {}), Cell("b", {})]
    asked = []

    def sizer(name, version):
        asked.append((name, version))
        return GB if name == "torch" else 10 * MB

    disk = plan(cells, {"a": a, "b": b}, tmp_path / ".tox", cache, sizer)
    assert sorted(asked) == [("numpy", "1.26.4"), ("torch", "2.2.2")]
    assert (
        disk.uncached == ["numpy==1.26.4", "torch==2.2.2"] and disk.linked and disk.sized_by_index
    )
    assert disk.fetch == int(GB * UNPACK_FACTOR) + int(10 * MB * UNPACK_FACTOR)
    assert disk.envs == 2 * ENV_BYTES and disk.cache_free == disk.env_free
    assert disk.describe().startswith("2 wheels to fetch, 2.2 GB unpacked (torch: torch==2.2.2)")


def test_nothing_to_fetch_is_shown_as_nothing(tmp_path):
    cache = fake_cache(tmp_path / "uv", ("torch", "2.1.2"))
    a = lock(tmp_path / "a.txt", "torch==2.1.2")
    disk = plan([Cell("a", {})], {"a": a}, tmp_path / ".tox", cache, sizer=None)
    assert disk.fetch == 0 and disk.describe().startswith("nothing to fetch; 1 env(s) hardlinked")
    empty = plan([], {}, tmp_path / ".tox", cache, sizer=None)
    assert empty.fetch == empty.envs == 0 and empty.enough


def test_a_cache_on_another_filesystem_is_measured_there(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem here")
    with tempfile.TemporaryDirectory(dir=shm) as other:
        cache = fake_cache(Path(other) / "uv", ("numpy", "1.26.4"))
        unpacked = next(cache.glob("wheels-v8/pypi/numpy/1.26.4-*"))
        (unpacked / "core.so").write_bytes(b"x" * 3 * MB)
        cells = [Cell(n, {}) for n in "abc"]
        locks = {c.name: lock(tmp_path / f"{c.name}.txt", "numpy==1.26.4") for c in cells}
        disk = plan(cells, locks, tmp_path / ".tox", cache, sizer=None)
        assert not disk.linked and disk.fetch == 0
        assert disk.envs == 3 * (ENV_BYTES + 3 * MB)  # each env copies the cached wheel
        assert disk.cache_free != disk.env_free and disk.enough
        assert "copied (uv's cache is on another filesystem)" in disk.describe()


def test_plan_falls_back_when_the_index_cannot_be_asked(tmp_path):
    def offline(name, version):
        raise OSError("Connection refused")

    c = lock(tmp_path / "c.txt", "torch==2.3.1", "numpy==2.0.2")
    disk = plan([Cell("c", {})], {"c": c}, tmp_path / ".tox", tmp_path / "uv", offline)
    assert not disk.sized_by_index and disk.fetch == FALLBACK_TORCH_BYTES + FALLBACK_WHEEL_BYTES


def test_a_uv_lock_is_read_as_a_lock(tmp_path):
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "numpy"\nversion = "2.2.6"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        '[[package]]\nname = "mine"\nversion = "0.1"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "x", marker = "python-full-version == \'3.9\'" }]\n'
    )
    assert locked(tmp_path / "uv.lock") == {("numpy", "2.2.6")}


@pytest.mark.integration
def test_wheel_size_and_releases_from_the_real_index():
    assert 20_000 < wheel_size("packaging", "23.2") < 200_000
    with pytest.raises(LookupError):
        wheel_size("packaging", "0.0.0")
    found = releases("packaging")
    assert Version("23.2") in found and found == sorted(found)
    newer = latest_of_each_minor(found, Version("23.0"))
    assert newer == sorted(newer) and all(v > Version("23.0") for v in newer)
    assert len({v.release[:2] for v in newer}) == len(newer) and Version("23.2") in newer


def test_check_stops_with_a_clear_message():
    plenty = DiskPlan(
        fetch=GB, envs=MB, cache_free=9 * GB, env_free=9 * GB, uncached=[], linked=True
    )
    check(plenty)
    short = DiskPlan(fetch=10 * GB, envs=MB, cache_free=GB, env_free=50 * GB,
                     uncached=["torch==2.2.2"], linked=False, cells=1)  # fmt: skip
    with pytest.raises(DiskSpaceError, match=r"1\.0 GB free for uv's cache, 50\.0 GB for the envs"):
        check(short)


@pytest.mark.integration
def test_requires_dist_from_the_index_and_from_uv_s_cache(tmp_path):
    from harness.index import requires_dist

    remote = requires_dist("pandas", "2.1.4")  # read from the wheel with HTTP range requests
    assert any(line.startswith("numpy<2") for line in remote)
    unpacked = tmp_path / "wheels-v9" / "pypi" / "demo" / "1.0-py3-none-any" / "demo-1.0.dist-info"
    unpacked.mkdir(parents=True)
    (unpacked / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: numpy<2\n"
    )
    assert requires_dist("demo", "1.0", cache=tmp_path) == ["numpy<2"]
