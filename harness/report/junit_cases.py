"""The JUnit test cases of one cell's tests: one per test id pytest reported in it.

A case is named the way pytest's own ``--junitxml`` names it (``name`` the function with its
parameters, ``classname`` the dotted module and class), with the cell in front of the
classname (``torch21-numpy22.tests.test_bridge.TestFrom``), so that the same test in two cells
is two tests to every reporter. ``file`` is the test's file as pytest names it (relative to
its rootdir), ``line`` the line pytest's traceback stopped at in that file for a failure, else
the test's definition. ``time`` is the test's call duration the probe recorded, 0 where it
recorded none (results made before it did).

The ids and outcomes come from the result (``outcomes``, ``failures``). Durations, lines and
pytest's own text (its ``E`` lines) come from the cell's run folder, where the probe wrote
them (``sessions/*/events.jsonl``), and only for JUnit: compat.json does not grow with them.
A result whose run folder is gone gives cases without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from junitparser import Attr, Error, IntAttr, Skipped, TestCase
from junitparser import Failure as FailureElement

from harness.model import CellResult
from harness.stages import collect
from harness.stages.classify import clean

MAX_TEXT = 16000  # characters of one case's text; a longer one is cut at a line, with a note
MAX_MESSAGE = 500  # characters of a failure's message (the line reporters annotate with)
MAX_E_LINES = 60
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
STOPPED_AT = re.compile(r"^(\S+?\.py):(\d+): .*$", re.M)  # pytest's "tests/t.py:12: AssertionError"


class Case(TestCase):
    """A test case with the ``file`` and ``line`` attributes reporters annotate with."""

    file = Attr()
    line = IntAttr()


@dataclass
class Recorded:
    """What the probe wrote of one test, beyond its outcome."""

    duration: float | None = None
    line: int | None = None
    text: str = ""  # pytest's report of its first failure
    reason: str = ""  # why it was skipped or is expected to fail


def xml(text) -> str:
    """``text`` as XML 1.0 can hold it: a character it cannot (a control character, a lone
    surrogate) written as its Python escape, ``\\x1b``."""
    return NOT_XML.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))


def bounded(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, or its first lines up to ``limit`` characters and a note of what was cut."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = head.rfind("\n")
    head = head[:cut] if cut > limit // 2 else head
    return f"{head}\n[... {len(text) - len(head)} more characters cut; the cell's log has them]"


def python_shown(result: CellResult) -> str:
    """The Python that ran the cell, as the env reported it; never the harness's guess."""
    return result.versions.get("python") or "unknown"


def sessions(result: CellResult, reports: Path = None) -> list:
    """The probe's sessions in the cell's run folder; none when it is gone or unknown."""
    if reports is None or not result.log:
        return []
    reports = Path(reports).resolve()
    folder = (reports / result.log).resolve().parent / "sessions"
    if not folder.is_relative_to(reports):  # a stored result must not send us elsewhere
        return []
    return collect.sessions(folder)


def python_executable(found: list) -> str:
    """The interpreter the env's venv was made from (``sys._base_executable``), as the last
    session that recorded one saw it; '' when none did."""
    paths = [s.facts.get("base_executable") or s.facts.get("executable") for s in found]
    return next((str(path) for path in reversed(paths) if path), "")


def recorded(found: list) -> dict:
    """``{test id: Recorded}`` from the probe's sessions."""
    found_tests = {}
    for session in found:
        for event in session.events:
            known = found_tests.setdefault(event.nodeid, Recorded())
            if event.duration is not None:
                known.duration = (known.duration or 0.0) + event.duration
            known.line = known.line or event.line
            if event.category in ("failed", "error") and not known.text:
                known.text = event.text
            elif event.category in ("skipped", "xfailed") and not known.reason:
                known.reason = event.message
    return found_tests


def cases_of(result: CellResult, label: str, found: list = ()) -> list:
    """A ``Case`` per test id of the cell (``label`` before their classnames), in the order
    pytest reported them; ``found``: the probe's sessions, for what the result lacks."""
    details = recorded(found)
    failures = {}
    for failure in result.failures:
        failures.setdefault(failure.test, []).append(failure)
    tests = list(result.outcomes) + [t for t in failures if t not in result.outcomes]
    return [
        _case(label, test, result.outcomes.get(test, "failed"), failures.get(test, []),
              details.get(test) or Recorded())
        for test in tests
    ]  # fmt: skip


def _case(cell: str, test: str, outcome: str, failures: list, detail: Recorded) -> Case:
    file, _, rest = test.partition("::")
    base, bracket, parameters = rest.partition("[")  # parameters may hold "::" themselves
    parts = base.split("::") if rest else []
    if parts:
        parts[-1] += bracket + parameters
    module = (file[:-3] if file.endswith(".py") else file).replace("\\", "/").strip("/")
    classname = ".".join([cell, module.replace("/", "."), *parts[:-1]])
    seconds = round(detail.duration or 0, 3)  # as pytest writes it: never 5e-05, no decimal
    case = Case(xml(parts[-1] if parts else file), xml(classname), seconds)
    case.file = xml(file)
    crash = [int(n) for f, n in STOPPED_AT.findall(clean(detail.text)) if f == file]
    line = crash[-1] if crash else detail.line
    if line:
        case.line = line
    if outcome in ("failed", "error"):
        first = failures[0] if failures else None
        message = f"{first.signature}: {clean(first.evidence)}" if first else outcome
        kind = Error if outcome == "error" else FailureElement
        element = kind(xml(bounded(message, MAX_MESSAGE)), xml(first.signature if first else ""))
        element.text = xml(bounded(_text(test, outcome, failures, detail)))
        case.result = [element]
    elif outcome == "flaky":  # a pass to reporters, said so where they show a case's output
        case.system_out = xml("flaky: failed, then passed when re-run in the same env; not "
                              "counted as failing\n" + bounded(clean(detail.text), MAX_MESSAGE))  # fmt: skip
    elif outcome in ("skipped", "xfailed"):
        expected = outcome == "xfailed"
        reason = clean(detail.reason) or ("expected to fail" if expected else "skipped")
        case.result = [Skipped(xml(bounded(reason, MAX_MESSAGE)),
                               "pytest.xfail" if expected else "pytest.skip")]  # fmt: skip
    return case


def _text(test: str, outcome: str, failures: list, detail: Recorded) -> str:
    """A line per classified failure (signature, where, evidence), then pytest's ``E`` lines
    and the line it stopped at, else the failure's message."""
    lines = []
    for failure in failures:
        where = f" in {failure.where}" if failure.where else ""
        lines += [f"{test} [{failure.signature}]{where}", clean(failure.evidence)]
    if not failures:
        lines.append(f"{test}: {outcome}")
    text = clean(detail.text) or "\n".join(clean(f.detail) for f in failures[:1])  # folder gone
    told = [line for line in text.splitlines() if line.startswith("E ")]
    if len(told) > MAX_E_LINES:
        told = told[:MAX_E_LINES] + [f"[... {len(told) - MAX_E_LINES} more E lines cut]"]
    told += [match.group(0) for match in list(STOPPED_AT.finditer(text))[-1:]]
    if not told:
        told = [clean(f.message) for f in failures[:1] if f.message and f.message not in f.evidence]
    return "\n".join(line for line in lines + told if line)
