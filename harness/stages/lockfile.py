"""What a lock file pins: ``name==version`` lines, or a project's ``uv.lock``."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import bounded


def locked(constraint: Path) -> set:
    """``{(name, version)}`` pinned by a lock file (``name==version`` lines, or a uv.lock)."""
    try:
        text = constraint.read_text()
    except OSError:
        return set()
    return _uv_lock_pins(text) if constraint.name == "uv.lock" else pins_in(text)


def pins_in(text: str) -> set:
    """``{(name, version)}`` of a requirements text's ``name==version`` lines."""
    pins = set()
    for line in text.splitlines():
        try:
            requirement = Requirement(line.split("#")[0].strip())
        except InvalidRequirement:
            continue
        (spec, *more) = list(requirement.specifier) or [None]
        if spec is not None and spec.operator == "==" and not more:
            pins.add((canonicalize_name(requirement.name), spec.version))
    return pins


def _uv_lock_pins(text: str) -> set:
    try:
        packages = bounded.toml_text(text).get("package", [])
    except ValueError:
        return set()
    return {
        (canonicalize_name(p["name"]), str(p["version"]))
        for p in packages
        if "registry" in p.get("source", {}) and "version" in p
    }
