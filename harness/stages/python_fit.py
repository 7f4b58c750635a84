"""The Python a cell runs on when its env names none, and why.

An env without ``base_python`` runs on the Python that runs tox, the tool's own. When uv's
resolver says that Python cannot install the cell's pins (a pinned release has no wheel with
its ABI tag, or demands another Python in its metadata), the pins do not contradict each
other: the cell is not unsatisfiable. It is locked again with the other CPythons found
(``interpreters.installed``: PATH, pyenv, uv's), newest first among those uv's words allow,
and runs on the first that locks; progress says which and why. When none does, the cell is not
measured, and one line, derived from what uv said, names the Python to install. A lock records
the Python it was made for (``lock.locked_for``), and while it is current the cell runs on
that Python again.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from harness.model import Cell, Failure
from harness.stages import interpreters, lock, provision

SPEC = r"[<>=!~]=?[0-9.*]+(?:,\s*[<>=!~]=?[0-9.*]+)*"
NO_WHEEL = re.compile(r"(\S+) has no wheels with a matching Python (?:ABI|implementation) tag")
WHEEL_TAGS = re.compile(
    r"only found wheels for `([^`]+)` \(v([^)\s]+)\) with the following Python ABI tags?: "
    r"((?:`[^`]+`(?:, )?)+)"
)
NEEDS_PYTHON = re.compile(
    rf"Python version \([0-9.]+\) does not satisfy Python{SPEC} and (\S+) depends on "
    rf"Python({SPEC})"
)
CPYTHON_TAG = re.compile(r"cp3(\d+)m?")


@dataclass(frozen=True)
class Misfit:
    """One reason a Python cannot install the pins, in uv's terms, and the CPythons it allows."""

    on_host: str  # "Python 3.12 has no wheel for torch==2.1.2"
    needs: str  # "torch==2.1.2 has wheels for cp38–cp311 only"
    allowed: frozenset  # {"3.8", "3.9", "3.10", "3.11"}


def misfits(text: str, minor: str) -> list:
    """The reasons uv gave (``text``) why CPython ``minor`` cannot install the pins; empty when
    its reasons are not about the Python (a conflict, a missing version, the network)."""
    text = " ".join(text.split())
    found = []
    tags = WHEEL_TAGS.search(text)
    for match in NO_WHEEL.finditer(text):
        if tags:
            name = f"{tags.group(1)}=={tags.group(2)}"
            minors = [m.group(1) for m in map(CPYTHON_TAG.fullmatch, _ticked(tags.group(3))) if m]
            allowed = frozenset(f"3.{m}" for m in minors)
            found.append(Misfit(f"Python {minor} has no wheel for {name}",
                                f"{name} has wheels for {_span(minors)} only", allowed))  # fmt: skip
        else:
            name = match.group(1)
            allowed = frozenset(interpreters.KNOWN) - {minor}
            found.append(Misfit(f"Python {minor} has no wheel for {name}",
                                f"{name} has no wheel for Python {minor}", allowed))  # fmt: skip
    for match in NEEDS_PYTHON.finditer(text):
        name, spec = match.group(1).rstrip(","), match.group(2)
        try:
            specifier = SpecifierSet(spec)
        except InvalidSpecifier:
            continue
        allowed = frozenset(v for v in interpreters.KNOWN if Version(v) in specifier)
        found.append(Misfit(f"{name} needs Python{spec}, not {minor}",
                            f"{name} needs Python{spec}", allowed))  # fmt: skip
    return found


def _ticked(text: str) -> list:
    return re.findall(r"`([^`]+)`", text)


def _span(minors: list) -> str:
    """``cp38–cp311`` for consecutive versions, else each one."""
    numbers = sorted({int(m) for m in minors})
    if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        return f"cp3{numbers[0]}–cp3{numbers[-1]}"
    return ", ".join(f"cp3{n}" for n in numbers) or "no CPython"


def install_hint(seen: list) -> Failure:
    """Why no Python found could lock the cell: the Python to install, or, when no CPython
    satisfies every reason uv gave, an unsatisfiable cell."""
    reasons = "; ".join(dict.fromkeys(m.needs for m in seen))
    allowed = frozenset(interpreters.KNOWN).intersection(*(m.allowed for m in seen))
    if not allowed:
        line = f"no CPython {interpreters.KNOWN[-1]}–{interpreters.KNOWN[0]} fits: {reasons}"
        return Failure("lock", "unsatisfiable", line, line)
    best = max(allowed, key=Version)
    line = f"install Python {best} (e.g. `uv python install {best}`): {reasons}"
    return Failure("lock", "python-missing", line, line)


def refit(outcome: lock.LockOutcome, project, table: tuple, candidates: list):
    """The outcome of locking a cell that names no Python with another Python, when its first
    lock failed because of its Python; the first outcome when that was not why."""
    host = interpreters.identify(outcome.python) if outcome.python else None
    if outcome.ok or host is None or host[0] != "cpython":
        return outcome
    minor = ".".join(host[1].split(".")[:2])
    seen = misfits(outcome.problem.evidence, minor)
    if not seen:
        return outcome
    why = seen[0].on_host
    for found in candidates:
        allowed = frozenset(interpreters.KNOWN).intersection(*(m.allowed for m in seen))
        if found.minor == minor or found.minor not in allowed:
            continue
        tried = lock.lock_cell(outcome.cell, outcome.path, project, found.path, table)
        more = [] if tried.ok else misfits(tried.problem.evidence, found.minor)
        if not more:  # it locked, or failed for a reason a Python with wheels gives: the answer
            tried.note = f"{why}; using Python {found.minor} ({found.origin})"
            return tried
        seen += more
    return lock.LockOutcome(outcome.cell, outcome.path, install_hint(seen), python=outcome.python)


def names_no_python(cell: Cell, project) -> bool:
    """Whether the env names no Python: tox then reports the Python that runs it."""
    if not cell.base_python:
        return True
    return cell.base_python == [provision.tox_command(project)[0]]


def refit_all(outcomes: dict, project, pythons: dict, table: tuple, note) -> None:
    """Lock again, with another Python, the cells whose Python was why their lock failed;
    ``outcomes`` and ``pythons`` are updated in place, and ``note`` says which and why."""
    failed = [o for o in outcomes.values() if not o.ok and names_no_python(o.cell, project)]
    failed = [o for o in failed if misfits(o.problem.evidence, "")]
    if not failed:
        return
    candidates = interpreters.installed(lock.uv_binary())
    with ThreadPoolExecutor(max_workers=4) as pool:
        refitted = list(pool.map(lambda o: refit(o, project, table, candidates), failed))
    for outcome in refitted:
        outcomes[outcome.cell.name] = outcome
        if outcome.python:
            pythons[outcome.cell.name] = outcome.python
        if outcome.note:
            note(f"{outcome.cell.name}: {outcome.note}")


def reuse(cells: list, paths: dict, pythons: dict, project, note) -> list:
    """Run each cell that names no Python on the Python its current lock was made for; returns
    the cells whose lock must be made again because that Python is no longer found."""
    moved, again = {}, []
    for cell in cells:
        wanted = lock.locked_for(paths[cell.name])
        host = interpreters.identify(pythons[cell.name]) if pythons[cell.name] else None
        if not wanted or not host or not names_no_python(cell, project):
            continue
        if wanted == _minor(host):
            continue
        found = interpreters.find(interpreters.parse(wanted), lock.uv_binary())
        if found is None:
            again.append(cell)
            continue
        pythons[cell.name] = found.path
        moved.setdefault((wanted, found.origin, _minor(host)), []).append(cell.name)
    for (wanted, origin, minor), names in moved.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        note(f"{shown}: locked for Python {wanted}; using Python {wanted} ({origin}), not {minor}")
    return again


def _minor(identity: tuple) -> str:
    implementation, version = identity
    return ("pypy" if implementation == "pypy" else "") + ".".join(version.split(".")[:2])
