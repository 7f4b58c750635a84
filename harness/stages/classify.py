"""Match failure text against the signature table, keeping the line that matched as evidence."""

from __future__ import annotations

import re
from functools import lru_cache

from harness.model import Failure, Signature
from harness.stages.signatures import BUILTIN, INFRASTRUCTURE, UNSATISFIABLE, by_id

EVIDENCE_LIMIT = 400
DETAIL_LIMIT = 1200  # characters of what pytest printed under a failure, cut at a line
LINE_LIMIT = 300  # characters of one of its lines (pytest's repr of an array can be longer)
TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
EXPLAINING = re.compile(  # a line that says what went wrong, not what tox was doing
    r"error|fail|no module named|not found|cannot|could not|unable|denied|invalid|no such",
    re.I,
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Text from a test or a log without terminal escapes or control characters."""
    return CONTROL.sub("", TERMINAL_ESCAPE.sub("", str(text)))


def clip(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut after a clause (``, `` ``; ``
    ``. ``) or else between words, never inside a word or a version, and marked with "…"."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    room = text[: max(1, limit - 1)]
    clause = max(room.rfind(mark) for mark in (". ", ", ", "; ", ": "))
    space = room.rfind(" ")
    cut = clause + 1 if clause >= limit // 2 else space if space > 0 else len(room)
    kept = room[:cut].rstrip(" ,;:")
    return kept + (" …" if kept.endswith(".") else "…")


@lru_cache(maxsize=None)
def _compiled(pattern: str):
    return re.compile(pattern)


def classify(text: str, table: tuple = BUILTIN) -> tuple:
    """``(signature, evidence line)`` of the first signature in table order that matches."""
    lines = [line.strip() for line in clean(text).splitlines() if line.strip()]
    for signature in table:
        regex = _compiled(signature.pattern)
        for index, line in enumerate(lines):
            if regex.search(line):
                return signature, _said(lines, index)[:EVIDENCE_LIMIT]
    got = [after for before, after in zip(lines, lines[1:]) if before == "Got:"]  # a doctest's
    return _fallback(table), (got[0] if got else _said(lines or ["(no output)"], 0))[
        :EVIDENCE_LIMIT
    ]


def _said(lines: list, index: int) -> str:
    """The line at ``index``; with the next one when it only names an exception (numpy's
    ``assert_allclose``: ``AssertionError:``, then ``Not equal to tolerance rtol=1e-12``)."""
    line = lines[index]
    after = lines[index + 1] if index + 1 < len(lines) else ">"
    if BARE.fullmatch(line) and not after.startswith((">", "def ", "async def ", "@")):
        return f"{line} {after.removeprefix('E').strip()}"
    return line


BARE = re.compile(r"(?:E\s+)?[\w.]+(?:Error|Exception|Failure):")


def explain(text: str, limit: int = DETAIL_LIMIT) -> str:
    """What pytest printed under a failure, at most ``limit`` characters, cut between lines:
    the line it failed at (``>``) and the ``E`` lines under it (the comparison, the values that
    differ), else the report's last lines."""
    lines = [line.rstrip() for line in clean(text).splitlines()]
    told = [i for i, line in enumerate(lines) if line.startswith("E ") or line == "E"]
    if told:
        failed_at = [line for line in lines[: told[0]] if line.startswith(">")]
        kept = list(dict.fromkeys(failed_at[:1] + failed_at[-1:]))  # the test's line, the raise
        kept += [lines[i] for i in told if lines[i].strip() != "E"]
    else:
        kept = [line for line in lines if line.strip()][-6:]
    kept = [line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…" for line in kept]
    shown, size = [], 0
    for line in kept:
        if size + len(line) + 1 > limit:
            shown.append(f"[... {len(kept) - len(shown)} more line(s); the cell's log has them]")
            break
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)


def _fallback(table: tuple) -> Signature:
    return next(s for s in table if s.id == "other")


def failure(test: str, text: str, message: str = "", table: tuple = BUILTIN) -> Failure:
    signature, evidence = classify(text, table)
    return Failure(
        test=clean(test), signature=signature.id, evidence=evidence,
        message=clean(message)[:EVIDENCE_LIMIT],
    )  # fmt: skip


def forced(test: str, signature: Signature, evidence: str, message: str = "") -> Failure:
    return Failure(
        test, signature.id, clean(evidence)[:EVIDENCE_LIMIT], clean(message)[:EVIDENCE_LIMIT]
    )


def setup_failure(stage: str, text: str, message: str = "", table: tuple = BUILTIN) -> Failure:
    """A failure before any test ran: unsatisfiable or infrastructure, never an incompatibility.

    Infrastructure is looked for first: a resolver that could not reach the index also says
    "No solution found", and that is not a proof that the pins are impossible.
    """
    infrastructure_first = tuple(sorted(table, key=lambda s: s.kind != INFRASTRUCTURE))
    found = failure(stage, text, message, infrastructure_first)
    if by_id(table)[found.signature].kind not in (UNSATISFIABLE, INFRASTRUCTURE):
        lines = [line.strip() for line in clean(text).splitlines() if line.strip()]
        explaining = [line for line in lines if EXPLAINING.search(line)]
        found.signature = "env-setup"
        found.evidence = (explaining or lines or ["(no output)"])[-1][:EVIDENCE_LIMIT]
    return found
