import pytest

from harness.cells import Cell
from harness.environments import (
    FALLBACK_TORCH_BYTES,
    GB,
    UNPACK_FACTOR,
    DiskPlan,
    cached,
    check,
    locked,
    plan,
    wheel_size,
)  # fmt: skip
from harness.errors import DiskSpaceError


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
        return GB if name == "torch" else 10 * 1024**2

    disk = plan(cells, {"a": a, "b": b}, tmp_path / ".tox", cache, sizer)
    assert sorted(asked) == [("numpy", "1.26.4"), ("torch", "2.2.2")]
    assert (
        disk.uncached == ["numpy==1.26.4", "torch==2.2.2"] and disk.linked and disk.sized_by_index
    )
    wheels = int((GB + 10 * 1024**2) * UNPACK_FACTOR)
    assert wheels + GB < disk.needed < wheels + 2 * GB


def test_plan_falls_back_when_the_index_cannot_be_asked(tmp_path):
    def offline(name, version):
        raise OSError("Connection refused")

    c = lock(tmp_path / "c.txt", "torch==2.3.1", "numpy==2.0.2")
    disk = plan([Cell("c", {})], {"c": c}, tmp_path / ".tox", tmp_path / "uv", offline)
    assert (
        not disk.sized_by_index
        and FALLBACK_TORCH_BYTES < disk.needed < FALLBACK_TORCH_BYTES + 2 * GB
    )


def test_wheel_size_from_the_real_index():
    assert 20_000 < wheel_size("packaging", "23.2") < 200_000
    with pytest.raises(LookupError):
        wheel_size("packaging", "0.0.0")


def test_check_stops_with_a_clear_message():
    check(DiskPlan(needed=GB, free=2 * GB, uncached=[], linked=True))
    with pytest.raises(
        DiskSpaceError,
        match=r"needs about 10\.0 GB, 1\.0 GB free; 1 wheels to fetch \(torch: torch==2\.2\.2\)",
    ):
        check(DiskPlan(needed=10 * GB, free=GB, uncached=["torch==2.2.2"], linked=False))
