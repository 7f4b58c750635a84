import pytest

from harness.errors import ConfigError
from harness.matrix import adhoc_cell, parse_pins, pins_from_deps, select


def test_pins_from_deps_skips_options_paths_and_unpinned():
    deps = [
        "-c constraints/x.txt",
        "torch==2.1.2",
        "numpy>=2,<3",
        "pandas",
        "./local",
        "Pillow==10.0",
    ]
    assert pins_from_deps(deps) == {"torch": "==2.1.2", "numpy": "<3,>=2", "pillow": "==10.0"}


def test_parse_pins_rejects_what_is_not_a_pin():
    assert parse_pins(["Torch==2.2.2", "numpy~=2.0"]) == {"torch": "==2.2.2", "numpy": "~=2.0"}
    for bad in ("torch", "torch===", "numpy[extra]==2.0", "not a requirement!"):
        with pytest.raises(ConfigError, match="--with"):
            parse_pins([bad])


def test_default_env_list_labels_and_named_envs(tiny_project):
    assert [c.name for c in select(tiny_project)] == ["pkg23-ok", "pkg24-ok"]
    assert [c.name for c in select(tiny_project, labels=["odd"])] == ["pkg24-crash", "pkg24-empty"]
    (cell,) = select(tiny_project, envs=["pkg23-fail"])
    assert cell.pins == {"packaging": "==23.2"} and cell.env == "pkg23-fail" and not cell.adhoc
    assert "pytest" in cell.deps and cell.base_python


def test_unknown_env_and_malformed_config(tiny_project):
    with pytest.raises(ConfigError, match="not found"):
        select(tiny_project, envs=["nosuchfactor"])
    (tiny_project / "tox.ini").write_text("[tox\nenv_list = a\n")
    with pytest.raises(ConfigError, match="tox cannot read the configuration"):
        select(tiny_project)


def test_adhoc_cell_replaces_pins_of_the_base_env(tiny_project):
    cell = adhoc_cell(tiny_project, ["packaging==23.1"])
    assert cell.adhoc and cell.env == "py" and cell.pins == {"packaging": "==23.1"}
    assert cell.deps == ["pytest", "packaging==23.1"] and cell.name.startswith(
        "adhoc-packaging23.1-"
    )
    only = select(tiny_project, adhoc=["packaging==23.1"])
    assert [c.name for c in only] == [cell.name]
    both = select(tiny_project, envs=["pkg23-ok"], adhoc=["packaging==23.1"])
    assert [c.name for c in both] == ["pkg23-ok", cell.name]
