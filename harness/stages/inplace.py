"""An ad-hoc cell's requirements in place of the project's own, wherever its env reads them.

A derived cell (``select.derived_cells``) carries requirement lines (``replacing``). Each
requirement of the same package that the env reads is edited the way Dependabot edits it: the
name as written, its extras and marker kept, the new specifier. The user's files are never
written:

- the ``-r`` / ``-c`` files of its deps (nested too, each path read from its file's folder)
  and its ``constraints`` files: edited copies go to ``LOCKS/CELL.inputs/``, the harness's own
  folder, and the cell reads those;
- a dependency group it installs: the group's requirements, edited, become deps lines;
- the project's own ``[project.dependencies]`` and the extras it installs (static ones): the
  lock resolves them edited, and the install takes the new pins as uv overrides. The lock has
  by then checked every other package's metadata against the pins, so the overrides replace
  only the project's own declaration.

A hash-pinned requirement's hashes belong to its old version. When a cell replaces a pin in
its files, the files of that tree that carry hashes are copied without them (pip checks all
or none): the cell installs without hash checking, and ``unhashed`` names those files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness import bounded
from harness.files import write_atomic
from harness.model import Cell
from harness.stages import reqfile

SUFFIX = ".inputs"  # LOCKS/CELL.inputs/: the cell's edited copies


@dataclass
class Placed:
    cell: Cell
    files: dict = field(default_factory=dict)  # Path -> text: the copies to write

    def written(self) -> bool:
        """Whether every copy is on disk as it would be written now."""
        return all(path.is_file() and path.read_text() == text for path, text in self.files.items())


def wanted_of(lines: list) -> dict:
    """``{canonical name: [Requirement]}`` of requirement lines."""
    found = {}
    for line in lines:
        requirement = reqfile.parse(line.split(" #")[0].strip())
        if requirement is not None:
            found.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return found


def edited(requirement: Requirement, wanted: dict):
    """The requirement as the cell wants it (its specifier, its marker where it has one), or
    None when it names another package or says that already."""
    choices = wanted.get(canonicalize_name(requirement.name))
    if not choices or any(str(w) == str(requirement) for w in choices):
        return None
    marker = str(requirement.marker or "")
    chosen = next((w for w in choices if str(w.marker or "") == marker), choices[0])
    new = Requirement(str(requirement))
    new.url, new.specifier = chosen.url, chosen.specifier
    new.extras = set(new.extras) | set(chosen.extras)
    new.marker = chosen.marker or new.marker
    return None if str(new) == str(requirement) else new


def place(cell: Cell, project: Path, locks: Path) -> Placed:
    """The cell reading its edited copies, and those copies; the cell as it is when it replaces
    nothing."""
    wanted = wanted_of(cell.replacing)
    if not wanted or cell.replaced:  # nothing to replace, or placed already
        return Placed(cell)
    tree = _Tree(project, locks / f"{cell.name}{SUFFIX}", wanted)
    roots = {}
    for line in [*cell.deps, *(f"-c {path}" for path in cell.constraints)]:
        include = reqfile.INCLUDE.match(line)
        if include:
            required = include.group(1) in ("-r", "--requirement")
            roots[line] = tree.add(_path(project, include.group(2)), required)
    files = tree.copies()
    deps = [_reread(line, roots, tree) for line in cell.deps]
    constraints = [tree.dest.get(_path(project, c), c) for c in cell.constraints]
    replaced, overrides = list(tree.replaced), []
    groups, group_lines = _groups(cell, project, wanted, replaced)
    for record in _declared(cell, project, wanted)[1]:
        replaced.append(record)
        overrides += [str(w) for w in wanted[record["package"]] if str(w) not in overrides]
    changed = replace(
        cell, deps=deps + group_lines, constraints=[str(c) for c in constraints], groups=groups,
        replaced=replaced, overrides=overrides, unhashed=tree.unhashed,
    )  # fmt: skip
    return Placed(changed, files)


def place_all(cells: list, project: Path, locks: Path) -> list:
    """The cells as they read their edited copies, the copies written."""
    placed = [place(cell, project, locks) for cell in cells]
    for one in placed:
        for path, text in one.files.items():
            write_atomic(path, text)
    return [one.cell for one in placed]


def _path(project: Path, target: str) -> Path:
    return (project / target).resolve()


def _reread(line: str, roots: dict, tree) -> str:
    include = reqfile.INCLUDE.match(line)
    if not include or roots.get(line) not in tree.dest:
        return line
    return (
        f"{'-c' if include.group(1) in ('-c', '--constraint') else '-r'} {tree.dest[roots[line]]}"
    )


class _Tree:
    """The requirement files an env reads, from its deps and constraints down."""

    def __init__(self, project: Path, home: Path, wanted: dict) -> None:
        self.project, self.home, self.wanted = project, home, wanted
        self.entries, self.kinds = {}, {}  # path -> [Entry]; path -> [(child, "-r" | "-c")]
        self.replaced, self.unhashed, self.dest = [], [], {}
        self.new = {}  # path -> {entry index: Requirement}
        self.required = set()  # the files read as requirements (-r), not only as constraints

    def add(self, path: Path, required: bool) -> Path:
        if required and path not in self.required and path in self.entries:
            self.required.add(path)  # read as a constraint first: its -r files are required too
            for child, kind in self.kinds[path]:
                self.add(child, kind == "-r")
        self.required |= {path} if required else set()
        if path in self.entries:
            return path
        try:
            found = reqfile.entries(path.read_text())
        except (OSError, UnicodeDecodeError):
            found = []  # tox names a missing file when it installs
        self.entries[path], self.kinds[path], self.new[path] = found, [], {}
        for index, entry in enumerate(found):
            if entry.include:
                child = (path.parent / entry.include[1]).resolve()
                self.kinds[path].append((child, entry.include[0]))
                self.add(child, required and entry.include[0] == "-r")
            elif entry.requirement:
                old = Requirement(entry.requirement)
                new = edited(old, self.wanted)
                if new is not None:
                    self.new[path][index] = new
                    self.replaced.append({"package": canonicalize_name(old.name),
                                          "was": entry.requirement, "in": self.shown(path)})  # fmt: skip
        return path

    def shown(self, path: Path) -> str:
        root = self.project.resolve()
        return str(path.relative_to(root)) if root in path.parents else str(path)

    def copies(self) -> dict:
        edited_files = {path for path, new in self.new.items() if new}
        hashed = {p for p, found in self.entries.items() if any(e.hashes for e in found)}
        dropped = hashed if edited_files & self.required else set()  # pip: all hashed or none
        self.unhashed = sorted(self.shown(p) for p in dropped)
        copied = edited_files | dropped
        while True:  # a file that includes a copy is copied too, to read that copy
            more = {p for p, kids in self.kinds.items() if copied & {k for k, _ in kids}} - copied
            if not more:
                break
            copied |= more
        for path in copied:
            shown = self.shown(path)
            if Path(shown).is_absolute():
                digest = hashlib.sha256(str(path.parent).encode()).hexdigest()[:12]
                shown = f"_outside/{digest}/{path.name}"
            self.dest[path] = self.home / shown
        return {self.dest[path]: self._text(path, path in dropped) for path in copied}

    def _text(self, path: Path, unhashed: bool) -> str:
        lines = []
        for index, entry in enumerate(self.entries[path]):
            if entry.include:
                child = (path.parent / entry.include[1]).resolve()
                lines.append(f"{entry.include[0]} {self.dest.get(child, child)}")
            elif index in self.new[path]:
                lines.append(str(self.new[path][index]))
            else:
                lines.append(entry.unhashed if unhashed else entry.text)
        return "".join(f"{line}\n" for line in lines)


def _pyproject(project: Path) -> dict:
    try:
        return bounded.load_toml(project / "pyproject.toml")
    except (OSError, ValueError):
        return {}


def _groups(cell: Cell, project: Path, wanted: dict, replaced: list) -> tuple:
    """The groups the cell still installs as groups, and the deps lines of those it edits."""
    tables = _pyproject(project).get("dependency-groups", {})
    named = {canonicalize_name(name): values for name, values in tables.items()}
    kept, lines = [], []
    for group in cell.groups:
        found = _group(named, canonicalize_name(group), set())
        new = [edited(r, wanted) for r in found]
        if not any(new):
            kept.append(group)
            continue
        lines += [str(n or r) for r, n in zip(found, new)]
        replaced += [{"package": canonicalize_name(r.name), "was": str(r),
                      "in": f"pyproject.toml [dependency-groups] {group}"}
                     for r, n in zip(found, new) if n]  # fmt: skip
    return kept, lines


def _group(named: dict, group: str, seen: set) -> list:
    found = []
    seen.add(group)
    for value in named.get(group, []):
        if isinstance(value, dict) and "include-group" in value:
            included = canonicalize_name(str(value["include-group"]))
            found += [] if included in seen else _group(named, included, seen)
        elif isinstance(value, str) and reqfile.parse(value) is not None:
            found.append(Requirement(value))
    return found


def _declared(cell: Cell, project: Path, wanted: dict) -> tuple:
    """``(requirement lines, replaced records)``: the project's own static dependencies and
    those of the extras the env installs, edited; nothing when it is not installed."""
    table = _pyproject(project).get("project", {})
    if cell.package == "skip" or "dependencies" in table.get("dynamic", []):
        return [], []
    own = canonicalize_name(str(table.get("name", "")))
    extras = {canonicalize_name(name): values
              for name, values in table.get("optional-dependencies", {}).items()}  # fmt: skip
    pending = [(None, value) for value in table.get("dependencies", [])]
    pending += [(e, v) for e in map(canonicalize_name, cell.extras) for v in extras.get(e, [])]
    lines, records, seen = [], [], set(map(canonicalize_name, cell.extras))
    while pending:
        extra, value = pending.pop(0)
        requirement = reqfile.parse(value)
        if requirement is None:
            continue
        if canonicalize_name(requirement.name) == own:  # `proj[test]`: its extras' requirements
            for more in map(canonicalize_name, requirement.extras):
                pending += [] if more in seen else [(more, v) for v in extras.get(more, [])]
                seen.add(more)
            continue
        new = edited(requirement, wanted)
        lines.append(str(new or requirement))
        if new is not None:
            where = (
                f"[project.optional-dependencies] {extra}" if extra else "[project.dependencies]"
            )
            records.append({"package": canonicalize_name(requirement.name),
                            "was": value, "in": f"pyproject.toml {where}"})  # fmt: skip
    return lines, records


def declared(cell: Cell, project: Path) -> list:
    """What the lock resolves in place of the project itself when the cell overrides its own
    pins: its static dependencies and extras, edited."""
    return _declared(cell, project, wanted_of(cell.replacing))[0]
