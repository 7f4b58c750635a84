"""Survey folders joined into one (``harness merge`` of the folders a survey's CI shards
uploaded): their rows, and each row's evidence folder (``projects/NAME-VERSION``).

Every folder is input: its survey.json is checked against the schema, a folder of another
comparison is refused, a project's folder name is recomputed from the row (never read from
it) and copied without following links. A project in two folders with two different answers
is a conflict: the first folder's row stays and the conflict is named, unless one of them could
not be measured for a cause that may pass (a timeout, the network, the disk): the measured one
stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness.errors import HarnessError
from harness.files import copy_plain_tree
from harness.survey import measure, output
from harness.survey import row as rows
from harness.survey.wanted import wanted_of


@dataclass
class Joined:
    rows: list = field(default_factory=list)  # Row, the first folder's first
    changes: list = field(default_factory=list)  # the --with groups, the control first
    python: str = ""
    as_of: str = ""  # --as-of of the shards ("" : as of each measurement)
    wall_s: float = 0.0  # the longest shard's: they ran side by side
    interrupted: bool = False
    conflicts: list = field(default_factory=list)  # (project==version, first answer, other)
    # a row measured again (a timeout, then a measurement) replaces the earlier one
    unreadable: list = field(default_factory=list)  # folders whose survey.json was left out


def is_survey(folder: Path) -> bool:
    return (folder / "survey.json").is_file()


def holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds ``harness run``'s results (never merged with a survey)."""
    return (folder / "compat.json").exists() or (folder / "cells").is_dir()


def answer(row: rows.Row) -> str:
    """What a row answers, in words: two rows of one release compare by it."""
    text = row.outcome + (f" ({row.reason_kind})" if row.reason_kind else "")
    if row.broken_tests:
        text += f", {len(row.broken_tests)} broken: {row.broken_tests[0]['test']!r}…"
    return text + (f", first compatible {row.first_compatible}" if row.first_compatible else "")


def _better(first: rows.Row, other: rows.Row) -> bool:
    """Whether ``other`` replaces ``first``: a measurement over one whose cause may have passed
    (a timeout, the network, the disk: what ``--resume`` measures again)."""
    return first.retried and not other.retried


def join(sources: list, target: Path) -> Joined:
    """The rows of ``sources`` (and of a survey ``target`` already holds, first), their
    evidence copied into ``target``."""
    joined, seen, first = Joined(), {}, None
    for source in ([target] if is_survey(target) else []) + list(sources):
        try:
            doc = output.load(source)
            if doc is None:
                raise ValueError("no survey.json: did its survey stop before its first row?")
        except (OSError, ValueError) as exc:
            joined.unreadable.append(f"{source / 'survey.json'} ({exc})")
            continue
        comparison = [doc["comparison"]["control"], *doc["comparison"]["changes"]]
        if not joined.changes:
            joined.changes, joined.python, first = comparison, doc["python"], source
            joined.as_of = doc.get("as_of", "")
        elif (comparison, doc["python"], doc.get("as_of", "")) != (joined.changes, joined.python, joined.as_of):  # fmt: skip
            raise HarnessError(f"merge: {source} holds a survey of {' vs '.join(comparison)} "
                               f"(python {doc['python'] or 'as chosen'}{output.as_of_words(doc)}), {first} one of "
                               f"{' vs '.join(joined.changes)} (python {joined.python or 'as chosen'}"
                               f"{output.as_of_words({'as_of': joined.as_of})})")  # fmt: skip
        joined.wall_s = max(joined.wall_s, doc["summary"]["wall_s"])
        joined.interrupted |= doc["interrupted"]
        for row in map(rows.Row.from_dict, doc["rows"]):
            key = f"{row.project}=={row.version}"  # plain names: the schema's patterns
            earlier = seen.get(key)
            if earlier is not None and not _better(earlier, row):
                if answer(earlier) != answer(row) and not _better(row, earlier):
                    joined.conflicts.append((key, answer(earlier), answer(row)))
                continue
            seen[key] = row
            if source != target:
                _copy_evidence(source, target, row)
            joined.rows = [r for r in joined.rows if r is not earlier] + [row]
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


def unanswered_projects(planned: list, rows: list) -> list:
    """The planned ``NAME`` / ``NAME==VERSION`` entries that no row answers."""
    missing = []
    for text in dict.fromkeys(planned):
        want = wanted_of(text)
        if not any(r.project == want.name and (not want.version or _same(r.version, want.version))
                   for r in rows):  # fmt: skip
            missing.append(text)
    return missing


def _same(found: str, wanted: str) -> bool:
    try:
        return not found or Version(found) == Version(wanted)  # "": a not-found row answers
    except InvalidVersion:
        return found == wanted
