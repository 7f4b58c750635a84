"""A reports folder, a stored result or a shard artifact is input: nothing the harness reads
from one makes it read, write or delete outside the reports folder, and every refusal is one
line with the right exit code. Fast: in-process, no tox, no network."""

import errno
import json
import os
from pathlib import Path

import pytest

from harness import files
from harness.cli import main
from harness.errors import HarnessError, StorageError
from harness.model import Cell, CellResult, Counts, Failure
from harness.names import BadName, check_result, is_run_id, log_parts, safe_name
from harness.store import ENVS_MARKER, MARKER, Store, write_atomic

RUN = "20240131T120000-4242"
CRAFTED = ["/abs/path", "../../x", "a/b", "..", ".", "-rf", "", "a\\b", "a\nb"]


def valid(name="a", run=True, **changes):
    """The JSON of a stored result, as Store.save writes it, with ``changes`` on top."""
    result = CellResult(Cell(name, {"torch": "==2.1.2"}), "pass", Counts(passed=3))
    result.log = f"runs/{RUN}/{name}/tox.log" if run else ""
    return dict(result.to_dict(), **changes)


def store_in(folder, *names, **changes):
    """A reports folder as a runner leaves it: results, and the run folders they point to."""
    for name in names:
        data = valid(name, **changes)
        (folder / "cells").mkdir(parents=True, exist_ok=True)
        (folder / "cells" / f"{name}.json").write_text(json.dumps(data))
        run = folder / "runs" / RUN / name
        run.mkdir(parents=True, exist_ok=True)
        (run / "tox.log").write_text(f"log of {name}\n")
    return folder


def snapshot(root, *skipped):
    """Every file under ``root`` (but ``skipped`` folders), with its bytes."""
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in map(str, skipped)]
        for name in names:
            path = os.path.join(folder, name)
            found[path] = b"<link>" if os.path.islink(path) else open(path, "rb").read()
    return found


def one_error_line(capsys, *words):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
    assert all(w in err for w in words), err
    return err


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "project"
    (folder / ".tox" / "a").mkdir(parents=True)
    (folder / ".tox" / "a" / "keep").write_text("an env of the user's tox")
    (folder / "tox.ini").write_text("[tox]\nenv_list = a\n")
    return folder


def test_only_plain_names_become_paths():
    for name in ("torch21-numpy126", "pkg23-ok-with_packaging23.1", "a@probe", "c++", ".x", "a..b"):
        assert safe_name(name) == name
    for name in CRAFTED + [None, 5, "x" * 201]:
        with pytest.raises(BadName):
            safe_name(name)
    assert log_parts(f"runs/{RUN}/a@probe/tox.log") == (RUN, "a@probe") and log_parts("") == ()
    for log in ("runs/../x/tox.log", f"runs/{RUN}/../tox.log", "/etc/tox.log", "runs/x/a/tox.log",
                f"runs/{RUN}/a/b/tox.log", f"runs/{RUN}/a/other.log", 5):  # fmt: skip
        with pytest.raises(ValueError):
            log_parts(log)
    assert is_run_id(RUN) and not is_run_id("..") and not is_run_id("mine")
    for name, mode in (("../../x", "suite"), ("a", "../probe"), ("/abs/path", "probe")):
        with pytest.raises(BadName):
            Store(Path("/r")).path(name, mode)


@pytest.mark.parametrize("name", CRAFTED)
def test_merge_never_writes_outside_its_folder(tmp_path, capsys, name):
    decoy = tmp_path / "abs" / "path.json"
    decoy.parent.mkdir()
    decoy.write_text("the user's")
    name = str(decoy.with_suffix("")) if name == "/abs/path" else name  # an absolute name
    (tmp_path / "x.json").write_text("the user's too")
    (tmp_path / "sibling").mkdir()
    (tmp_path / "sibling" / "tox.log").write_text("a sibling's")
    source = store_in(tmp_path / "shard", "good")
    crafted = valid("good", cell=dict(valid("good")["cell"], name=name))
    (source / "cells" / "crafted.json").write_text(json.dumps(crafted))
    escaping = valid("other", log="runs/../../sibling/tox.log")  # a run folder named ".."
    (source / "cells" / "other.json").write_text(json.dumps(escaping))
    (source / "runs" / RUN / "good" / "secret").symlink_to(tmp_path / "sibling" / "tox.log")
    out = tmp_path / "out"
    before = snapshot(tmp_path, out)

    assert main(["merge", str(source), "--reports", str(out)]) == 3
    err = capsys.readouterr().err
    assert f"cannot read {source / 'cells' / 'crafted.json'}; it is left out" in err
    assert f"cannot read {source / 'cells' / 'other.json'}; it is left out" in err
    assert snapshot(tmp_path, out) == before  # every decoy, byte for byte; nothing new outside
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["good.json"]
    copied = out / "runs" / RUN / "good"
    assert (copied / "tox.log").read_text() == "log of good\n"
    assert not os.path.lexists(copied / "secret")  # a link is not followed out of the input
    assert [c["cell"]["name"] for c in json.loads((out / "compat.json").read_text())["cells"]] == [
        "good"
    ]


def test_merge_of_a_missing_or_non_folder_input_exits_2(tmp_path, capsys):
    good = store_in(tmp_path / "good", "a")
    (tmp_path / "file").write_text("")
    for bad, words in (
        (tmp_path / "typo", "does not exist"),
        (tmp_path / "file", "is not a folder"),
    ):
        assert main(["merge", str(good), str(bad), "--reports", str(tmp_path / "out")]) == 2
        one_error_line(capsys, str(bad), words)
    assert not (tmp_path / "out").exists()  # refused before anything was written
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "cells").symlink_to(good / "cells")
    assert main(["merge", str(tmp_path / "linked"), "--reports", str(tmp_path / "out")]) == 2
    one_error_line(capsys, "symbolic link")


def test_clean_envs_removes_only_the_envs_the_harness_made(project, tmp_path, capsys):
    (tmp_path / "decoy").mkdir()
    (tmp_path / "decoy" / "keep").write_text("outside")
    store = Store(project / ".harness")
    store.acquire("test")
    store.release()
    store.results.mkdir()
    for number, name in enumerate(("a", "../../decoy", str(tmp_path / "decoy"))):
        crafted = valid("a", run=False, cell=dict(valid("a")["cell"], name=name))
        (store.results / f"{number}.json").write_text(json.dumps(crafted))  # once rmtree(.tox/NAME)
    envs = store.make_envs()
    assert envs == store.envs and project not in envs.parents and (envs / ENVS_MARKER).is_file()
    (envs / "a" / "bin").mkdir(parents=True)
    outside = snapshot(tmp_path, project / ".harness")

    assert main(["clean", "--envs", "--project", str(project)]) == 0
    assert f"removed 1 env(s) in {envs}" in capsys.readouterr().out
    assert not envs.exists() and snapshot(tmp_path, project / ".harness") == outside

    envs.mkdir()  # not the harness's: no marker
    (envs / "mine").write_text("the user's")
    assert main(["clean", "--project", str(project)]) == 2
    one_error_line(capsys, str(envs), "not made by the harness")
    assert (envs / "mine").read_text() == "the user's" and (store.results / "0.json").exists()
    with pytest.raises(HarnessError, match="not a folder the harness made"):
        store.make_envs()


@pytest.mark.parametrize("name", [".lock", "cells", "runs", "locks", "envs", MARKER])
def test_links_in_a_reports_folder_are_refused(project, tmp_path, capsys, name):
    target = tmp_path / "target"
    target.mkdir()
    (target / "x.json").write_text("the target's")
    (target / "file").write_text("the target's file")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / name).symlink_to(target / "file" if name in (".lock", MARKER) else target)
    before = snapshot(target)
    assert main(["clean", "--project", str(project), "--reports", str(reports)]) == 2
    one_error_line(capsys, str(reports / name), "symbolic link")
    assert snapshot(target) == before


def test_the_lock_is_opened_without_following_a_link(tmp_path, monkeypatch):
    (tmp_path / "target").write_text("keep me")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / ".lock").symlink_to(tmp_path / "target")
    monkeypatch.setattr(Store, "claim", lambda self: True)  # a link made after the check
    with pytest.raises(HarnessError, match="cannot write to --reports"):
        Store(reports).acquire("run")
    assert (tmp_path / "target").read_text() == "keep me"


def test_a_folder_of_the_users_is_refused_and_an_empty_one_is_marked(project, tmp_path, capsys):
    (project / "runs" / "mine").mkdir(parents=True)
    (project / "runs" / "mine" / "data.txt").write_text("the user's run")
    (project / "cells").mkdir()
    (project / "cells" / "model.py").write_text("the user's model")
    (project / "cells" / "settings.json").write_text("{}")
    before = snapshot(project)
    good = store_in(tmp_path / "good", "a")
    assert main(["report", "--reports", str(good), "--collect"]) == 0
    capsys.readouterr()
    for command in (["clean", "--project", str(project)], ["report", "--collect"],
                    ["merge", str(tmp_path)], ["report"]):  # fmt: skip
        if command == ["report"]:  # a compat.json in it: it would render md and html there
            (project / "compat.json").write_bytes((good / "compat.json").read_bytes())
        assert main([*command, "--reports", str(project)]) == 2
        one_error_line(capsys, str(project), "not a harness reports folder")
        (project / "compat.json").unlink(missing_ok=True)
    assert snapshot(project) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["clean", "--project", str(project), "--reports", str(empty)]) == 0
    assert json.loads((empty / MARKER).read_text())["format"] == 1
    assert (empty / ".gitignore").read_text().splitlines()[-1] == "*"
    legacy = store_in(tmp_path / "legacy", "a")  # a reports folder of an earlier version
    (legacy / "compat.json").write_text("{}")
    assert Store(legacy).claim() is False
    store = Store(legacy)
    store.acquire("run")
    store.release()
    assert (legacy / MARKER).is_file() and (legacy / "cells" / "a.json").is_file()


def test_fresh_and_clean_delete_only_what_the_harness_wrote(project, tmp_path, capsys):
    reports = project / ".harness"
    store = Store(reports)
    store.acquire("run")
    store.release()
    store_in(reports, "a", "b")
    users = {
        reports / "cells" / "model.py": "the user's model",
        reports / "cells" / "notes.txt": "notes",
        reports / "runs" / "mine" / "data.txt": "the user's run",
        reports / "notes.md": "the user's notes",
    }
    for path, text in users.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    store.forget()  # what --fresh does
    assert list((reports / "cells").glob("*.json")) == [] and not (reports / "runs" / RUN).exists()
    assert all(path.read_text() == text for path, text in users.items())
    store_in(reports, "a")
    assert main(["clean", "--results", "--project", str(project)]) == 0
    assert all(path.read_text() == text for path, text in users.items())
    assert not (reports / "cells" / "a.json").exists()


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"log": 5}, "log"),
        ({"verdict": "maybe"}, "verdict"),
        ({"log": "../../x/tox.log"}, "log"),
        ({"mode": "../probe"}, "mode"),
        ({"tests": {"passed": "3"}}, "tests"),
        ({"failures": [{"test": 1}]}, "failures"),
    ],
)
def test_a_stored_result_of_the_wrong_shape_is_named_and_left_out(tmp_path, capsys, changes, where):
    folder = store_in(tmp_path / "r", "good")
    bad = folder / "cells" / "bad.json"
    bad.write_text(json.dumps(valid("bad", **changes)))
    assert main(["report", "--reports", str(folder), "--collect"]) == 3
    err = capsys.readouterr().err
    assert f"cannot read the stored result {bad}; it is left out" in err and "internal" not in err
    report = json.loads((folder / "compat.json").read_text())
    assert [c["cell"]["name"] for c in report["cells"]] == ["good"]
    with pytest.raises(ValueError, match=where):
        check_result(valid("bad", **changes))


def test_lone_surrogates_are_written_as_replacement_characters(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    folder = tmp_path / "r"
    result = CellResult(Cell("a", {"torch": "==2.1.2"}), "fail", Counts(passed=1, failed=1),
                        failures=[Failure("t::x", "other", "bad byte \udcff here")])  # fmt: skip
    Store(folder).save(result)
    assert main(["report", "--reports", str(folder), "--collect"]) == 0
    assert "bad byte \ufffd here" in (folder / "compat.md").read_text(encoding="utf-8")
    html = (folder / "compat.html").read_text(encoding="utf-8")  # its data is JSON, escaped:
    assert "bad byte \\udcff here" in html  # JSON.parse and textContent show U+FFFD
    write_atomic(tmp_path / "s.txt", "x\ud800y")
    assert (tmp_path / "s.txt").read_text(encoding="utf-8") == "x\ufffdy"


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_follow_the_users_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    files.umask.cache_clear()
    try:
        write_atomic(tmp_path / "f.json", "{}")
        store = Store(tmp_path / "r")
        store.acquire("run")
        store.release()
    finally:
        os.umask(old)
        files.umask.cache_clear()
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == mode
    assert (tmp_path / "r" / MARKER).stat().st_mode & 0o777 == mode


def test_a_full_disk_names_the_path_exits_3_and_keeps_the_previous_file(
    tmp_path, capsys, monkeypatch
):
    folder = store_in(tmp_path / "r", "a")
    assert main(["report", "--reports", str(folder), "--collect"]) == 0
    before = (folder / "compat.json").read_bytes()
    capsys.readouterr()

    class Full:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def fileno(self):
            return self.stream.fileno()

        def write(self, data):
            self.stream.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self):
            self.stream.flush()

    def fdopen(fd, mode="r", *args, **kwargs):  # only write_atomic's writes fail
        stream = real(fd, mode, *args, **kwargs)
        return Full(stream) if mode == "wb" else stream

    real = os.fdopen
    monkeypatch.setattr(files.os, "fdopen", fdopen)
    assert main(["report", "--reports", str(folder), "--collect"]) == 3
    one_error_line(capsys, f"cannot write {folder / 'compat.json'}", "No space left on device")
    assert (folder / "compat.json").read_bytes() == before
    assert not list(folder.glob(".*.tmp"))
    with pytest.raises(StorageError, match="No space left"):
        write_atomic(folder / "compat.md", "x")
