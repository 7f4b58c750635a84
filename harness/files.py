"""Writing a file whole or not at all, readable as the user's umask says, whatever its text."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import threading
from pathlib import Path

from harness.errors import StorageError

SURROGATES = re.compile("[\ud800-\udfff]")
_UMASK_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def umask() -> int:
    """The process's umask, read once without changing it where Linux can say it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # elsewhere: set a strict one for an instant, then put it back
        current = os.umask(0o077)
        os.umask(current)
    return current


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file of its own, then one rename. The file gets
    the user's umask (0644 by default); lone surrogates are kept as U+FFFD. An OSError (a full
    disk) leaves the previous file as it was and is raised as a StorageError naming the path."""
    if not isinstance(text, str):
        raise TypeError(f"write_atomic takes text, not {type(text).__name__}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from undecodable test output
        data = SURROGATES.sub("\ufffd", text).encode("utf-8")
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), 0o666 & ~umask())
            stream.write(data)
            stream.flush()
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # ENOSPC, EDQUOT, EROFS, EACCES, ...
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def copy_plain_tree(source: Path, target: Path) -> None:
    """Copy a folder's plain files and folders, never through a link nor anything else (a FIFO),
    and never over something already at ``target``; a failed copy is a StorageError."""
    import shutil

    if source.is_symlink() or not source.is_dir() or os.path.lexists(target):
        return
    try:
        shutil.copytree(source, target, ignore=_not_plain)
    except OSError as exc:  # shutil.Error too: a full disk, an unreadable file
        raise StorageError(f"cannot copy {source} to {target}: "
                           f"{exc.strerror or 'some files failed'}") from exc  # fmt: skip


def _not_plain(folder: str, names: list) -> list:
    paths = [os.path.join(folder, name) for name in names]
    return [os.path.basename(p) for p in paths
            if os.path.islink(p) or not (os.path.isfile(p) or os.path.isdir(p))]  # fmt: skip


@contextlib.contextmanager
def exclusive(path: Path):
    """Hold an OS lock (``flock``) on ``path``, made if absent and never opened through a link,
    until the block ends: what builds one entry of a shared cache waits for any other process
    or thread building it, then finds it built."""
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:  # a link planted there, a full disk, no permission: exit 3
        raise StorageError(f"cannot take the lock {path}: {exc.strerror}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # an interrupt while waiting raises, as it should
        yield
    finally:
        os.close(handle)  # closing drops the lock
