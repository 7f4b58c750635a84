"""The Pythons a survey's cells can all install on, when ``--python`` is not given: the
installed CPythons that every exact ``--with`` pin's release allows (its ``requires-python``
on the index, PEP 691). A project then runs on one of its own envs for such a Python, never on
one where the change cannot install (py39 for numpy==2.2.6, which needs Python>=3.10)."""

from __future__ import annotations

import functools
import sys
import urllib.error

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from harness import index
from harness.errors import HarnessError
from harness.stages import interpreters
from harness.stages import select as matrix


def requires_python(name: str, version: str, files: list) -> SpecifierSet:
    """What the index's files of ``name==version`` say of the Python they need (all of them
    together); an empty SpecifierSet when none says."""
    found = SpecifierSet()
    for entry in files:
        if _version(entry.get("filename", "")) != Version(version):
            continue
        try:
            found &= SpecifierSet(entry.get("requires-python") or "")
        except (InvalidSpecifier, TypeError):
            continue
    return found


def _version(filename: str):
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def needed(changes: list, files=index.files) -> dict:
    """``{pin: SpecifierSet}`` for each exact pin of the ``--with`` groups that names a Python."""
    found = {}
    for name, spec in (pin for group in changes for pin in matrix.parse_pins([group]).items()):
        if not spec.startswith("==") or "*" in spec:
            continue
        try:
            wanted = requires_python(name, spec[2:], files(name))
        except (HarnessError, urllib.error.URLError, OSError, ValueError):
            continue  # the index cannot say: the pin does not narrow the choice
        if str(wanted):
            found[f"{name}{spec}"] = wanted
    return found


def allowed(needs: dict, minors: list) -> list:
    """The ``minors`` ("3.12", "3.11", …) every one of ``needs`` allows, in their order."""
    return [m for m in minors if all(Version(f"{m}.0") in s or Version(f"{m}.99") in s
                                     for s in needs.values())]  # fmt: skip


@functools.lru_cache(maxsize=8)  # once a survey: every project has the same --with groups
def installable(changes: tuple) -> tuple:
    """The installed CPython minors, newest first, that every ``--with`` group can install on."""
    minors = [found.minor for found in interpreters.installed()]
    return tuple(allowed(needed(list(changes)), minors))


def generated(python: str, pythons: tuple) -> str:
    """The Python of a tox config the harness writes: ``python`` when asked; else "" (tox's
    own) when the cells can install on it, else the newest of ``pythons`` they can."""
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return python or ("" if not pythons or own in pythons else pythons[0])
