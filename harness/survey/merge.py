"""Survey folders joined into one (``harness merge`` of the folders a survey's CI shards
uploaded): their rows, and each row's evidence folder (``projects/NAME-VERSION``).

Every folder is input: its survey.json is checked against the schema, a folder of another
comparison is refused, a project's folder name is recomputed from the row (never read from
it) and copied without following links. A project in two folders with two different answers
is a conflict: the first folder's row stays and the conflict is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.files import copy_plain_tree
from harness.survey import measure, output
from harness.survey import row as rows


@dataclass
class Joined:
    rows: list = field(default_factory=list)  # Row, the first folder's first
    changes: list = field(default_factory=list)  # the --with groups, the control first
    python: str = ""
    wall_s: float = 0.0  # the longest shard's: they ran side by side
    interrupted: bool = False
    conflicts: list = field(default_factory=list)  # (project==version, first answer, other)
    unreadable: list = field(default_factory=list)  # folders whose survey.json was left out


def is_survey(folder: Path) -> bool:
    return (folder / "survey.json").is_file()


def answer(row: rows.Row) -> tuple:
    return (row.outcome, row.reason_kind, sorted(b["test"] for b in row.broken_tests),
            row.first_compatible)  # fmt: skip


def join(sources: list, target: Path) -> Joined:
    """The rows of ``sources`` (and of a survey ``target`` already holds, first), their
    evidence copied into ``target``."""
    joined, seen = Joined(), {}
    for source in ([target] if is_survey(target) else []) + list(sources):
        try:
            doc = output.load(source)
        except (OSError, ValueError) as exc:
            joined.unreadable.append(f"{source / 'survey.json'} ({exc})")
            continue
        comparison = [doc["comparison"]["control"], *doc["comparison"]["changes"]]
        if not joined.changes:
            joined.changes, joined.python = comparison, doc["python"]
        elif (comparison, doc["python"]) != (joined.changes, joined.python):
            raise HarnessError(f"merge: {source} holds a survey of {' vs '.join(comparison)}, "
                               f"not of {' vs '.join(joined.changes)}")  # fmt: skip
        joined.wall_s = max(joined.wall_s, doc["summary"]["wall_s"])
        joined.interrupted |= doc["interrupted"]
        for row in map(rows.Row.from_dict, doc["rows"]):
            key = f"{row.project}=={row.version}"
            if key in seen:
                if answer(seen[key]) != answer(row):
                    joined.conflicts.append((key, answer(seen[key]), answer(row)))
                continue
            seen[key] = row
            if source != target:
                _copy_evidence(source, target, row)
            joined.rows.append(row)
    return joined


def _copy_evidence(source: Path, target: Path, row: rows.Row) -> None:
    """The row's project folder, less its sources (the sdist is cached and named in the row)."""
    try:
        theirs = measure.folder_of(source, row.project, row.version)
        ours = measure.folder_of(target, row.project, row.version)
    except HarnessError:
        row.evidence = ""
        return
    reports = Path(measure.PROJECTS, ours.name, "reports")
    on_the_way = [theirs.parent, theirs, theirs / "reports", ours.parent, ours]
    if not any(path.is_symlink() for path in on_the_way):
        copy_plain_tree(theirs / "reports", ours / "reports")
    found = reports / "compat.html"
    row.evidence = str(found) if (target / found).is_file() else ""
