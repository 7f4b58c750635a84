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


@dataclass(frozen=True)
class Cell:
    """One environment of the matrix: a tox env name plus the pins that define it."""

    name: str
    pins: dict[str, str]  # distribution -> specifier, e.g. {"torch": "==2.1.2"}
    deps: list[str] = field(default_factory=list)  # the env's deps as tox reports them
    tox_env: str = ""  # env tox runs; differs from name for ad-hoc cells
    base_python: list[str] = field(default_factory=list)
    adhoc: bool = False
    uses_coverage: bool = False  # its tox commands pass --cov, so a JSON report can be asked for

    @property
    def env(self) -> str:
        return self.tox_env or self.name


@dataclass(frozen=True)
class Signature:
    """A known failure mode: an id, what it means, and a regex that recognises it."""

    id: str
    title: str
    pattern: str
    kind: str  # "incompatibility" or "infrastructure"
    hint: str = ""


@dataclass
class Failure:
    """One failing test (or a failed stage, ``test`` then names it) and why."""

    test: str
    signature: str
    evidence: str  # the line the signature matched
    message: str = ""


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors


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
    fingerprint: str = ""
    log: str = ""

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
        return cls(
            cell=Cell(**data.pop("cell")),
            tests=Counts(**tests),
            failures=[Failure(**f) for f in data.pop("failures")],
            problem=Failure(**problem) if problem else None,
            **data,
        )
