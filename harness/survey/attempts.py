"""The tries a survey makes at one project, and when it makes the next. Pure: no I/O.

A row whose control ran but passed no test (no test ran, or its build or install failed) says
nothing about the change; the survey then measures it again, at most in this order, and stops
at the first try whose control passes a test (or that ends another way):

1. the setup the harness finds first (the project's own tox config, else the one it writes),
   today (or as of the asked ``--as-of``);
2. the same, as of its release (no date asked, the index gives its upload time): today's
   tools may be what fails;
3. where that setup was the project's own tox config: the setup the harness finds without it
   (its test extra, requirements, or pytest with what its files name), today: an abandoned
   config (nibabel 5.1.0's ``nosetests`` envs) is not the project's tests;
4. that setup as of its release.

Its own config comes first, today and as of its release, since it is the project's own word;
each earlier try's reports are kept beside the last (``aside``).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.survey import row as rows

OWN = "own"  # the setup found first (the project's own tox config where it has one)
FOUND = "found"  # the harness's, without the project's tox config
TODAY, RELEASE = "", "release"  # now (or the asked --as-of); as of the release's upload
AGAIN = (rows.NO_TESTS_RAN, rows.BUILD_FAILURE, rows.INSTALL_FAILURE)  # the tools' or setup's


@dataclass(frozen=True)
class Try:
    setup: str = OWN
    as_of: str = TODAY

    @property
    def aside(self) -> str:
        """The folder its reports are kept in when another try follows."""
        if self.setup == OWN:
            return "reports-today" if self.as_of == TODAY else "reports-release"
        return "reports-found-today" if self.as_of == TODAY else "reports-found-release"


FIRST = Try()


def order(own_config: bool, asked: str, uploaded: bool) -> list:
    """Every try, in order: ``own_config``: the first setup was the project's tox config;
    ``asked``: an ``--as-of`` was given; ``uploaded``: the index gives the release's upload."""
    times = [TODAY, RELEASE] if uploaded and not asked else [TODAY]
    setups = [OWN, FOUND] if own_config else [OWN]
    return [Try(setup, when) for setup in setups for when in times]


def following(done: Try, kind: str, control_ran: bool, passed: int, own_config: bool,
              asked: str = "", uploaded: bool = True, changes_only: bool = False) -> Try | None:  # fmt: skip
    """The try after ``done``, whose row's reason kind is ``kind`` (its control ran, when
    ``control_ran``, and passed ``passed`` tests); None when it is the last, or its answer stands."""
    if changes_only or not control_ran or passed or kind not in AGAIN:
        return None
    tries = order(own_config, asked, uploaded)
    at = tries.index(done) + 1 if done in tries else len(tries)
    return tries[at] if at < len(tries) else None


def notes(done: Try, then: Try, kind: str, reason: str, own: str) -> tuple:
    """``(as_of_note, instead)``: what the row of ``then`` says of ``done`` (whose row's reason
    kind and reason are ``kind`` and ``reason``): why it is measured as of its release, and
    why not with its own tox config (``own``: that config's name), each "" where not so."""
    said = f"{kind}: {reason}"
    note = f"measured again as of its release; with today's tools {said}" if then.as_of else ""
    if then.setup == FOUND and done.setup == OWN:
        when = " (today, nor as of its release)" if done.as_of else ""
        return note, f"its own {own} ran no test{when}: {said}"
    return note, ""
