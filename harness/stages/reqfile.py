"""A requirements file as pip and uv read it: logical lines, each a requirement with its
options (``--hash``), an include (``-r`` / ``-c``), or another option.

Lines ending in a backslash continue on the next line; a ``#`` at the start of a line or after
whitespace starts a comment (pip's ``join_lines`` and ``ignore_comments``, in that order). A
requirement is what a line says before its first option; ``packaging`` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

COMMENT = re.compile(r"(^|\s+)#.*$")
INCLUDE = re.compile(r"\s*(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s-]))(\S+)")
HASH = re.compile(r"--hash(?:=|\s+)\S+")


@dataclass(frozen=True)
class Entry:
    """One logical line: where it starts, and what it says with its comment dropped."""

    number: int  # 1-based, its first physical line
    text: str  # the requirement or option line, continuations joined, hashes kept
    requirement: str = ""  # the part before its options, when that is a requirement
    hashes: tuple = ()  # its ``--hash`` values
    include: tuple = ()  # ("-r" | "-c", target as written) for an include

    @property
    def unhashed(self) -> str:
        """The line without its ``--hash`` options: what a tox deps line may say."""
        return " ".join(HASH.sub(" ", self.text).split())

    @property
    def name(self):
        """The canonical name of the package a requirement line names; None otherwise."""
        parsed = parse(self.requirement)
        return canonicalize_name(parsed.name) if parsed else None


def parse(text: str):
    """A requirement, or None for a path, URL or anything packaging does not read as one."""
    if not text or text.startswith("-"):
        return None
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def logical_lines(text: str) -> list:
    """``[(first line number, logical line)]`` with continuations joined and comments dropped."""
    found, joined, first = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.endswith("\\") or COMMENT.match(line):
            if COMMENT.match(line):
                line = " " + line  # a comment line ends a continuation, and stays a comment
            if joined:
                found.append((first, "".join([*joined, line])))
                joined = []
            else:
                found.append((number, line))
        else:
            first = first if joined else number
            joined.append(line[:-1])
    if joined:
        found.append((first, "".join(joined)))
    cleaned = [(number, COMMENT.sub("", line).strip()) for number, line in found]
    return [(number, line) for number, line in cleaned if line]


def entries(text: str) -> list:
    """The file's logical lines as entries."""
    found = []
    for number, line in logical_lines(text):
        include = INCLUDE.match(line)
        if include:
            kind = "-c" if include.group(1) in ("-c", "--constraint") else "-r"
            found.append(Entry(number, line, include=(kind, include.group(2))))
            continue
        hashes = tuple(value.split("=", 1)[-1].split()[-1] for value in HASH.findall(line))
        words = HASH.sub(" ", line).split()
        cut = next((i for i, word in enumerate(words) if word.startswith("-")), len(words))
        requirement = " ".join(words[:cut]) if cut else ""
        found.append(Entry(number, line, requirement if parse(requirement) else "", hashes))
    return found
