"""How a count reads in a report: "1 cell", "2 cells"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str = "") -> str:
    """``number`` and ``noun``, the noun plural unless the number is one."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
