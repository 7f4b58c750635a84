"""Typed errors of the harness, and the one table of exit codes every command follows; the
CLI turns each error into a clear message and its exit code."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNMEASURED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = {  # the docs (reference/exit-codes) and every --help are generated from it
    EXIT_OK: "done: every selected cell was measured, and each passed or ended as the project "
    "declares it ([tool.harness.expected]); the gate found no regression",
    EXIT_FAILED: "the answer is no: a cell failed, crashed or is unsatisfiable (its pins cannot be "
    "installed together) and is not declared so, or a declared cell changed its verdict or "
    "signature or now passes; the gate found a regression or an unsatisfiable proposal; a lock "
    "proved unsatisfiable; a survey has a project that breaks",
    EXIT_USAGE: "bad input, before any work: usage, config, an unknown env or package, a busy "
    "or foreign reports folder",
    EXIT_UNMEASURED: "not measured: network, interpreter or tool trouble, a timeout, a cell that "
    "ran no test, a stored result that cannot be read, a file that cannot be written, a bug; a "
    "survey has a project that could not be measured and none that breaks",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGTERM): the report holds what finished",
}


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
