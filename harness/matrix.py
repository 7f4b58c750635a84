"""Which cells to run: tox's own view of its env list, labels and deps, plus ad-hoc cells."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .cells import Cell
from .errors import ConfigError, ToolError

ADHOC_BASE_ENV = "py"  # tox knows this env in every project: [testenv] with no factors


def tox_command() -> list:
    return [sys.executable, "-m", "tox"]


KEYS = ("deps", "base_python", "commands")


def tox_config(project: Path, selector: list, keys: tuple = KEYS) -> dict:
    """``tox config --format json`` for the selected envs: ``{env: {key: value}}``."""
    command = [*tox_command(), "config", "--format", "json", "-k", *keys, *selector]
    try:
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as exc:  # pragma: no cover - sys.executable always exists
        raise ToolError(f"cannot run tox: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()
        raise ConfigError(
            f"tox cannot read the configuration in {project}: " + " | ".join(detail[-3:])
        )
    try:
        return json.loads(done.stdout)["env"]
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"tox printed no configuration for {selector}: {done.stdout[:200]}"
        ) from exc


def selector(envs: list = None, labels: list = None) -> list:
    if envs:
        return ["-e", ",".join(envs)]
    if labels:
        return ["-m", *labels]
    return []


def pins_from_deps(deps: list) -> dict:
    """``{name: specifier}`` for each dep with a version specifier (option lines skipped)."""
    pins = {}
    for line in deps:
        line = line.strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # a path or URL dep: tox accepts it, it pins nothing we can report
        if str(requirement.specifier):
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


def tox_cells(project: Path, envs: list = None, labels: list = None) -> list:
    config = tox_config(project, selector(envs, labels))
    return [_cell(name, values) for name, values in config.items()]


def _cell(name: str, values: dict, **changes) -> Cell:
    fields = dict(
        name=name,
        pins=pins_from_deps(values["deps"]),
        deps=list(values["deps"]),
        tox_env=name,
        base_python=list(values["base_python"]),
        uses_coverage="--cov" in json.dumps(values.get("commands", [])),
    )
    fields.update(changes)
    return Cell(**fields)


def parse_pins(specs: list) -> dict:
    """``["torch==2.2.2", "numpy>=2"]`` -> ``{"torch": "==2.2.2", "numpy": ">=2"}``."""
    pins = {}
    for spec in specs:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as exc:
            raise ConfigError(f"--with {spec!r} is not a requirement: {exc}") from exc
        if not str(requirement.specifier) or requirement.url or requirement.extras:
            raise ConfigError(f"--with {spec!r} must be a name with a version, e.g. torch==2.2.2")
        pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


def adhoc_cell(project: Path, specs: list) -> Cell:
    """A cell from ``--with`` pins on top of the project's base ``[testenv]`` deps."""
    pins = parse_pins(specs)
    base = tox_config(project, ["-e", ADHOC_BASE_ENV])[ADHOC_BASE_ENV]
    kept = [
        line for line in base["deps"]
        if not line.strip().startswith("-c") and _name(line) not in pins
    ]  # fmt: skip
    deps = kept + [f"{name}{spec}" for name, spec in pins.items()]
    digest = hashlib.sha256(json.dumps(sorted(pins.items())).encode()).hexdigest()[:8]
    name = "adhoc-" + "-".join(f"{n}{s.lstrip('=<>!~')}" for n, s in pins.items()) + f"-{digest}"
    return _cell(name, base, pins=pins, deps=deps, tox_env=ADHOC_BASE_ENV, adhoc=True)


def _name(line: str):
    try:
        return canonicalize_name(Requirement(line.strip()).name)
    except InvalidRequirement:
        return None


def select(project: Path, envs: list = None, labels: list = None, adhoc: list = None) -> list:
    """The cells of a run: tox envs (default env list when nothing is named) and ad-hoc cells."""
    cells = [] if (adhoc and not envs and not labels) else tox_cells(project, envs, labels)
    if adhoc:
        cells.append(adhoc_cell(project, adhoc))
    names = [cell.name for cell in cells]
    if len(set(names)) != len(names):
        raise ConfigError(f"duplicate cells in selection: {names}")
    if not cells:
        raise ConfigError("the selection is empty: tox.ini has no env_list and no -e/-m was given")
    return cells
