"""How a project tests itself, read from its unpacked sdist (``stages.suite``: its tox config,
else its test extra, dependency group or requirements file, else plain pytest with what its
own files name); and, where it has no tox config, the one the harness writes for it. A project
that ships no test file at all is not measurable (``no-tests-shipped``).

A guessed setup may miss a library some tests need: those tests then fail in the control and
the changes alike, which the survey's judge does not count as a break.

The sdist is the harness's own copy, so a config written into it changes nothing of the
project's; a ``tox.ini`` that holds only other tools' sections (``[flake8]``, ``[pytest]``)
keeps them, and gets the harness's sections after them. A project whose own tox config ran no
test may be measured again with the setup the harness finds without it (``write_beside``): that
config is then written in the harness's cache and given to tox (``-c``), theirs left as it is.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.stages import provision, suite
from harness.stages.suite import EXTRA, GROUP, PYTEST, REQUIREMENTS, TOX, SuiteSetup, tox_ini
from harness.survey.row import NO_TESTS_SHIPPED, Unmeasurable

__all__ = ["EXTRA", "GROUP", "PYTEST", "REQUIREMENTS", "TOX", "SuiteSetup", "find", "tox_ini",
           "write_beside", "write_tox"]  # fmt: skip


def find(folder: Path) -> SuiteSetup:
    """How the project in ``folder`` tests itself, or Unmeasurable saying why nothing says so."""
    if not suite.tests_shipped(folder):
        raise Unmeasurable(
            NO_TESTS_SHIPPED, "the sdist ships no test module (test_*.py, *_test.py)"
        )
    return suite.find(folder)


def write_tox(folder: Path, setup: SuiteSetup, python: str = "") -> SuiteSetup:
    """Write the harness's tox config into the project's folder (after another tool's sections
    of a ``tox.ini``, kept); returns the setup with its env."""
    env, text = tox_ini(folder, setup, python)
    path = folder / "tox.ini"
    kept = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    path.write_text((kept.rstrip() + "\n\n" if kept.strip() else "") + text, encoding="utf-8")
    return replace(setup, generated=True, env=env)


def write_beside(folder: Path, own: str, python: str = "") -> SuiteSetup:
    """The setup the harness finds in ``folder`` with its own tox config (``own``) aside, its
    tox config written beside that one, outside the project; returns the setup with its env."""
    setup = suite.found(folder)
    env, text = tox_ini(folder, setup, python, instead=own)
    provision.force(folder, setup, text)
    return replace(setup, generated=True, env=env)


def forget(folder: Path) -> None:
    """The project's own tox config again (``write_beside`` undone)."""
    provision.force(folder, None)
