"""Resolving as of a date (``--as-of``): every package as it stood then (uv's
``--exclude-newer``), except the cell's pins and the packages those pins force forward, which
are exempted (``--exclude-newer-package NAME=NOW``) and named in the lock.

A lock made as of a date records it on its third line::

    # as of: 2020-12-22T00:00:00Z; exempt: numpy (pinned), sympy (forced forward)

The env installs from the lock's whole closure (its constraints), so the lock alone carries
the date to the env.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from harness.errors import HarnessError

RELEASE = "release"  # survey: each project's own upload date
PREFIX = "# as of: "
PINNED, FORCED = "pinned", "forced forward"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Exempt:
    """What a lock made as of a date left out of the cut-off, and why."""

    as_of: str = ""  # RFC 3339, UTC: "2020-12-22T00:00:00Z"; "" when resolved as of now
    pinned: list = field(default_factory=list)  # the cell's pins
    forced: list = field(default_factory=list)  # dependencies of the pins newer than the date

    def line(self) -> str:
        return f"{PREFIX}{self.as_of}; exempt: {', '.join(self.exempted()) or 'none'}\n"

    def exempted(self) -> list:
        return [f"{n} ({PINNED})" for n in self.pinned] + [f"{n} ({FORCED})" for n in self.forced]

    def words(self) -> str:
        """``as of 2020-12-22 (numpy pinned; sympy forced forward)``, for reports."""
        if not self.as_of:
            return ""
        parts = [f"{', '.join(self.pinned)} {PINNED}"] if self.pinned else []
        parts += [f"{', '.join(self.forced)} {FORCED}"] if self.forced else []
        return f"as of {shown(self.as_of)}" + (f" ({'; '.join(parts)})" if parts else "")


def parse(value: str, release: bool = False) -> str:
    """``--as-of``: '' (not asked), ``release`` (where ``release`` is allowed), or a date or an
    RFC 3339 date-time, as an RFC 3339 UTC timestamp. Anything else is a HarnessError."""
    value = (value or "").strip()
    if not value:
        return ""
    if value == RELEASE:
        if release:
            return RELEASE
        raise HarnessError("--as-of release is for harness survey, whose projects come from the "
                           "index; give a date such as 2022-06-01")  # fmt: skip
    try:
        if DATE.fullmatch(value):
            moment = datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.timezone.utc)
        else:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise HarnessError(f"--as-of {value!r} is not a date such as 2022-06-01, nor "
                           f"{RELEASE!r}") from None  # fmt: skip
    moment = moment.astimezone(datetime.timezone.utc)
    if moment > now():
        raise HarnessError(f"--as-of {value} is in the future")
    return stamp(moment)


def uploaded(entry: dict) -> str:
    """An index file's upload time as an RFC 3339 UTC time (the JSON API's
    ``upload_time_iso_8601``, PEP 700's ``upload-time``); "" when it gives none that reads so."""
    found = entry.get("upload_time_iso_8601") or entry.get("upload-time")
    try:
        return parse(found) if isinstance(found, str) else ""
    except HarnessError:
        return ""


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(as_of: str) -> str:
    """``2020-12-22`` for a midnight cut-off, else the whole timestamp."""
    return as_of[:10] if as_of.endswith("T00:00:00Z") else as_of


def pinned(cell) -> list:
    """The names of the cell's pins: exempt, whatever the date."""
    return sorted({canonicalize_name(name) for name in cell.pins})


def arguments(as_of: str, exempt: list, moment: datetime.datetime = None) -> list:
    """uv's options for a resolution as of ``as_of`` with ``exempt`` as of now."""
    if not as_of:
        return []
    until = stamp(moment or now())
    found = ["--exclude-newer", as_of]
    for name in exempt:
        found += ["--exclude-newer-package", f"{name}={until}"]
    return found


def forced_forward(cell, exempt: Exempt, compile_pins) -> Exempt:
    """``exempt`` with those of the pins' own dependencies the pins cannot be resolved without
    as of the date (pytest 8.3 needs a pluggy the date did not have); unchanged when the pins
    alone resolve then, as the date's failure is then the project's own. ``compile_pins(text, exempt or None)``: the names
    uv pinned for a requirements text, None when it could not."""
    pins = "".join(f"{name}{spec}\n" for name, spec in sorted(cell.pins.items()))
    if not pins or compile_pins(pins, exempt) is not None:
        return exempt
    today = compile_pins(pins, None)
    if today is None:
        return exempt
    needed = sorted({canonicalize_name(name) for name in today} - set(exempt.pinned))
    for name in list(needed):  # only what the pins cannot do without: the rest stays dated
        fewer = Exempt(exempt.as_of, exempt.pinned, [n for n in needed if n != name])
        if compile_pins(pins, fewer) is not None:
            needed.remove(name)
    return Exempt(exempt.as_of, exempt.pinned, needed)


def read(path: Path) -> Exempt:
    """What a harness lock says of its date (its third line); ``Exempt()`` when none."""
    try:
        with open(path) as handle:
            lines = [handle.readline() for _ in range(3)]
    except OSError:
        return Exempt()
    line = next((x for x in lines if x.startswith(PREFIX)), "")
    if not line:
        return Exempt()
    as_of, _, names = line[len(PREFIX) :].strip().partition("; exempt: ")
    kinds = {PINNED: [], FORCED: []}
    for entry in names.split(", "):
        name, _, why = entry.partition(" (")
        if why.rstrip(")") in kinds:
            kinds[why.rstrip(")")].append(name)
    return Exempt(as_of, kinds[PINNED], kinds[FORCED])
