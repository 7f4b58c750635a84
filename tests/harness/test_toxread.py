"""What tox said of a config is read once: kept under a key of everything it depends on, and
read again after any real edit (a config file, a file it includes, the environment)."""

import json

import pytest

from harness.stages import provision, toxread
from harness.stages.select import tox_config

TOX = "[tox]\nenv_list = a\n[testenv]\npackage = skip\ndeps = {deps}\ncommands = python -c 1\n"


@pytest.fixture
def made(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "tox.ini").write_text(TOX.format(deps="-r requirements.txt"))
    (folder / "requirements.txt").write_text("packaging==23.2\n")
    return folder


def _key(folder, command=("python", "-m", "tox")):
    return toxread.key(folder, command, ["-k", "deps"])


@pytest.mark.parametrize(
    "edit",
    [
        lambda f, m: (f / "tox.ini").write_text(TOX.format(deps="-r requirements.txt\n    x")),
        lambda f, m: (f / "requirements.txt").write_text("packaging==24.0\n"),  # included
        lambda f, m: (f / "pyproject.toml").write_text("[tool.tox]\n"),  # a config file appears
        lambda f, m: (f / "setup.cfg").write_text("[tox:tox]\n"),
        lambda f, m: m.setenv("TOX_OVERRIDE", "testenv.deps=y"),  # the environment
        lambda f, m: (f / "x-1.dist-info").mkdir(),  # a plugin, where tox runs
    ],
    ids=["config", "included", "pyproject", "setup.cfg", "environment", "installed"],
)
def test_every_edit_changes_the_key(made, monkeypatch, edit):
    before = _key(made)
    assert _key(made) == before  # nothing changed: the same key
    edit(made, monkeypatch)
    assert _key(made) != before


def test_a_config_the_command_names_is_part_of_the_key(made):
    written = made / "written.ini"
    written.write_text("[tox]\n")
    command = ("python", "-m", "tox", "-c", str(written))
    before = _key(made, command)
    written.write_text("[tox]\nenv_list = b\n")
    assert _key(made, command) != before


@pytest.mark.parametrize("named", [True, False], ids=["TOX_USER_CONFIG_FILE", "default place"])
def test_tox_s_user_level_config_is_part_of_the_key(made, monkeypatch, tmp_path, named):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    user = tmp_path / "config" / "tox" / "config.ini"
    if named:
        user = tmp_path / "elsewhere.ini"
        monkeypatch.setenv("TOX_USER_CONFIG_FILE", str(user))
    assert toxread.user_config() == user
    before = _key(made)
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("[tox]\nskip_missing_interpreters = true\n")  # tox's defaults, everywhere
    assert _key(made) != before


def test_the_shell_s_bookkeeping_is_not_part_of_the_key(made, monkeypatch):
    before = _key(made)
    monkeypatch.setenv("OLDPWD", "/elsewhere")
    monkeypatch.setenv("PWD", "/elsewhere")
    monkeypatch.setenv("_", "/usr/bin/other")
    assert _key(made) == before


@pytest.mark.parametrize(
    "entry",
    [
        "not json",
        '{"format": 1, "key": "another", "answer": "{}"}',  # another key's entry, renamed
        '{"format": 2, "key": "KEY", "answer": "{}"}',
        '{"format": 1, "key": "KEY", "answer": 7}',
        "[" * 1000 + "]" * 1000,  # nested past the bounds
    ],
)
def test_an_entry_that_does_not_read_as_written_is_not_used(made, entry):
    digest = _key(made)
    toxread.folder().mkdir(parents=True)
    (toxread.folder() / f"{digest}.json").write_text(entry.replace("KEY", digest))
    assert toxread.recall(digest) is None
    toxread.keep(digest, '{"env": {}}')
    assert toxread.recall(digest) == '{"env": {}}'


def test_the_oldest_entries_go(made, monkeypatch):
    monkeypatch.setattr(toxread, "KEPT", 3)
    for number in range(5):
        toxread.keep(f"{number:064x}", "")
    assert sorted(p.stem[-1] for p in toxread.folder().glob("*.json")) == ["2", "3", "4"]


@pytest.mark.integration
def test_tox_reads_an_unchanged_config_once_and_an_edited_one_again(made):
    assert tox_config(made, ["-e", "a"])["a"]["deps"] == ["-r requirements.txt"]
    assert provision.missing_requires(made) is None
    entries = {p: json.loads(p.read_text()) for p in toxread.folder().glob("*.json")}
    assert sorted(e["answer"] == "" for e in entries.values()) == [False, True]  # both kept
    kept, entry = next((p, e) for p, e in entries.items() if e["answer"])
    entry["answer"] = entry["answer"].replace("-r requirements.txt", "-r kept.txt")
    kept.write_text(json.dumps(entry))  # what tox said, as the cache has it: read, not tox
    assert tox_config(made, ["-e", "a"])["a"]["deps"] == ["-r kept.txt"]
    (made / "tox.ini").write_text(TOX.format(deps="packaging"))  # a real edit: tox reads it
    assert tox_config(made, ["-e", "a"])["a"]["deps"] == ["packaging"]
    (made / "tox.ini").write_text(
        TOX.format(deps="x").replace("[tox]\n", "[tox]\nrequires = tox-gh>=1.3\n")
    )
    assert provision.missing_requires(made) == ["tox-gh>=1.3", "tox"]
