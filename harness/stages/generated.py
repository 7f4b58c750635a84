"""The setup the harness tests a project with, and the tox config it writes for a project that
has none: with a ``noxfile.py``, each of its nox sessions (``noxsessions``); else its test
extra or dependency group, else a test requirements file, else pytest with what its own files
name (``suite``), or a setup the survey forces over a tox config that ran no test (``force``).
The config lives in the harness's cache, never in the project: tox reads it
with ``-c CONFIG --root PROJECT``, so ``{toxinidir}``, the package root and the commands'
working folder are still the project's. Every tox the harness runs for the project gets those
arguments (``provision.tox_command``), so selecting, locking, running and probing read one
config. ``said`` is the line a command prints on stderr to say which setup it chose.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.files import write_atomic
from harness.stages import noxsessions, suite
from harness.store import cache_home


@dataclass(frozen=True)
class Choice:
    """How the harness tests a project: ``setup`` (its own tox config, or the test setup whose
    lock is each cell's) and, for a project run through nox, nox's sessions."""

    setup: suite.SuiteSetup
    sessions: tuple = ()  # nox --list --json entries
    written: str = ""  # a forced setup's config text (``force``)

    @property
    def kind(self) -> str:
        return noxsessions.NOX if self.sessions else self.setup.kind

    @property
    def generated(self) -> bool:
        return self.setup.kind != suite.TOX

    def describe(self) -> str:
        setup = self.setup
        if not self.generated:
            return f"its own tox config ({setup.source})"
        names = ["pytest", *(d.split(";")[0].strip() for d in setup.deps)]
        tests = (f"{', '.join(names)} for {setup.source}" if setup.kind == suite.PYTEST
                 else f"pytest with {setup.source}")  # fmt: skip
        if not self.sessions:
            return tests
        listed = ", ".join(s["session"] for s in self.sessions if s.get("default", True))
        return (f"its nox sessions ({listed}) from {noxsessions.NOXFILE}, each in a cell whose "
                f"lock ({tests}) is pip's and uv's constraints")  # fmt: skip

    def text(self, project: Path) -> str:
        """The tox config the harness writes for the project."""
        if self.written:
            return self.written
        if self.sessions:
            return noxsessions.tox_ini(project, self.setup, list(self.sessions))
        return suite.tox_ini(project, self.setup)[1]


def config_path(project: Path) -> Path:
    """Where the harness keeps the tox config it writes for ``project`` (named after its path)."""
    key = hashlib.sha256(str(Path(project).resolve()).encode()).hexdigest()[:16]
    return cache_home() / "configs" / key / "tox.ini"


_FORCED: dict = {}  # project folder -> Choice: a written setup over the project's own tox config


def force(project: Path, setup: suite.SuiteSetup | None, text: str = "") -> bool:
    """Test ``project`` with ``setup`` and the config ``text`` (both the harness's), though it
    has a tox config of its own: tox is then pointed at the harness's config (``-c``), the
    project's own left as it is; None: its own config again. Whether that changed anything;
    callers then forget what ``provision`` remembered of it (``provision.force`` does both)."""
    key = Path(project).resolve()
    if setup is None and key not in _FORCED:
        return False
    if setup is None:
        del _FORCED[key]
    else:
        _FORCED[key] = Choice(setup, written=text)
    chosen.cache_clear()
    tox_arguments.cache_clear()
    return True


@functools.lru_cache(maxsize=None)
def chosen(project: Path) -> Choice:
    """How the harness tests ``project`` (read once a process: listing nox's sessions runs the
    noxfile)."""
    project = Path(project)
    if Path(project).resolve() in _FORCED:
        return _FORCED[Path(project).resolve()]
    setup = suite.find(project)
    if setup.kind != suite.TOX and (project / noxsessions.NOXFILE).is_file():
        return Choice(setup, tuple(noxsessions.sessions(project)))
    return Choice(setup)


@functools.lru_cache(maxsize=None)
def tox_arguments(project: Path) -> tuple:
    """``()`` for a project with its own tox config; else ``("-c", CONFIG, "--root", PROJECT)``,
    the config written (again, from the project's files as they are now)."""
    choice = chosen(project)
    if not choice.generated:
        return ()
    path = config_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, choice.text(Path(project)))
    return ("-c", str(path), "--root", str(Path(project).resolve()))


def said(project: Path) -> str:
    """The line that says how the harness tests a project without a tox config; '' for one
    with its own."""
    choice = chosen(project)
    if not choice.generated:
        return ""
    return (f"harness: {project} has no tox config; testing it with {choice.describe()} "
            f"(tox config written by the harness: {config_path(project)})")  # fmt: skip


def report(project: Path) -> dict:
    """What a report says of the setup: its kind, where it was found, what it installs, nox's
    sessions, and the config the harness wrote."""
    choice = chosen(project)
    found = dict(choice.setup.to_dict(), kind=choice.kind, describe=choice.describe())
    if choice.generated:
        found.update(config=str(config_path(project)), tests=choice.setup.kind)
    if choice.sessions:
        names = noxsessions.env_names(list(choice.sessions))
        found["sessions"] = {session: env for env, session in names.items()}  # -> its tox env
        found["default_sessions"] = [s["session"] for s in choice.sessions if s.get("default")]
        found["installer_constraints"] = list(noxsessions.CONSTRAINT_VARIABLES)
    return found
