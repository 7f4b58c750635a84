"""What every command shares, declared and checked once: the options, the project, the
reports folder (held by one context manager), the signature table.

``cli`` builds one ``State`` from the parsed arguments before any command runs; an option a
command declares is validated here whichever command declares it, so ``--timeout nan`` or
``--jobs -1`` are refused alike everywhere.
"""

from __future__ import annotations

import argparse
import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.report import actions
from harness.stages import asof, generated
from harness.stages.signatures import BUILTIN, load_signatures
from harness.store import Store

DEFAULT_REPORTS = ".harness"  # a dot folder, like .tox: no build backend takes it for a package
# commands whose cells and reports live in a folder of their own inside --reports, so that the
# matrix's reports (`run`, `report`) never show them: the gate's base, proposed and fix cells
OWN_FOLDERS = {"gate": "gate"}
CONFIG_FILES = ("tox.ini", "tox.toml", "pyproject.toml", "setup.cfg", "setup.py", "noxfile.py")


def _positive_seconds(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise HarnessError(f"--timeout must be a positive number of seconds, not {value}")
    return value


def _jobs(value: int) -> int:
    if value < 0:
        raise HarnessError(f"--jobs must be 0 (automatic) or more, not {value}")
    return value


def _threads(value: int) -> int:
    if value < 0:
        raise HarnessError(f"--threads-per-cell must be 0 (not capped) or more, not {value}")
    return value


OPTIONS = {  # name: (flags, argparse settings); each declared here once
    "project": (("--project",), dict(
        type=Path, default=Path("."),
        help="the project's folder, where its tox.ini, tox.toml or pyproject.toml is; without "
        "a tox config, the harness tests it with pytest (default: the current folder)")),
    "reports": (("--reports",), dict(
        type=Path, default=None,
        help=f"the harness's folder: reports, results, locks, envs (default: PROJECT/{DEFAULT_REPORTS})")),
    "envs": (("-e", "--env"), dict(
        dest="envs", action="append", default=[], metavar="ENV",
        help="tox env(s), comma-separated (default: tox's env_list)")),
    "labels": (("-m", "--label"), dict(
        dest="labels", action="append", default=[], metavar="LABEL", help="tox label(s)")),
    "adhoc": (("--with",), dict(
        dest="adhoc", action="append", default=[], metavar="PINS",
        help="an ad-hoc cell: the first -e env (else the first of env_list) with these pins, "
        "e.g. --with torch==2.2.2,numpy==2.0.2; each --with is one more cell")),
    "timeout": (("--timeout",), dict(
        type=float, default=1800.0, metavar="S", help="seconds per cell (default 1800)")),
    "jobs": (("--jobs",), dict(
        type=int, default=0, metavar="N", help="cells at once (default: by cores and memory)")),
    "threads_per_cell": (("--threads-per-cell",), dict(
        type=int, default=0, metavar="N",
        help="cap each cell's numeric libraries at N threads (OMP_NUM_THREADS, MKL_NUM_THREADS, "
        "OPENBLAS_NUM_THREADS, ...) and run cores/N cells at once; this can change what a test "
        "computes, so it is recorded in each result (default: not capped, as the project's own "
        "tox run; one cell at a time unless --jobs says otherwise, one a core for probe)")),
    "signatures": (("--signatures",), dict(
        type=Path, default=None, metavar="FILE",
        help="a JSON list of extra signatures, checked before the built-in ones")),
    "shard": (("--shard",), dict(
        default=None, metavar="K/N", help="run shard K of N (see harness plan)")),
    "resume": (("--resume",), dict(
        action="store_true", help="keep finished cells whose inputs are unchanged")),
    "fresh": (("--fresh",), dict(
        action="store_true", help="forget every stored result first (locks are kept)")),
    "strict": (("--strict",), dict(
        action="store_true",
        help="kept for compatibility: failing cells always exit 1 now, unless the project "
        "declares them in [tool.harness.expected]")),
    "skip_disk_check": (("--skip-disk-check",), dict(
        action="store_true", help="do not estimate the disk the envs need before installing")),
    "disk_budget": (("--disk-budget",), dict(
        default=None, metavar="SIZE",
        help="keep uv's cache and the envs under SIZE (e.g. 14G): cells run in groups by torch "
        "release, releasing what a finished group no longer needs")),
    "force": (("--force",), dict(
        action="store_true",
        help="run each selected cell as a forced twin (ENV-forced): its pins override package "
        "metadata, to learn whether a bound that makes it unsatisfiable is real")),
    "control": (("--control",), dict(
        default=None, metavar="CELL",
        help="the cell the others are read against: the report lists, for each other cell, the "
        "tests that fail there and not in CELL (run: by default, with --with, the first -e env, "
        "else the first --with cell; report: the one compat.json names)")),
    "as_of": (("--as-of",), dict(
        default="", metavar="DATE|release",
        help="lock each cell as of DATE (2022-06-01, or an RFC 3339 time): every package as "
        "uploaded by then, except the cell's pins and the packages they force forward, which "
        "each lock names (survey: release is each project's own upload date; default: now)")),
    "junit": (("--junit",), dict(
        type=Path, default=None, metavar="FILE",
        help="also write the cells as JUnit XML to FILE for CI test reporters: a test suite "
        "per cell, a test case per test")),
}  # fmt: skip
CHECKS = {"timeout": _positive_seconds, "jobs": _jobs, "threads_per_cell": _threads}
SELECTION = ("project", "reports", "envs", "labels", "adhoc")
RUNNING = (*SELECTION, "shard", "jobs", "threads_per_cell", "timeout", "resume", "fresh", "strict", "skip_disk_check",
           "signatures", "disk_budget", "force", "control", "junit", "as_of")  # fmt: skip


def add(parser: argparse.ArgumentParser, *names: str) -> None:
    """Declare shared options on a command's parser, by name."""
    for name in names:
        flags, settings = OPTIONS[name]
        parser.add_argument(*flags, **settings)


@dataclass
class State:
    """One command's view of its options, checked; ``args`` keeps the command's own ones."""

    args: argparse.Namespace
    command: str = ""
    project: Path = None  # resolved and checked; None when the command takes no --project
    reports: Path = None
    envs: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    adhoc: list = field(default_factory=list)
    timeout: float = 1800.0
    jobs: int = 0
    threads: int = 0  # --threads-per-cell (0: not capped)
    signatures: tuple = BUILTIN
    posargs: list = field(default_factory=list)
    as_of: str = ""  # --as-of, checked: an RFC 3339 UTC time, "release" (survey), or ""

    @classmethod
    def of(cls, args: argparse.Namespace) -> State:
        given = vars(args)
        for name, check in CHECKS.items():
            if name in given:
                check(given[name])
        project = project_folder(args.project) if given.get("project") is not None else None
        reports = given.get("reports")
        if isinstance(reports, Path) or reports is None:
            base = project if project is not None else Path(".")
            reports = (reports or base / DEFAULT_REPORTS).resolve()
        if "as_of" in given:  # the commands that read args see the checked value too
            args.as_of = asof.parse(given["as_of"], release=given.get("command") == "survey")
        if project is not None and "labels" in given:  # a command that selects cells
            say_setup(project)
        return cls(
            args=args, command=given.get("command", ""), project=project, reports=reports,
            envs=[e for value in _listed(given.get("envs")) for e in value.split(",") if e],
            labels=list(given.get("labels", [])), adhoc=list(given.get("adhoc", [])),
            timeout=given.get("timeout", 1800.0), jobs=given.get("jobs", 0),
            threads=given.get("threads_per_cell", 0),
            signatures=load_signatures(given.get("signatures")),
            posargs=list(given.get("posargs", [])), as_of=given.get("as_of", ""),
        )  # fmt: skip

    @contextmanager
    def folder(self, what: str):
        """The reports folder, held for the whole ``with``: acquire, work, publish, release.
        Whatever a command writes there, it writes inside. A command in ``OWN_FOLDERS`` gets
        a reports folder of its own inside it (``REPORTS/gate``), both held."""
        store = Store(self.reports)
        store.acquire(what)
        try:
            own = OWN_FOLDERS.get(what)
            if own is None:
                yield store
                return
            if (self.reports / own).is_symlink():
                raise HarnessError(f"{self.reports / own} is a symbolic link; the harness does "
                                   "not follow links in a reports folder")  # fmt: skip
            inner = Store(self.reports / own)
            inner.acquire(what)
            try:
                yield inner
            finally:
                inner.release()
        finally:
            store.release()


def write_junit(state: State, results: list) -> None:
    """Write ``--junit FILE``, when the command was given one: each of ``results``
    (CellResult) as a test suite, its tests read from its run folder under the reports."""
    path = getattr(state.args, "junit", None)
    if path is not None:
        from harness.report import junit  # junitparser: only for a run asked for it

        junit.write(path, state.project.name if state.project else "", results, state.reports)


def say_setup(project: Path) -> None:
    """Say, for a project without a tox config, how the harness tests it (one line)."""
    line = generated.said(project)
    if line:
        print(actions.inert(line), file=sys.stderr)


def say_unreadable(unreadable: list) -> None:
    """Name each stored result that was left out because it could not be read."""
    for path in unreadable:
        print(f"harness: cannot read the stored result {path}; it is left out", file=sys.stderr)


def _listed(value) -> list:
    """A repeatable option's values (``clean --envs`` is a flag of the same name)."""
    return value if isinstance(value, list) else []


def project_folder(folder: Path) -> Path:
    """``folder`` resolved, when it holds a tox config; else a HarnessError naming it."""
    folder = folder.resolve()
    if not any((folder / name).is_file() for name in CONFIG_FILES):
        raise HarnessError(f"{folder} has no {', '.join(CONFIG_FILES[:-1])} or {CONFIG_FILES[-1]}")
    return folder
