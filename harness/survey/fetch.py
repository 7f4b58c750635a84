"""A project's sdist from the index: which file (PyPI's JSON API), downloaded into a cache and
checked against the index's sha256, then extracted with every member's path checked.

The cache is ``~/.cache/harness/sdists/`` (``$XDG_CACHE_HOME``): a file is used only while its
sha256 is the index's, and a download is renamed into place only once its hash matched, so a
corrupt or tampered file is never extracted. ``HARNESS_JSON_API`` points at another JSON API
(the tests' local server).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from harness import bounded
from harness.errors import HarnessError
from harness.files import exclusive
from harness.index import project_name
from harness.names import is_name
from harness.stages import asof
from harness.store import cache_home
from harness.survey.row import BAD_SDIST, DISK, NETWORK, NO_RELEASE, NO_SDIST, Unmeasurable

JSON_API = "https://pypi.org/pypi"
MAX_UNPACKED = 2 * 1024**3  # an sdist that unpacks past this is refused
MAX_MEMBERS = 50_000  # or that holds more files and folders than this
CHUNK = 1 << 20
FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a full quota: a disk row
VERSION = re.compile(r"[A-Za-z0-9.!+_-]{1,100}")  # survey.schema.json's, and never a path


@dataclass(frozen=True)
class Sdist:
    """One release's source distribution, as the index describes it."""

    project: str  # canonical name
    version: str
    filename: str
    url: str
    sha256: str
    size: int = 0
    uploaded: str = ""  # when the index received it (RFC 3339, UTC): --as-of release


def api() -> str:
    return (os.environ.get("HARNESS_JSON_API") or JSON_API).rstrip("/")


def _json(url: str, timeout: float, what: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bounded.json_text(response.read(bounded.MAX_BYTES + 1), url)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise Unmeasurable(NO_RELEASE, f"the index has no {what} ({url})") from exc
        raise Unmeasurable(NETWORK, f"the index answered {exc.code} for {url}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unmeasurable(NETWORK, f"the index could not be read ({url}): {exc}") from exc


def release(name: str, version: str = None, timeout: float = 30) -> dict:
    """The JSON API's answer for a release (the latest when ``version`` is None), its files'
    URLs made absolute. An index that serves only the project's JSON (some mirrors) answers
    from its ``releases`` instead."""
    name = project_name(name)
    whole_url = f"{api()}/{name}/json"
    if not version:
        return _absolute(_json(whole_url, timeout, f"project named {name}"), whole_url)
    url = f"{api()}/{name}/{version}/json"
    try:
        return _absolute(_json(url, timeout, f"release {name}=={version}"), url)
    except Unmeasurable as exc:
        if exc.kind != NO_RELEASE:
            raise
    whole = _absolute(_json(whole_url, timeout, f"project named {name}"), whole_url)
    for text, files in (whole.get("releases") or {}).items():
        if _same(text, version):
            return {"info": dict(whole.get("info") or {}, version=text), "urls": files}
    raise Unmeasurable(NO_RELEASE, f"the index has no release {name}=={version}")


def _absolute(data: dict, base: str) -> dict:
    """``data`` with each file's URL resolved against where it was read (a mirror's may be
    relative)."""
    for files in [data.get("urls") or [], *(data.get("releases") or {}).values()]:
        for entry in files:
            if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                entry["url"] = urljoin(base, entry["url"])
    return data


def _same(text: str, version: str) -> bool:
    try:
        return Version(text) == Version(version)
    except InvalidVersion:
        return text == version


def choose(data: dict) -> Sdist:
    """The release's sdist (a ``.tar.gz`` before a ``.zip``), or Unmeasurable(NO_SDIST)."""
    info = data.get("info") or {}
    name, version = _named(info)
    found = [
        f for f in data.get("urls") or [] if f.get("packagetype") == "sdist" and not f.get("yanked")
    ]
    found.sort(key=lambda f: not f.get("filename", "").endswith(".tar.gz"))
    for entry in found:
        sha256 = (entry.get("digests") or {}).get("sha256", "")
        if sha256 and is_name(entry.get("filename")):
            return Sdist(name, version, entry["filename"], entry["url"], sha256,
                         entry.get("size") or 0, asof.uploaded(entry))  # fmt: skip
    files = data.get("urls") or []
    kinds = sorted({f.get("packagetype", "?") for f in files if not f.get("yanked")})
    shipped = f"only {', '.join(kinds)}" if kinds else "no files"
    if any(f.get("packagetype") == "sdist" and f.get("yanked") for f in files):
        shipped = "its sdist is yanked"
    raise Unmeasurable(NO_SDIST, f"{name} {version} has no sdist on the index ({shipped})")


def _named(info: dict) -> tuple:
    """The release's canonical name and version as the index gives them, refused (before
    anything records them) unless the name is a package's and the version a plain PEP 440 one."""
    name, version = info.get("name"), info.get("version")
    try:
        name = project_name(name if isinstance(name, str) else "")
        Version(version if isinstance(version, str) else "")
    except (HarnessError, InvalidVersion):
        raise Unmeasurable(NO_RELEASE, f"the index names a release {str(name)[:100]!r} "
                           f"{str(version)[:100]!r}, not a package and a version; refused") from None  # fmt: skip
    if not VERSION.fullmatch(version):
        raise Unmeasurable(NO_RELEASE, f"the index names a version {version[:100]!r}; refused")
    return name, version


def versions_with_sdist(data: dict, python: str = "") -> list:
    """Final releases that ship an sdist not yanked, oldest first, from a project's JSON; with
    ``python`` (``3.11``), only those whose sdist's ``Requires-Python`` allows it."""
    found = []
    for text, entries in (data.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        sdists = [e for e in entries if e.get("packagetype") == "sdist" and not e.get("yanked")]
        if sdists and not version.is_prerelease and not version.is_devrelease:
            if not python or any(_allows(e.get("requires_python"), python) for e in sdists):
                found.append(version)
    return sorted(found)


def _allows(requires_python, python: str) -> bool:
    try:
        return SpecifierSet(requires_python or "").contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # what cannot be read does not rule a release out: its cells will say


def cache_dir() -> Path:
    return cache_home() / "sdists"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(sdist: Sdist, cache: Path = None, timeout: float = 120) -> Path:
    """The sdist in the cache, downloaded when absent or not the index's; a file whose sha256
    is not the index's is refused (Unmeasurable(BAD_SDIST)) and never kept."""
    cache = cache or cache_dir()
    path = cache / sdist.filename
    if path.is_file() and not path.is_symlink() and _sha256(path) == sdist.sha256:
        return path
    with exclusive(cache.parent / "locks" / f"sdist-{sdist.filename}.lock"):  # one at a time
        if path.is_file() and not path.is_symlink() and _sha256(path) == sdist.sha256:
            return path  # another survey fetched it meanwhile
        return _download(sdist, path, timeout)


def _download(sdist: Sdist, path: Path, timeout: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{sdist.filename}.", suffix=".part"
    )
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(
            sdist.url, timeout=timeout
        ) as response:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sdist.sha256:
            raise Unmeasurable(BAD_SDIST, f"{sdist.filename}: sha256 {digest.hexdigest()} is not the "
                               f"index's {sdist.sha256}; refused")  # fmt: skip
        os.replace(temporary, path)
    except OSError as exc:
        if exc.errno in FULL:
            raise Unmeasurable(DISK, full_disk(exc, temporary)) from exc
        raise Unmeasurable(NETWORK, f"cannot download {sdist.url}: {exc}") from exc
    except ValueError as exc:
        raise Unmeasurable(NETWORK, f"cannot download {sdist.url}: {exc}") from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def full_disk(exc: OSError, where=None) -> str:
    """A full disk's reason, naming the path it could not write."""
    where = exc.filename or where or "the survey's folder"
    return f"the disk is full: {where} could not be written ({os.strerror(exc.errno)})"


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or ":" in path.parts[0]:
        raise Unmeasurable(BAD_SDIST, f"the sdist holds a member outside its folder: {name!r}")
    return path


def _checked_tar(archive: tarfile.TarFile) -> list:
    members, total = [], 0
    for member in archive:  # read one by one: a refused archive is never read whole
        if len(members) >= MAX_MEMBERS:
            raise Unmeasurable(
                BAD_SDIST, f"the sdist holds more than {MAX_MEMBERS} members; refused"
            )
        path = _member_path(member.name)
        if member.issym() or member.islnk():
            target = PurePosixPath(member.linkname)
            joined = target if member.islnk() else path.parent / target
            if target.is_absolute() or ".." in PurePosixPath(os.path.normpath(joined)).parts:
                raise Unmeasurable(BAD_SDIST, f"the sdist links {member.name!r} outside its folder")
        elif not (member.isfile() or member.isdir()):
            raise Unmeasurable(BAD_SDIST, f"the sdist holds a special file: {member.name!r}")
        total += member.size
        members.append(member)
    if total > MAX_UNPACKED:
        raise Unmeasurable(BAD_SDIST, f"the sdist unpacks to {total} bytes; refused")
    return members


def _checked_zip(archive: zipfile.ZipFile) -> list:
    if len(archive.infolist()) > MAX_MEMBERS:
        raise Unmeasurable(BAD_SDIST, f"the sdist holds more than {MAX_MEMBERS} members; refused")
    for info in archive.infolist():
        _member_path(info.filename)
    if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
        raise Unmeasurable(BAD_SDIST, "the sdist unpacks past the limit; refused")
    return archive.infolist()


def extract(path: Path, destination: Path) -> Path:
    """Unpack the sdist's one top folder as ``destination`` (replaced); every member's path is
    checked first, and tar members go through tarfile's ``data`` filter."""
    work = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".extract-"))
    try:
        try:
            if path.name.endswith(".zip"):
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(work, members=_checked_zip(archive))
            else:
                with tarfile.open(path) as archive:
                    members = _checked_tar(archive)
                    if hasattr(tarfile, "data_filter"):
                        archive.extractall(work, members=members, filter="data")
                    else:  # pragma: no cover - Pythons before 3.10.12: the checks above only
                        archive.extractall(work, members=members)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
            raise Unmeasurable(BAD_SDIST, f"{path.name} is not a readable archive: {exc}") from exc
        tops = [p for p in work.iterdir()]
        if len(tops) != 1 or not tops[0].is_dir() or tops[0].is_symlink():
            raise Unmeasurable(BAD_SDIST, f"{path.name} does not hold one top folder")
        if destination.is_symlink() or destination.is_file():
            destination.unlink()
        elif destination.exists():
            shutil.rmtree(destination)
        tops[0].rename(destination)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return destination
