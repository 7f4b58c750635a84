"""A survey's records: the four outcomes, why a project could not be measured, one row.

``Unmeasurable`` is raised wherever a project turns out not to be measurable before any cell
runs (no such release, no sdist, no tests shipped, no test setup, an sdist whose hash does not
match the index's): it becomes that project's row, never the survey's end.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from harness.errors import HarnessError

BREAKS, WORKS, BROKEN_REGARDLESS, NOT_MEASURABLE = (
    "breaks", "works", "broken-regardless", "not-measurable",
)  # fmt: skip
DECLARES_INCOMPATIBLE = "declares-incompatible"  # its own metadata excludes the change
OUTCOMES = (BREAKS, WORKS, BROKEN_REGARDLESS, DECLARES_INCOMPATIBLE, NOT_MEASURABLE)
# a declares-incompatible row's cap, measured with it overridden: the tests break, or not
CAP_NEEDED, CAP_NOT_NEEDED, CAP_UNMEASURED = "cap needed", "cap not needed", "cap unmeasured"

# why a project is not measurable (``Row.reason_kind``)
NO_RELEASE, NO_SDIST, BAD_SDIST = "no-release", "no-sdist", "bad-sdist"
NO_TESTS_SHIPPED, NO_TEST_SETUP, CONFIG = "no-tests-shipped", "no-test-setup", "config"
INCOMPLETE_TESTS = "incomplete-tests"  # its test modules import helpers the sdist lacks
BUILD_FAILURE, INSTALL_FAILURE, UNSATISFIABLE_PINS = (
    "build-failure",
    "install-failure",
    "unsatisfiable",
)
TIMED_OUT, NO_TESTS_RAN, PYTHON_MISSING = "timeout", "no-tests", "python-missing"
DISK, NETWORK, INTERNAL, INTERRUPTED = "disk", "network", "internal-error", "interrupted"
RETRIED = (TIMED_OUT, DISK, NETWORK, INTERNAL, INTERRUPTED, INSTALL_FAILURE)  # --resume retries


class Unmeasurable(HarnessError):
    """A project that cannot be measured, and why: ``kind`` (one of the kinds above), the text."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


@dataclass
class Row:
    """One project of the survey: its outcome, why, and the evidence."""

    project: str  # the index's (canonical) name
    version: str
    outcome: str = NOT_MEASURABLE
    reason: str = ""
    reason_kind: str = ""  # for not-measurable rows: NO_SDIST, TIMED_OUT, ...
    broken_tests: list = field(default_factory=list)  # {test, cell, now, signature, evidence}
    fixed_tests: list = field(default_factory=list)  # {test, cell}: failing in the control only
    flaky_tests: list = field(default_factory=list)  # broke in one run of two: not counted
    first_compatible: str | None = None  # the first newer release that no longer breaks
    first_compatible_search: dict | None = None  # last_failing, steps, dropped, monotone, note
    setup: dict = field(
        default_factory=dict
    )  # kind (tox, extra, group, requirements, pytest: guessed), source, env, deps, why
    cells: list = field(default_factory=list)  # per cell: role, pins, verdict, tests, ...
    declared_caps: list = field(default_factory=list)  # {package, requirement, where}
    cap: str = ""  # declares-incompatible rows: CAP_NEEDED, CAP_NOT_NEEDED or CAP_UNMEASURED
    evidence: str = ""  # the project's compat.html, relative to the survey folder
    sdist: dict = field(default_factory=dict)  # filename, url, sha256
    measured_at: str = ""
    duration_s: float = 0.0
    as_of: str = ""  # the time its locks were resolved as of (RFC 3339); "": when measured
    as_of_note: str = ""  # why that time: asked, the release's upload, or measured again

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Row:
        """A stored row (checked against the schema first); keys it does not know are left out."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @property
    def retried(self) -> bool:
        """Whether ``--resume`` measures it again: its cause may have passed."""
        unmeasured = self.outcome == NOT_MEASURABLE or self.cap == CAP_UNMEASURED
        return unmeasured and self.reason_kind in RETRIED
