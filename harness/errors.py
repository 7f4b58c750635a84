"""Typed errors of the harness; the CLI turns each into a clear message and an exit code."""


class HarnessError(Exception):
    """Base class; ``str()`` is the message a user sees."""


class ConfigError(HarnessError):
    """tox.ini or the selection is malformed: unknown envs, bad pins, no tox config."""


class DiskSpaceError(HarnessError):
    """Not enough free disk for the environments the selection needs."""


class ToolError(HarnessError):
    """tox or uv is missing or failed in a way that is not about one cell."""


class StorageError(HarnessError):
    """A file of the reports folder could not be written (a full disk, no permission): the path
    is named, the previous file is left as it was, and the command exits 3."""


class UnknownPackage(ConfigError, LookupError):
    """The index has no package of that name (it answered 404): the user's name is wrong, not
    the network. A ``LookupError`` too, so look-ups that skip what the index lacks still do."""
