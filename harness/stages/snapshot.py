"""A git ref's own files, and the baseline state the gate builds from them, in folders of the
harness's.

``checkout``: the ref's tree, extracted with ``git archive`` from the user's repository. It
needs the ref's commit and nothing else (no history, no branch), so it works in a shallow
clone (CI's depth 1, the base branch fetched at depth 1), on a detached merge ref and in a
full clone alike. ``overlay``: the working tree's project files with some files taken from
such a tree (the gate's baseline: the proposed code with the base's dependency inputs). Each
is a git repository of its own whose HEAD is the commit its code comes from, sharing the
user's objects read-only, so tools that read git (setuptools-scm) see a real repository. The
user's repository and working tree are only read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from harness.errors import ConfigError, ToolError
from harness.stages.fingerprint import project_files

COMPLETE = ".complete"  # FOLDER.complete, beside it, written last: else a half-made snapshot


def _git(folder: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolError(f"git {args[0]} failed in {folder}: {exc}") from exc
    if check and done.returncode != 0:
        raise ToolError(f"git {args[0]} failed in {folder}: {done.stderr.strip()[:300]}")
    return done.stdout.strip() if done.returncode == 0 else ""


def commit_of(project: Path, ref: str) -> str:
    """The full commit id ``ref`` names in the project's repository; ConfigError if none."""
    if not _git(project, "rev-parse", "--is-inside-work-tree", check=False):
        raise ConfigError(f"--base needs a git repository: {project} is not in one")
    found = _git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if not found:
        raise ConfigError(
            f"--base {ref!r} is not a commit of the git repository at {project}: fetch it "
            f"(git fetch --depth 1 origin BRANCH-OR-COMMIT) or name another ref"
        )
    return found


def checkout(project: Path, ref: str, into: Path) -> Path:
    """The project folder as ``ref`` has it, under ``into`` (made if need be); reused when a
    complete one is there already. Returns the folder that corresponds to ``project``."""
    commit = commit_of(project, ref)
    top = Path(_git(project, "rev-parse", "--show-toplevel"))
    inside = _git(project, "rev-parse", "--show-prefix")
    folder = into / commit[:16]
    if not folder.with_name(folder.name + COMPLETE).is_file():
        partial = _fresh(folder.with_name(folder.name + ".partial"))
        shutil.rmtree(folder, ignore_errors=True)
        _extract(top, commit, partial)
        _repository(top, partial, commit)
        partial.rename(folder)
        folder.with_name(folder.name + COMPLETE).write_text(commit + "\n")
    return folder / inside if inside else folder


def overlay(project: Path, base: Path, taken: list, outside: list, into: Path,
            reports: Path) -> Path:  # fmt: skip
    """The working tree's project files (less the reports folder and tools' output) in
    ``into``, made afresh, with each of ``taken`` (paths relative to the project) as ``base``
    (a ``checkout`` of the project) has it: copied, or removed where the base lacks it.
    ``outside``: more files the state reads beyond the project folder (``-r ../x.txt``),
    copied from the working tree. Returns the folder that corresponds to ``project``."""
    top = Path(_git(project, "rev-parse", "--show-toplevel"))
    inside = _git(project, "rev-parse", "--show-prefix")
    folder = _fresh(into)
    root = folder / inside if inside else folder
    reports = reports.resolve()
    for path in project_files(project):
        if reports != path.resolve() and reports not in path.resolve().parents:
            _copy(path, root / path.relative_to(project))
    for name in outside:
        _copy(project / name, _within(folder, root / name))
    for name in taken:
        target = _within(folder, root / name)
        if (base / name).is_file():
            _copy(base / name, target)
        elif target.is_file() or target.is_symlink():
            target.unlink()
    _repository(top, folder, _git(project, "rev-parse", "--verify", "--quiet", "HEAD", check=False))
    return root


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _within(folder: Path, path: Path) -> Path:
    """``path`` with ``..`` resolved; a ConfigError when it leaves ``folder``."""
    normal = Path(os.path.normpath(path))
    if normal != folder and folder not in normal.parents:
        raise ConfigError(f"{path} lies outside the repository")
    return normal


def _copy(source: Path, target: Path) -> None:
    if not source.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    try:
        shutil.copy2(source, target, follow_symlinks=False)
    except OSError as exc:
        raise ToolError(f"cannot copy {source} to {target}: {exc}") from exc


def _extract(top: Path, commit: str, partial: Path) -> None:
    partial.mkdir(parents=True)
    archive = partial.with_name(partial.name + ".tar")
    try:
        with archive.open("wb") as handle:
            done = subprocess.run(["git", "archive", "--format=tar", commit], cwd=top,
                                  stdout=handle, stderr=subprocess.PIPE, timeout=600)  # fmt: skip
        if done.returncode != 0:
            raise ToolError(f"git archive {commit[:12]} failed: {done.stderr.decode()[:300]}")
        with tarfile.open(archive) as tar:
            # tarfile's data filter exists from 3.10.12 / 3.11.4 on (Debian 12 has 3.11.2); git
            # writes no member outside the tree, so the older Pythons extract as they are
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(partial, **safe)
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
        raise ToolError(f"cannot extract {commit[:12]} into {partial}: {exc}") from exc
    finally:
        archive.unlink(missing_ok=True)


def _repository(top: Path, folder: Path, commit: str) -> None:
    """Make ``folder`` a repository of its own (git reads no other one's files) whose HEAD is
    ``commit``, its objects read from the user's repository: what setuptools-scm needs to
    version the code. Where that cannot be set up, a repository without commits."""
    _git(folder, "init", "--quiet")
    if not commit:
        return
    common = Path(_git(top, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    git_dir = folder / ".git"
    (git_dir / "objects" / "info" / "alternates").write_text(f"{common / 'objects'}\n")
    if (common / "shallow").is_file():  # the commits whose parents a shallow clone lacks
        shutil.copyfile(common / "shallow", git_dir / "shallow")
    if not (_ok(folder, "update-ref", "--no-deref", "HEAD", commit)
            and _ok(folder, "read-tree", "HEAD")):  # fmt: skip
        shutil.rmtree(git_dir)
        _git(folder, "init", "--quiet")


def _ok(folder: Path, *args: str) -> bool:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True,
                              timeout=600).returncode == 0  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
