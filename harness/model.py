"""The small typed records passed between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Verdicts. Only PASS is a pass. FAIL and CRASH are incompatibilities measured by running
# tests; the others say the cell could not be measured, and are never incompatibilities.
PASS = "pass"
FAIL = "fail"
CRASH = "crash"
NO_TESTS = "no-tests"
TIMEOUT = "timeout"
UNSATISFIABLE = "unsatisfiable"
INFRA_ERROR = "infra-error"
VERDICTS = (PASS, FAIL, CRASH, NO_TESTS, TIMEOUT, UNSATISFIABLE, INFRA_ERROR)
UNMEASURED = (INFRA_ERROR, TIMEOUT, NO_TESTS)  # the run could not say whether the cell works
SUITE, PROBE = "suite", "probe"  # what a cell ran: the env's own commands, or the stack checks


COMMAND_SETS = ("commands_pre", "commands", "commands_post")  # the order tox runs them in
UV_LOCK_RUNNER = "uv-venv-lock-runner"


@dataclass(frozen=True)
class Cell:
    """One environment of the matrix: a tox env name plus the pins that define it."""

    name: str  # the tox env it runs as; an ad-hoc cell gets a name of its own
    pins: dict[str, str]  # distribution -> specifier, e.g. {"torch": "==2.1.2"}
    deps: list[str] = field(default_factory=list)  # the env's deps as tox reports them
    base_env: str = ""  # ad-hoc cells: the env whose settings they take
    base_python: list[str] = field(default_factory=list)
    adhoc: bool = False
    commands: dict[str, list[str]] = field(default_factory=dict)  # COMMAND_SETS -> lines
    package: str = "skip"  # tox's package: skip, wheel, sdist, editable, ...
    extras: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)  # the env's own `constraints` files
    groups: list[str] = field(default_factory=list)  # tox's dependency_groups (PEP 735)
    runner: str = "uv-venv-runner"  # tox's runner: uv-venv-runner, uv-venv-lock-runner, virtualenv
    install_command: list[str] = field(default_factory=list)  # tox's install_command, if set
    forced: bool = (
        False  # installed against its packages' metadata (uv overrides): never a normal cell
    )
    past_collection_errors: bool = False  # pytest runs the rest when a test module fails to
    # import (surveys: one module stale against today's test tools must not hide the others)
    replacing: list[str] = field(default_factory=list)  # derived cells: requirement lines in
    # place of the project's own for the same packages, wherever the env reads them (inplace)
    replaced: list[dict] = field(default_factory=list)  # what they replaced: package, was, in
    overrides: list[str] = field(default_factory=list)  # those replacing the project's own
    # metadata: uv overrides at install (the lock resolves its dependencies edited)
    unhashed: list[str] = field(default_factory=list)  # hash-pinned files read without hashes
    installer_constraints: list[str] = field(default_factory=list)  # the variables that hand its
    # lock to the installers its commands run (nox's pip and uv: PIP_CONSTRAINT, UV_CONSTRAINT)
    as_of: str = ""  # --as-of: its lock resolved as of this RFC 3339 time, its pins exempted

    @property
    def installs_from_uv_lock(self) -> bool:
        """tox-uv's lock runner installs the project's uv.lock (``uv sync``), not deps + a lock."""
        return self.runner == UV_LOCK_RUNNER

    def command(self, run_id: str) -> str:
        """The configured line behind a tox run id such as ``commands[1]``; '' when unknown."""
        key, _, index = run_id.rstrip("]").partition("[")
        lines = self.commands.get(key, [])
        return lines[int(index)] if index.isdigit() and int(index) < len(lines) else ""


@dataclass(frozen=True)
class Signature:
    """A known failure mode: an id, what it means, and a regex that recognises it."""

    id: str
    title: str
    pattern: str
    kind: str  # "incompatibility" or "infrastructure"
    hint: str = ""
    coupled: str = ""  # the package a fix usually raises (torch for the numpy bridge)


@dataclass
class Failure:
    """One failing test (or a failed stage, ``test`` then names it) and why."""

    test: str
    signature: str
    evidence: str  # the line the signature matched
    message: str = ""
    where: str = ""  # the tox command it happened in, e.g. "commands[0]"
    detail: str = ""  # what pytest printed under it: the failing line and its E lines (bounded)


@dataclass
class Counts:
    """Test outcomes as pytest's own summary line counts them."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0

    @property
    def total(self) -> int:
        return self.ran + self.skipped + self.xfailed

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors + self.xpassed

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k) for k in asdict(self)})


@dataclass
class Invocation:
    """One command tox ran in the cell, with the pytest sessions that ran inside it."""

    run_id: str  # tox's id for it: "commands_pre[0]", "commands[1]", ...
    command: str  # as configured, e.g. "- pytest tests -x"
    exit_code: int | None  # None: it never finished (the cell was killed)
    ignored: bool = False  # tox ignored its exit code (a "- " prefix)
    sessions: int = 0  # pytest sessions that started inside it
    unfinished: int = 0  # of those, how many ended without pytest finishing them
    tests: Counts = field(default_factory=Counts)
    coverage: float | None = None
    problem: Failure | None = None  # why it went wrong, when that was not a failing test

    @property
    def is_pytest(self) -> bool:
        return self.sessions > 0


@dataclass
class Provenance:
    """How a result was made, known before its verdict: what pinned it, which Python, which
    arguments, when, and where its log is. ``decide`` copies it into the result."""

    lock: str = ""
    unpinned: list[str] = field(default_factory=list)
    interpreter: str = ""
    posargs: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    mode: str = SUITE
    measured_at: str = ""
    fingerprint: str = ""
    log: str = ""
    threads: int = 0  # --threads-per-cell: the cap its numeric libraries ran under (0: none)
    notices: list[str] = field(default_factory=list)  # what the run left out to run it at all
    as_of: str = ""  # the date its lock was resolved as of ('' : as of its making)
    exempt: list[str] = field(default_factory=list)  # "numpy (pinned)": left out of that date


@dataclass
class CellResult:
    cell: Cell
    verdict: str
    tests: Counts = field(default_factory=Counts)
    versions: dict[str, str | None] = field(default_factory=dict)
    device: dict[str, str | None] = field(default_factory=dict)
    coverage: float | None = None
    duration_s: float = 0.0
    install_s: float | None = None
    test_s: float | None = None
    failures: list[Failure] = field(default_factory=list)
    problem: Failure | None = None  # what stopped the cell before or outside the tests
    outcomes: dict[str, str] = field(default_factory=dict)  # test id -> passed, failed, ...
    invocations: list[Invocation] = field(default_factory=list)
    lock: str = ""  # the file that pinned the cell's closure
    unpinned: list[str] = field(default_factory=list)  # installed deps the lock cannot pin
    interpreter: str = ""  # "cpython 3.11.7": the Python the harness's search found, which the
    # lock and fingerprint use; uv may build the env from another (it skips a venv's Python):
    # versions["python"] is the one that ran, as the env reported it, and the one reports show
    posargs: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # project files it reads through its deps
    mode: str = SUITE
    measured_at: str = ""  # ISO time the result was decided
    fingerprint: str = ""
    log: str = ""
    threads: int = 0  # --threads-per-cell: OMP_NUM_THREADS and its kin set to it (0: not set)
    flaky: list[str] = field(default_factory=list)  # failed, then passed on a re-run (confirm)
    confirmation: str = ""  # what re-running the failing tests showed, or why none were re-run
    notices: list[str] = field(default_factory=list)  # e.g. a [tox] requires entry left out
    as_of: str = ""  # --as-of: the date its lock was resolved as of
    exempt: list[str] = field(default_factory=list)  # what that date did not hold: "numpy (pinned)"

    def signature_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for failure in self.failures + ([self.problem] if self.problem else []):
            counts[failure.signature] = counts.get(failure.signature, 0) + 1
        return counts

    def to_dict(self) -> dict:
        data = asdict(self)
        data["tests"]["total"] = self.tests.total
        data["signatures"] = self.signature_counts()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CellResult:
        data = dict(data)
        data.pop("signatures", None)
        tests = {k: v for k, v in data.pop("tests").items() if k != "total"}
        problem = data.pop("problem")
        invocations = []
        for entry in data.pop("invocations", []):
            entry = dict(entry)
            entry["tests"] = Counts(**{k: v for k, v in entry["tests"].items() if k != "total"})
            entry["problem"] = Failure(**entry["problem"]) if entry.get("problem") else None
            invocations.append(Invocation(**entry))
        return cls(
            cell=Cell(**data.pop("cell")),
            tests=Counts(**tests),
            failures=[Failure(**f) for f in data.pop("failures")],
            problem=Failure(**problem) if problem else None,
            invocations=invocations,
            **data,
        )
