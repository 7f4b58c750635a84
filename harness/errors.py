"""Typed errors of the harness; the CLI turns each into a clear message and an exit code."""


class HarnessError(Exception):
    """Base class; ``str()`` is the message a user sees."""


class ConfigError(HarnessError):
    """tox.ini or the selection is malformed: unknown envs, bad pins, no tox config."""


class DiskSpaceError(HarnessError):
    """Not enough free disk for the environments the selection needs."""


class ToolError(HarnessError):
    """tox or uv is missing or failed in a way that is not about one cell."""
