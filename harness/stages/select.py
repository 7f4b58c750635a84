"""Which cells to run: tox's own view of its env list, labels and settings, plus ad-hoc cells.

An ad-hoc cell (``--with numpy==2.2.6``) starts from a named env (the first ``-e``, else the
first of ``env_list``), keeps its deps, commands and settings, and replaces the pins, wherever
the env reads the project's own requirement of the package (``inplace``). It runs
as a tox env of its own, ``{base}-with_{pins}``: its name keeps the base env's factors, so
tox's factor-conditional settings still apply, and ``{envname}`` names the cell.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness import bounded, processes
from harness.errors import ConfigError, ToolError
from harness.model import COMMAND_SETS, Cell
from harness.stages import noxsessions, provision, reqfile, sources, toxread
from harness.stages.sources import requirement_name, requirement_of
from harness.tox_plugin import PLAN_VARIABLE

KEYS = (
    "deps", "base_python", *COMMAND_SETS, "package", "extras", "constraints",
    "dependency_groups", "runner", "install_command",
)  # fmt: skip


LABELS_NOT_FOUND = "provided labels not found in configuration file"


def _tox_json(project: Path, arguments: list, plan: dict = None) -> dict:
    """What ``tox config --format json`` says, written to a file of its own: a value such as
    ``{env_site_packages_dir}`` makes tox build the env to answer, and it logs that on stdout.
    tox reads with a work dir of its own, thrown away after, so reading writes nothing into
    the project (not even ``.tox/.pkg``); that dir's path reads ``{work_dir}`` in the values.
    """
    tox = provision.tox_command(project)
    digest = toxread.key(project, tox, arguments, plan)
    kept = toxread.recall(digest)
    if kept is not None:
        try:
            return bounded.json_text(kept, "the tox config kept in the harness's cache")
        except ValueError:
            pass  # read it again
    with tempfile.TemporaryDirectory(prefix="harness-config-") as work:
        plan_file, answer = Path(work) / "plan.json", Path(work) / "config.json"
        plan_file.write_text(json.dumps(plan or {}))
        command = [*tox, "--workdir", str(Path(work) / "tox"), "-q",
                   "config", "--format", "json", "-o", str(answer), *arguments]  # fmt: skip
        env = {**os.environ, PLAN_VARIABLE: str(plan_file)} if plan else None
        try:
            done = processes.run(command, timeout=600, cwd=project, env=env)
            text = answer.read_text() if answer.is_file() else ""
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolError(f"cannot run tox: {exc}") from exc
    try:  # complete even when tox exits non-zero because some env's Python is missing
        text = text.replace(str(Path(work) / "tox"), "{work_dir}")
        found = json.loads(text)
        if done.returncode == 0:
            toxread.keep(digest, text)
        return found
    except ValueError:
        detail = [line for line in (done.stdout + done.stderr).strip().splitlines() if line.strip()]
        said = " ".join(detail)
        if LABELS_NOT_FOUND in said:  # tox 4.67+ refuses them before the harness can
            missing = said.split(LABELS_NOT_FOUND, 1)[1].strip(" :|")
            raise ConfigError(f"label(s) {missing} select no env ({LABELS_NOT_FOUND})") from None
        raise ConfigError(
            f"tox cannot read the configuration in {project}: " + " | ".join(detail[-3:])
        ) from None


def tox_config(project: Path, selector: list, plan: dict = None) -> dict:
    """``tox config --format json`` for the selected envs: ``{env: {key: value}}``."""
    return _tox_json(project, ["-k", *KEYS, *selector], plan).get("env", {})


def env_list(project: Path) -> list:
    core = _tox_json(project, ["--core", "-k", "env_list", "-e", "ALL"]).get("tox", {})
    return list(core.get("env_list", []))


def selector(envs: list = None, labels: list = None) -> list:
    if envs:
        return ["-e", ",".join(envs)]
    if labels:
        return ["-m", *labels]
    return []


def pins_from_deps(deps: list, root: Path = None) -> dict:
    """``{name: specifier}`` for each dep with a version specifier, in the deps and, with
    ``root`` (where tox resolves them), in the ``-r`` files they include; ``-c`` lines are
    constraints, not pins."""
    pins = {}
    for line in deps:
        include = reqfile.INCLUDE.match(line)
        if include and root is not None and include.group(1) in ("-r", "--requirement"):
            try:
                included = sources.read(root, [include.group(2)]).lines
            except (ConfigError, OSError):
                continue  # tox itself reports a missing file when it installs
            pins.update(pins_from_deps([entry.text for entry in included]))
            continue
        requirement = requirement_of(line)
        if requirement is not None and str(requirement.specifier):
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


def cell_from(name: str, values: dict, root: Path = None, **changes) -> Cell:
    fields = dict(
        name=name,
        pins=pins_from_deps(values.get("deps", []), root),
        deps=list(values.get("deps", [])),
        base_python=list(values.get("base_python", [])),
        commands={key: list(values.get(key, [])) for key in COMMAND_SETS},
        package=str(values.get("package", "skip")),
        extras=list(values.get("extras", [])),
        constraints=[str(c) for c in values.get("constraints", [])],
        groups=list(values.get("dependency_groups", [])),
        runner=str(values.get("runner", "")),
        install_command=_lines(values.get("install_command", [])),
    )
    if noxsessions.runs_nox(fields["commands"]):
        fields["installer_constraints"] = list(noxsessions.CONSTRAINT_VARIABLES)
    fields.update(changes)
    return Cell(**fields)


def _lines(value) -> list:
    """A setting tox printed as a list, or as one string (a command line)."""
    return [value] if isinstance(value, str) else [str(line) for line in value]


def tox_cells(project: Path, envs: list = None, labels: list = None) -> list:
    config = tox_config(project, selector(envs, labels))
    return [cell_from(name, values, project) for name, values in config.items()]


def parse_pins(specs: list) -> dict:
    """``["torch==2.2.2,numpy>=2"]`` -> ``{"torch": "==2.2.2", "numpy": ">=2"}``.

    A comma starts a new pin where what follows it begins with a name; otherwise it is part of
    the specifier (``numpy>=2,<3``).
    """
    pins = {}
    for spec in (part for group in specs for part in re.split(r",(?=\s*[A-Za-z])", group)):
        try:
            requirement = Requirement(spec.strip())
        except InvalidRequirement as exc:
            raise ConfigError(f"--with {spec!r} is not a requirement: {exc}") from exc
        arbitrary = any(s.operator == "===" for s in requirement.specifier)
        if not str(requirement.specifier) or requirement.url or requirement.extras or arbitrary:
            raise ConfigError(f"--with {spec!r} must be a name with a version, e.g. torch==2.2.2")
        pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return pins


OPERATOR_WORDS = {"==": "", "===": "", "!=": "not", "<=": "le", ">=": "ge", "<": "lt", ">": "gt",
                  "~=": "compat"}  # fmt: skip


def adhoc_name(base: str, pins: dict) -> str:
    """``torch21-numpy126`` + ``{"numpy": "==2.2.6"}`` -> ``torch21-numpy126-with_numpy2.2.6``.

    One factor, made of letters, digits, dots and underscores only, so it is a safe file name
    and matches no factor of the project.
    """
    parts = []
    for name, spec in sorted(pins.items()):
        text = re.sub(r"(===|==|!=|<=|>=|~=|<|>)", lambda m: OPERATOR_WORDS[m.group(1)], spec)
        parts.append(re.sub(r"[^A-Za-z0-9.]+", "_", f"{name.replace('-', '_')}{text}"))
    return f"{base}-with_" + "_".join(parts).strip("_.")


def adhoc_cells(project: Path, groups: list, base: str) -> list:
    """One cell per ``--with`` group, each on top of the env ``base``."""
    wanted = {}
    for group in groups:
        pins = parse_pins([group])
        wanted[adhoc_name(base, pins)] = [f"{n}{s}" for n, s in pins.items()]
    return derived_cells(project, base, wanted)


def derived_cells(project: Path, base: str, wanted: dict, base_cell: Cell = None) -> list:
    """Cells that take the env ``base``'s settings, with ``{name: requirement lines}`` in place
    of the deps that name the same packages, and of the project's own requirements of them
    wherever the env reads them (``replacing``: ``inplace`` edits copies once the reports
    folder is held). An env that installs uv.lock takes no lines.
    ``base_cell``: the env ``base`` as ``tox_cells`` read it, when the caller has it already."""
    plan = {"cells": {name: {"base": base} for name in wanted}}
    config = tox_config(project, ["-e", ",".join(wanted)], plan)
    base_cell = base_cell or tox_cells(project, [base])[0]
    if base_cell.installs_from_uv_lock and any(wanted.values()):
        raise ConfigError(
            f"cannot pin env {base}: it installs the project's uv.lock ({base_cell.runner}); "
            "start from an env that installs deps"
        )
    cells = []
    for name, lines in wanted.items():
        values = config[name]
        replaced = {requirement_name(line) for line in lines} - {None}
        kept = [
            line
            for line in values.get("deps", [])
            if requirement_name(line) not in replaced and name not in line
        ]
        pins = {**base_cell.pins, **pins_from_deps(lines)}
        cells.append(
            cell_from(name, {**values, "deps": kept + list(lines)}, project, pins=pins, base_env=base,
                      adhoc=True, replacing=list(lines))
        )  # fmt: skip
    return cells


PATH_OR_URL = re.compile(r"^(\.|/|~|[A-Za-z][A-Za-z0-9+.-]*://|git\+)|\.(whl|zip|tar\.gz|tgz)$")


def check_deps(cell: Cell) -> None:
    """Every deps line is an option, a requirement, a path or a URL; else the config is bad."""
    for line in cell.deps:
        text = line.split(" #")[0].strip()
        if not text or text.startswith("-") or PATH_OR_URL.search(text):
            continue
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise ConfigError(
                f"env {cell.name}: deps line {line!r} is not a requirement, path or URL ({exc})"
            ) from exc


def select(project: Path, envs: list = None, labels: list = None, adhoc: list = None) -> list:
    """The cells of a run: tox envs (default env list when nothing is named) and ad-hoc cells."""
    cells = [] if (adhoc and not envs and not labels) else tox_cells(project, envs, labels)
    if adhoc:
        base = (envs or [None])[0] or next(iter(env_list(project)), None)
        if base is None:
            raise ConfigError("--with needs an env to start from: name one with -e")
        cells += adhoc_cells(project, adhoc, base)
    for cell in cells:
        check_deps(cell)
    names = [cell.name for cell in cells]
    if len(set(names)) != len(names):
        raise ConfigError(f"duplicate cells in selection: {names}")
    if not cells:
        what = (
            f"label(s) {', '.join(labels)} select no env" if labels else "tox.ini has no env_list"
        )
        raise ConfigError(f"the selection is empty: {what}; name envs with -e or labels with -m")
    return cells


def forced(cells: list) -> list:
    """Each cell as a forced twin, ``{name}-forced``: installed with its pins as uv overrides,
    against what its packages' metadata allows. Never mixed with normal cells."""
    return [
        replace(cell, name=f"{cell.name}-forced", base_env=cell.base_env or cell.name, adhoc=True,
                forced=True, deps=[d for d in cell.deps if cell.name not in d])
        for cell in cells
    ]  # fmt: skip
