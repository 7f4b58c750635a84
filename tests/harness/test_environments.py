import pytest

from harness.cells import Cell
from harness.environments import GB, DiskPlan, cached_torch, check, plan, torch_version
from harness.errors import DiskSpaceError


def fake_cache(root, *versions):
    wheels = root / "wheels-v8" / "pypi" / "torch"
    wheels.mkdir(parents=True)
    for version in versions:
        (wheels / f"{version}-cp311-cp311-manylinux1_x86_64").mkdir()
        (wheels / f"{version}-cp311-cp311-manylinux1_x86_64.msgpack").write_text("")
    (wheels / "2.9.1-cp311-cp311-manylinux_2_28_x86_64.msgpack").write_text("")  # metadata only
    return root


def test_cached_torch_needs_an_unpacked_wheel(tmp_path):
    cache = fake_cache(tmp_path / "uv", "2.1.2")
    assert cached_torch(cache, "2.1.2")
    assert not cached_torch(cache, "2.9.1") and not cached_torch(cache, "2.1.1")


def test_torch_version_from_lock_or_pin(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("# header\nnumpy==2.2.6\ntorch==2.1.2\n    # via -r -\n")
    assert torch_version(Cell("a", {}), lock) == "2.1.2"
    assert torch_version(Cell("b", {"torch": "==2.3.1"}), tmp_path / "none") == "2.3.1"
    assert torch_version(Cell("c", {"torch": ">=2"}), tmp_path / "none") is None


def test_plan_counts_only_uncached_torch_releases(tmp_path):
    cache = fake_cache(tmp_path / "uv", "2.1.2")
    cells = [
        Cell(f"c{i}", {"torch": f"=={v}"})
        for i, v in enumerate(["2.1.2", "2.2.2", "2.2.2", "2.3.1"])
    ]
    paths = {c.name: tmp_path / "none" for c in cells}
    disk = plan(cells, paths, tmp_path / ".tox", cache)
    assert disk.uncached_torch == ["2.2.2", "2.3.1"] and disk.linked
    assert 7 * GB < disk.needed < 8 * GB and disk.free > 0


def test_check_stops_with_a_clear_message():
    check(DiskPlan(needed=GB, free=2 * GB, uncached_torch=[], linked=True))
    with pytest.raises(
        DiskSpaceError, match=r"needs about 10\.0 GB, 1\.0 GB free; torch to fetch: 2\.2\.2"
    ):
        check(DiskPlan(needed=10 * GB, free=GB, uncached_torch=["2.2.2"], linked=False))
