"""A run of whole test folders (a bare ``pytest``, ``scripts/test.sh``) spreads over every CPU
with pytest-xdist; a run of named files or tests stays in one process, where starting workers
would cost more than it saves. ``-n N`` or ``-p no:xdist`` chooses for yourself.

Not ``addopts``: the service's tox envs (``tox.ini``) read this project's pytest settings too,
and they measure the suite without xdist installed."""

from __future__ import annotations

from pathlib import Path

import pytest

# debugging, listing: one process; --cov too, whose plugin chose a serial run before this hook
# (scripts/test.sh passes -n itself, so that pytest-cov knows)
SERIAL_OPTIONS = ("usepdb", "collectonly", "trace", "cov_source")


def spreads(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):  # a worker itself: it must never start workers
        return False
    if not config.pluginmanager.hasplugin("xdist") or config.option.numprocesses is not None:
        return False
    if any(config.getoption(name, False) for name in SERIAL_OPTIONS):
        return False
    return all("::" not in arg and Path(arg).is_dir() for arg in config.args)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if spreads(config):
        config.option.numprocesses = "auto"
