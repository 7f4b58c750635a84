"""Join tox's commands with the pytest sessions the probe saw inside them. Pure: no I/O.

Every command of the env becomes an ``Invocation``. A pytest session belongs to the command
that was running when it started (tox and the probe both sample ``time.monotonic()``). Its
test outcomes are counted the way pytest's summary line counts them, and every failing test
is classified, whether or not tox ignored the command's exit code.

A command can also go wrong without a failing test. Each such case becomes the invocation's
``problem``, and ``Measured.decisive`` keeps those that must decide the verdict:

- a session that vanished (a signal, ``os._exit``) or was cut short (``pytest.exit``): always;
- pytest that ran without the probe seeing a session (its output shows a session: a pytest
  from outside the env, or the probe's plugin turned off): always.

A command is a pytest run when a pytest session started in it: the probe recorded one, or
pytest's own output shows one. What the command line says is never asked: a command that
names pytest may only uninstall it, and a wrapper may run pytest under any name.
- a test command that failed before pytest started, or that pytest ended non-zero with no
  failing test: unless tox ignored its exit code;
- any other command that failed: unless tox ignored its exit code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.model import Cell, Counts, Failure, Invocation
from harness.stages.classify import classify, explain, failure, forced
from harness.stages.collect import Journal, Ran, Session
from harness.stages.signatures import BUILTIN, by_id

CATEGORIES = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped",
              "xfailed": "xfailed", "xpassed": "xpassed"}  # fmt: skip
NO_TESTS_COLLECTED = 5  # pytest's exit code when it collected nothing
PYTEST_OUTPUT = re.compile(  # pytest's session header, summary line (-q) or progress (-qq)
    r"^=+ test session starts =+$"
    r"|^=* ?(no tests ran|\d+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b.*) in [\d.]+s\b"
    r"|^[.sFExX]+ +\[ *\d+%\]$",
    re.M,
)
PYTEST_STARTUP = re.compile(  # pytest stopping before a session: config, conftest, arguments
    r"^(ImportError while loading conftest|ERROR: usage: |INTERNALERROR> "
    r"|ERROR: file or directory not found: |ERROR: found no collectors)",
    re.M,
)
NOT_STARTED = re.compile(  # pytest's own start-up (config, plugins, arguments) failing
    r"^(ERROR: usage: |INTERNALERROR> |ERROR: file or directory not found: "
    r"|ERROR: found no collectors)"
    r"|^\s*File \".*_pytest[/\\]config[/\\]__init__\.py\", line \d+, in _prepareconfig$",
    re.M,
)
SAID = re.compile(
    r"^(?:INTERNALERROR> )?(?:[\w.]+(?:Error|Exception): .+|ERROR: .+|\S+: error: .+)$"
)
PYTHON_FACTS = ("python", "executable", "base_executable")  # recorded when a session starts
SEVERITY = ("skipped", "xfailed", "passed", "xpassed", "failed", "error")  # the worst wins


@dataclass
class Measured:
    invocations: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # failing tests, classified
    decisive: list = field(default_factory=list)  # problems that decide the verdict
    crash: Failure = None  # the first test session that died (a signal, or it vanished)
    facts: dict = field(default_factory=dict)  # the probe's facts, from the last session
    outcomes: dict = field(default_factory=dict)  # test id -> its worst outcome in any command


def pytest_ran(ran: Ran, inside: list) -> bool:
    """Whether a pytest session started in the command: the probe saw one, or pytest's own
    output shows one that the probe did not see."""
    return bool(inside) or bool(PYTEST_OUTPUT.search(ran.output))


def pytest_stopped_early(ran: Ran) -> bool:
    """Whether pytest's own output shows it stopping before a session began."""
    return bool(PYTEST_STARTUP.search(ran.output))


def count(events: list) -> Counts:
    tests = Counts()
    for event in events:
        name = CATEGORIES.get(event.category)
        if name:
            setattr(tests, name, getattr(tests, name) + 1)
    return tests


def _belongs(session: Session, ran: Ran) -> bool:
    return ran.start <= session.start and (session.start <= ran.end or ran.exit_code is None)


def join(cell: Cell, journal: Journal, sessions: list, table: tuple = BUILTIN) -> Measured:
    commands = list(journal.commands) if journal else []
    placed = {id(s): next((ran for ran in commands if _belongs(s, ran)), None) for s in sessions}
    orphans = [s for s in sessions if placed[id(s)] is None]
    if orphans:  # sessions tox recorded no command for: it was killed while they ran
        killed = Ran("(killed)", [], None, orphans[0].start, 0.0)
        commands.append(killed)
        placed.update({id(s): killed for s in orphans})
    measured = Measured()
    for ran in commands:
        inside = [s for s in sessions if placed[id(s)] is ran]
        measured.invocations.append(_invocation(cell, ran, inside, measured, table))
    finished = [s for s in sessions if s.facts.get("versions")]
    measured.facts = finished[-1].facts if finished else {}
    started = [s for s in sessions if s.facts.get("python")]
    if started and not measured.facts:  # none finished: the Python that ran is still known
        measured.facts = {k: started[-1].facts.get(k) for k in PYTHON_FACTS}
    return measured


def _invocation(cell: Cell, ran: Ran, inside: list, measured: Measured, table: tuple):
    configured = cell.command(ran.run_id)
    invocation = Invocation(
        run_id=ran.run_id, command=configured or " ".join(map(str, ran.argv)),
        exit_code=ran.exit_code, ignored=configured.lstrip().startswith("-"),
        sessions=len(inside), unfinished=sum(not s.finished for s in inside),
    )  # fmt: skip
    for session in inside:
        invocation.tests = invocation.tests + count(session.events)
        for event in session.events:
            if event.category in SEVERITY:
                known = measured.outcomes.get(event.nodeid, SEVERITY[0])
                measured.outcomes[event.nodeid] = max(known, event.category, key=SEVERITY.index)
        measured.failures += [
            _failed(event, ran.run_id, table)
            for event in session.events
            if event.category in ("failed", "error")
        ]
        if session.coverage is not None:
            invocation.coverage = session.coverage
    problem, decisive, crash = _problem(ran, inside, invocation, table)
    if problem:
        problem.where = ran.run_id
        invocation.problem = problem
        if decisive:
            measured.decisive.append(problem)
            if crash and measured.crash is None:
                measured.crash = problem
    return invocation


def _failed(event, where: str, table: tuple) -> Failure:
    found = failure(event.nodeid, f"{event.message}\n{event.text}", event.message, table)
    found.where, found.detail = where, explain(event.text)
    return found


def _problem(ran: Ran, inside: list, invocation: Invocation, table: tuple) -> tuple:
    """``(problem, decisive, crash)`` for a command that went wrong without a failing test."""
    signatures = by_id(table)
    code, ignored, tail = ran.exit_code, invocation.ignored, _tail(ran.output)
    early = not inside and pytest_stopped_early(ran)
    what = "pytest" if early or pytest_ran(ran, inside) else "command"
    if code is not None and code < 0:
        signature, line = classify(ran.output, table)
        if signature.id != "crash-signal":
            signature, line = signatures["crash-signal"], f"killed by signal {-code}"
        return forced(what, signature, line, tail), True, True
    stopped = _not_started(ran, inside, table)
    if stopped:
        return forced("pytest", signatures["pytest-not-started"], stopped, tail), not ignored, False
    vanished = [s for s in inside if not s.finished] if code is not None else []
    cut = [s for s in inside if s.interrupted]
    if vanished or cut:
        session = (vanished or cut)[-1]
        seen = f"{len(session.events)} outcome(s) of {_collected(session)}"
        line = (f"pytest session ended before it finished (exit {code}): {seen} reported"
                if vanished else f"{session.interrupted} ({seen})")  # fmt: skip
        return forced(what, signatures["session-incomplete"], line, tail), True, bool(vanished)
    if not inside and not early and what == "pytest":
        line = (f"pytest ran (exit {code}), but the harness's probe recorded no session: it was not"
                " the env's pytest, or the probe was turned off; its tests were not counted")  # fmt: skip
        return forced(what, signatures["probe-missing"], line, tail), True, False
    if not code or ignored:
        return None, False, False
    if inside and all(s.exitstatus == NO_TESTS_COLLECTED for s in inside):
        return None, False, False
    if inside and invocation.tests.failed + invocation.tests.errors:
        return None, False, False
    found = failure(what, ran.output, tail, table)
    reason = ("pytest exit {} with no failing test" if inside else
              "exit {} before pytest started a session" if early else "exit {}")  # fmt: skip
    found.message = f"{reason.format(code)}\n{found.message}"
    return found, True, False


def _not_started(ran: Ran, inside: list, table: tuple) -> str:
    """The line that says why pytest could not start (a usage error, an internal error, a
    plugin failing at start-up), or '' when it started, or when what stopped it is an
    incompatibility of the cell (a conftest whose import fails with these pins)."""
    if not ran.exit_code or any(s.collected is not None or s.events for s in inside):
        return ""
    if not NOT_STARTED.search(ran.output):
        return ""
    signature, _ = classify(ran.output, table)
    if signature.kind == "incompatibility" and signature.id != "other":
        return ""
    said = [line.strip() for line in ran.output.splitlines() if SAID.match(line.strip())]
    return said[-1] if said else f"pytest exit {ran.exit_code} before collecting"


def _collected(session: Session) -> str:
    return "?" if session.collected is None else str(session.collected)


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
