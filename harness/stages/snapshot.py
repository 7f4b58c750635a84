"""A git ref's own files, checked out in a folder of the harness's: the gate's baseline state.

The baseline is measured from everything the ref holds: its tox config, its requirement and
constraint files, its pyproject (dependencies, extras, dependency groups), its ``uv.lock`` and
the package built from its sources. The checkout is a local clone that shares the
repository's objects, so tools that read git (setuptools-scm) see a real repository; where git
cannot clone (a shallow repository on an old git), the ref's tree is extracted with
``git archive``. The user's repository and working tree are only read.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from harness.errors import ConfigError, ToolError

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
    found = _git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if not found:
        raise ConfigError(f"--base {ref!r} is not a commit of the git repository at {project}")
    return found


def checkout(project: Path, ref: str, into: Path) -> Path:
    """The project folder as ``ref`` has it, under ``into`` (made if need be); reused when a
    complete one is there already. Returns the folder that corresponds to ``project``."""
    commit = commit_of(project, ref)
    top = Path(_git(project, "rev-parse", "--show-toplevel"))
    inside = _git(project, "rev-parse", "--show-prefix")
    folder = into / commit[:16]
    if not folder.with_name(folder.name + COMPLETE).is_file():
        _make(top, commit, folder)
    return folder / inside if inside else folder


def _make(top: Path, commit: str, folder: Path) -> None:
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    cloned = subprocess.run(
        ["git", "clone", "--quiet", "--shared", "--no-checkout", str(top), str(partial)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if cloned.returncode == 0:
        _git(partial, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit)
    else:
        shutil.rmtree(partial, ignore_errors=True)
        _extract(top, commit, partial)
    partial.rename(folder)
    folder.with_name(folder.name + COMPLETE).write_text(commit + "\n")


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
            tar.extractall(partial, filter="data")
        _git(partial, "init", "--quiet")  # its own repository: git reads no other one's files
    finally:
        archive.unlink(missing_ok=True)
