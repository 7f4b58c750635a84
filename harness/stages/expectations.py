"""The cells a project declares as known to be broken, in the spirit of pytest's strict xfail,
and the comparison of each result with its declaration.

A project declares them in one checked-in table: ``[tool.harness.expected]`` of its
pyproject.toml, or ``[expected]`` of a ``harness-expected.toml`` beside its tox config (for
projects without a pyproject.toml). Each key is a cell name or an ``fnmatch`` glob, each value
what the cell is known to do::

    [tool.harness.expected]
    torch21-numpy22 = { verdict = "fail", signature = "numpy-bridge-unavailable",
                        reason = "torch 2.1 was built against NumPy 1.x" }

A cell takes the declaration of its own name, else the first glob that matches it, in the
file's order. ``compare`` is pure: a result and the declarations in, a ``Check`` out, which
says whether the result differs from what was declared (a new failure, a changed verdict or
signature, a cell that now passes).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from harness import bounded
from harness.errors import ConfigError
from harness.model import (
    CRASH,
    FAIL,
    PASS,
    UNMEASURED,
    UNSATISFIABLE,
    VERDICTS,
    CellResult,
)

PYPROJECT, STANDALONE = "pyproject.toml", "harness-expected.toml"
TABLES = {PYPROJECT: "[tool.harness.expected]", STANDALONE: "[expected]"}
DECLARABLE = (FAIL, CRASH, UNSATISFIABLE)  # a pass needs no declaration; the rest are unmeasured
KEYS = ("verdict", "signature", "reason")

# What a check finds. The first four are differences: the run exits 1 for them.
NEW_FAILURE = "new failure"
VERDICT_CHANGED = "verdict changed"
SIGNATURE_CHANGED = "signature changed"
NOW_PASSES = "now passes"
EXPECTED = "expected"
PASSED = "pass"  # undeclared, and it passed
NOT_MEASURED = "not measured"  # the run exits 3 for these, declared or not
DIFFERENCES = (NEW_FAILURE, VERDICT_CHANGED, SIGNATURE_CHANGED, NOW_PASSES)


@dataclass(frozen=True)
class Expectation:
    """One declared cell (or glob of cells): the verdict it is known to end in, the signature
    its failures must show ('' when any will do), and why."""

    pattern: str  # a cell name or an fnmatch glob, e.g. "torch21-numpy2*"
    verdict: str  # one of DECLARABLE
    signature: str = ""
    reason: str = ""
    file: str = ""  # the file that declares it, as named in the project: "pyproject.toml"

    def matches(self, name: str) -> bool:
        return fnmatchcase(name, self.pattern)


@dataclass(frozen=True)
class Declarations:
    """Every expectation of a project, in the order its file lists them."""

    file: str = ""  # "pyproject.toml", "harness-expected.toml", or "" when there is none
    entries: tuple = ()

    def for_cell(self, name: str) -> Expectation | None:
        """The cell's own entry, else the first glob that matches it, else None."""
        exact = [e for e in self.entries if e.pattern == name]
        return (exact or [e for e in self.entries if e.matches(name)] or [None])[0]

    @property
    def where(self) -> str:
        """``pyproject.toml [tool.harness.expected]``: where a user edits them."""
        file = self.file or PYPROJECT
        return f"{file} {TABLES[file]}"


NONE = Declarations()


@dataclass(frozen=True)
class Check:
    """How one result compares with what was declared for its cell."""

    cell: str
    status: str
    verdict: str
    signatures: tuple = ()  # what the result showed, most frequent first
    expectation: Expectation | None = None

    @property
    def differs(self) -> bool:
        return self.status in DIFFERENCES

    @property
    def note(self) -> str:
        """What the result line shows after the cell, '' when there is nothing to say."""
        declared = self.expectation
        if self.status == EXPECTED:
            return f"expected: {declared.signature or declared.verdict}"
        if self.status == NOW_PASSES:
            return f"now passes: update the declaration in {declared.file}"
        if self.status == SIGNATURE_CHANGED:
            return f"signature changed: declared {declared.signature}"
        if self.status == VERDICT_CHANGED:
            return f"verdict changed: declared {declared.verdict}"
        if self.status == NEW_FAILURE:
            return "new failure: not declared"
        if self.status == NOT_MEASURED and declared:
            return f"not measured: declared {declared.verdict}"
        return ""

    def message(self, declarations: Declarations) -> str:
        """One line saying how the result differs from its declaration ('' when it does not)."""
        declared, found = self.expectation, ", ".join(self.signatures) or "no signature"
        if self.status == NOW_PASSES:
            return f"{self.cell} now passes: update the declaration in {declared.file}"
        if self.status == SIGNATURE_CHANGED:
            return (f"{self.cell}: {self.verdict} without {declared.signature} (found: {found}); "
                    f"the signature changed since the declaration in {declared.file}")  # fmt: skip
        if self.status == VERDICT_CHANGED:
            return (f"{self.cell}: {self.verdict} ({found}), but {declared.file} declares "
                    f"{declared.verdict}")  # fmt: skip
        if self.status == NEW_FAILURE:
            return (f"{self.cell}: {self.verdict} ({found}), a new failure: not declared in "
                    f"{declarations.where}")  # fmt: skip
        return ""

    def to_dict(self) -> dict | None:
        """The report's ``expected`` of a cell: None when no declaration covers it."""
        declared = self.expectation
        if declared is None:
            return None
        return {"status": self.status, "declared": declared.pattern, "verdict": declared.verdict,
                "signature": declared.signature, "reason": declared.reason, "file": declared.file,
                "note": self.note}  # fmt: skip


def compare(result: CellResult, declarations: Declarations) -> Check:
    """How ``result`` compares with its cell's declaration (or with none)."""
    name, verdict = result.cell.name, result.verdict
    counts = result.signature_counts()
    found = tuple(sorted(counts, key=lambda s: (-counts[s], s)))
    declared = declarations.for_cell(name)
    if verdict in UNMEASURED:
        status = NOT_MEASURED
    elif declared is None:
        status = PASSED if verdict == PASS else NEW_FAILURE
    elif verdict == PASS:
        status = NOW_PASSES
    elif verdict != declared.verdict:
        status = VERDICT_CHANGED
    elif declared.signature and declared.signature not in counts:
        status = SIGNATURE_CHANGED
    else:
        status = EXPECTED
    return Check(name, status, verdict, found, declared)


def judge(results: list, declarations: Declarations) -> list:
    """A ``Check`` per result, in the results' order."""
    return [compare(result, declarations) for result in results]


def load(project: Path, known: tuple = ()) -> Declarations:
    """The project's declarations; ``NONE`` when it declares none. A file that does not parse,
    or an entry that is not of the format, is a ConfigError naming the file and the key.
    ``known``: the signature ids a declared signature must be one of (unchecked when empty)."""
    found = []
    standalone = project / STANDALONE
    if standalone.is_file():
        data = _toml(standalone)
        extra = sorted(set(data) - {"expected"})
        if extra:
            raise ConfigError(f"{standalone}: unknown table or key {extra[0]!r} (this file holds "
                              "one table, [expected])")  # fmt: skip
        found.append(parse(data.get("expected", {}), standalone, STANDALONE, known))
    pyproject = project / PYPROJECT
    if pyproject.is_file():
        data = _toml(pyproject)
        tool = data.get("tool", {})
        harness = tool.get("harness", {}) if isinstance(tool, dict) else {}
        if isinstance(harness, dict) and "expected" in harness:
            found.append(parse(harness["expected"], pyproject, PYPROJECT, known))
    if len(found) == 2:
        raise ConfigError(f"{project}: expected cells are declared both in {STANDALONE} and in "
                          f"{PYPROJECT} {TABLES[PYPROJECT]}; keep one")  # fmt: skip
    if found:
        return found[0]
    return NONE if pyproject.is_file() else Declarations(STANDALONE)  # where to declare some


def parse(table, path: Path, name: str, known: tuple = ()) -> Declarations:
    """The declarations of one table (``[tool.harness.expected]`` or ``[expected]``)."""
    where = f"{path}: {TABLES[name]}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of cell names")
    entries = []
    for pattern, entry in table.items():
        at = f"{where} key {pattern!r}"
        if not pattern.strip():
            raise ConfigError(f"{at}: a cell name or glob cannot be empty")
        if not isinstance(entry, dict):
            raise ConfigError(f'{at} must be a table such as {{verdict = "fail", signature = '
                              '"numpy-bridge-unavailable", reason = "..."}}')  # fmt: skip
        unknown = sorted(set(entry) - set(KEYS))
        if unknown:
            raise ConfigError(f"{at}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
        for key, value in entry.items():
            if not isinstance(value, str):
                raise ConfigError(f"{at}: {key} must be a string, not {type(value).__name__}")
        verdict = entry.get("verdict")
        if verdict is None:
            raise ConfigError(f"{at}: no verdict (one of {', '.join(DECLARABLE)})")
        if verdict not in DECLARABLE:
            kind = "cannot be declared" if verdict in VERDICTS else "is not a verdict"
            raise ConfigError(f"{at}: verdict {verdict!r} {kind} (one of {', '.join(DECLARABLE)})")
        signature = entry.get("signature", "")
        if signature and known and signature not in known:
            raise ConfigError(f"{at}: signature {signature!r} is not a known signature id")
        entries.append(Expectation(pattern, verdict, signature, entry.get("reason", ""), name))
    return Declarations(name, tuple(entries))


def _toml(path: Path) -> dict:
    try:
        return bounded.load_toml(path)
    except bounded.Unparsable as exc:
        raise ConfigError(str(exc)) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
