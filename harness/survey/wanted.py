"""The projects a survey is asked for: ``NAME`` (its latest release) or ``NAME==VERSION``, on
the command line or one a line in a list file (``#`` starts a comment), each once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from harness import index
from harness.errors import HarnessError


@dataclass(frozen=True)
class Wanted:
    name: str  # canonical
    version: str = ""  # "" for the latest release

    def __str__(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name


def wanted_of(text: str) -> Wanted:
    """``NAME`` or ``NAME==VERSION``; anything else is bad input."""
    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement as exc:
        raise HarnessError(f"{text!r} is not a project, e.g. pandas or pandas==2.2.3") from exc
    specifiers = list(requirement.specifier)
    exact = (
        len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version
    )
    if requirement.extras or requirement.url or requirement.marker or (specifiers and not exact):
        raise HarnessError(f"{text!r}: give a project name, optionally ==VERSION")
    return Wanted(index.project_name(requirement.name), specifiers[0].version if exact else "")


def listed(args) -> list:
    """The projects asked for, in order, each once."""
    texts = list(args.projects)
    if args.from_file is not None:
        texts += read_list(args.from_file, "--from-file")
    found = list(dict.fromkeys(wanted_of(t) for t in texts if t.strip()))
    if not found:
        raise HarnessError("survey needs projects: name them, or pass --from-file FILE")
    return found


def read_list(path: Path, option: str) -> list:
    """A list file's entries: one PROJECT[==VERSION] a line, ``#`` starting a comment."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM is no project
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{option} {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
