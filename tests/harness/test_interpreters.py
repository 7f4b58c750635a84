import sys
from pathlib import Path

from harness.stages import interpreters
from harness.stages.interpreters import Request, find, identify, installed, locate, parse


def test_requests_as_tox_writes_them():
    assert parse("py310") == Request("py310", "cpython", "3.10")
    assert parse("python3.12") == Request("python3.12", "cpython", "3.12")
    assert parse("3.9") == Request("3.9", "cpython", "3.9")
    assert parse("pypy3.10") == Request("pypy3.10", "pypy", "3.10")
    assert parse("py3") == Request("py3", "cpython", "3")
    assert parse("/usr/bin/python3") == Request("/usr/bin/python3", path="/usr/bin/python3")


def test_the_running_interpreter_is_found_by_version_and_by_path():
    version = "{}.{}".format(*sys.version_info[:2])
    found = locate(f"py{version.replace('.', '')}")
    assert found and identify(found) == ("cpython", ".".join(map(str, sys.version_info[:3])))
    assert locate(sys.executable) == sys.executable


def test_pyenv_versions_are_searched_without_pyenv_on_path(tmp_path, monkeypatch):
    real = Path(sys.executable).resolve()
    version = "{}.{}".format(*sys.version_info[:2])
    bin_dir = tmp_path / "versions" / f"{version}.99" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / f"python{version}").symlink_to(real)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert locate(f"python{version}") == str(bin_dir / f"python{version}")
    assert str(tmp_path / "versions") in interpreters.places()


def test_a_python_that_is_not_installed_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert locate("py399") is None and locate(str(tmp_path / "python")) is None
    assert identify(str(tmp_path / "nothing")) is None


def test_the_installed_pythons_are_listed_with_the_newest_patch_and_where_each_was_found(
    tmp_path, monkeypatch
):
    real = Path(sys.executable).resolve()
    version = "{}.{}".format(*sys.version_info[:2])
    for name in (f"{version}.98", f"{version}.99"):
        (tmp_path / "versions" / name / "bin").mkdir(parents=True)
        (tmp_path / "versions" / name / "bin" / f"python{version}").symlink_to(real)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # not the machine's ~/.pyenv
    monkeypatch.setenv("PATH", "/nonexistent")
    (found,) = installed()  # no uv given: PATH and pyenv only
    assert found.origin == "pyenv" and found.minor == version
    assert found.path == str(tmp_path / "versions" / f"{version}.99" / "bin" / f"python{version}")
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / f"python{version}").symlink_to(real)
    monkeypatch.setenv("PATH", str(on_path))
    assert find(parse(version)).origin == "PATH"
    assert [f.minor for f in installed()] == [version]
    assert find(parse("3.99")) is None


def test_the_running_interpreter_is_identified_as_its_own_process_says():
    import subprocess
    import sys

    from harness.stages.interpreters import VERSION_CHECK, identify

    words = subprocess.run(
        [sys.executable, "-c", VERSION_CHECK], capture_output=True, text=True, check=True
    ).stdout.split()
    assert identify(sys.executable) == (words[0].lower(), ".".join(words[1:]))
