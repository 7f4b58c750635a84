from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.stages.select import adhoc_name, parse_pins, pins_from_deps, select


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


def test_parse_pins_takes_groups_and_rejects_what_is_not_a_pin():
    assert parse_pins(["Torch==2.2.2", "numpy~=2.0"]) == {"torch": "==2.2.2", "numpy": "~=2.0"}
    assert parse_pins(["torch==2.2.2,numpy>=2,<3"]) == {"torch": "==2.2.2", "numpy": "<3,>=2"}
    for bad in ("torch", "torch===", "numpy[extra]==2.0", "not a requirement!"):
        with pytest.raises(ConfigError, match="--with"):
            parse_pins([bad])


def test_adhoc_names_are_one_safe_factor():
    assert (
        adhoc_name("torch21-numpy126", {"numpy": "==2.2.6"}) == "torch21-numpy126-with_numpy2.2.6"
    )
    name = adhoc_name("py", {"scikit-learn": "<1.5,>=1.2", "x": "===../../.."})
    assert name == "py-with_scikit_learnlt1.5_ge1.2_x" and Path(name).name == name


@pytest.mark.integration
def test_default_env_list_labels_and_named_envs(tiny_project):
    assert [c.name for c in select(tiny_project)] == ["pkg23-ok", "pkg24-ok"]
    assert [c.name for c in select(tiny_project, labels=["odd"])] == ["pkg24-crash", "pkg24-empty"]
    (cell,) = select(tiny_project, envs=["pkg23-fail"])
    assert cell.pins == {"packaging": "==23.2"} and cell.name == "pkg23-fail" and not cell.adhoc
    assert "pytest" in cell.deps and cell.base_python
    assert cell.commands["commands"] == ["pytest " + str(tiny_project / "tests")]


@pytest.mark.integration
def test_unknown_env_and_malformed_config(tiny_project):
    with pytest.raises(ConfigError, match="not found"):
        select(tiny_project, envs=["nosuchfactor"])
    with pytest.raises(ConfigError, match="label"):
        select(tiny_project, labels=["nosuchlabel"])
    (tiny_project / "tox.ini").write_text("[tox\nenv_list = a\n")
    with pytest.raises(ConfigError, match="tox cannot read the configuration"):
        select(tiny_project)


@pytest.mark.integration
def test_adhoc_cells_start_from_a_named_env_and_keep_its_factors(tiny_project):
    (cell,) = select(tiny_project, adhoc=["packaging==23.1"])  # from the first of env_list
    assert cell.adhoc and cell.base_env == "pkg23-ok" and cell.name == "pkg23-ok-with_packaging23.1"
    assert cell.pins == {"packaging": "==23.1"} and cell.deps == ["pytest", "packaging==23.1"]
    crash, again = select(tiny_project, envs=["pkg24-crash"], adhoc=["packaging==23.1"])
    assert again.base_env == "pkg24-crash" and again.commands == crash.commands
    groups = select(tiny_project, adhoc=["packaging==23.1", "packaging==24.0,pytest==8.0.0"])
    assert [c.name for c in groups] == [
        "pkg23-ok-with_packaging23.1", "pkg23-ok-with_packaging24.0_pytest8.0.0",
    ]  # fmt: skip
    assert groups[1].deps == ["packaging==24.0", "pytest==8.0.0"]
