"""The table of known failure signatures, checked in order; the first that matches wins.

Extend it without touching code: ``harness run --signatures extra.json`` where the file is a
list of objects with the fields of ``Signature``; those are checked before the built-ins.
"""

from __future__ import annotations

import json
from pathlib import Path

from .cells import Signature

INCOMPATIBILITY, UNSATISFIABLE, INFRASTRUCTURE, UNDETERMINED = (
    "incompatibility", "unsatisfiable", "infrastructure", "undetermined",
)  # fmt: skip

BUILTIN = (
    Signature(
        "numpy-bridge-unavailable", "numpy bridge unavailable",
        r"Numpy is not available", INCOMPATIBILITY,
        "this torch build was compiled against another numpy ABI: pin numpy to the major "
        "version torch was built with, or move torch to a release built against this numpy",
    ),
    Signature(
        "numpy-abi-import", "numpy ABI mismatch at import",
        r"_ARRAY_API not found|compiled using NumPy 1\.x cannot be run in"
        r"|module compiled against (?:ABI|API) version|numpy\.core\.multiarray failed to import",
        INCOMPATIBILITY,
        "an extension module was compiled against numpy 1.x; pin numpy<2 or upgrade that module",
    ),
    Signature(
        "binary-incompatible", "binary incompatibility",
        r"numpy\.(?:dtype|ndarray|ufunc) size changed|may indicate binary incompatibility",
        INCOMPATIBILITY,
        "a compiled package (often pandas) was built against an older numpy ABI; upgrade it",
    ),
    Signature(
        "unsatisfiable", "unsatisfiable pins",
        r"No solution found when resolving|requirements are unsatisfiable|ResolutionImpossible"
        r"|there is no version of|conflicting dependencies",
        UNSATISFIABLE, "the pins contradict package metadata; no environment can be built",
    ),
    Signature(
        "install-network", "install or network error",
        r"Failed to (?:fetch|download)|Connection (?:refused|reset|aborted)|Network is unreachable"
        r"|Temporary failure in name resolution|Name or service not known|dns error"
        r"|error sending request|Read timed out|Could not connect|No space left on device"
        r"|Failed to (?:prepare|install|build) |failed to create virtual environment"
        r"|could not find python interpreter|No interpreter found",
        INFRASTRUCTURE, "infrastructure, not an incompatibility: check the network, disk or Python",
    ),
    Signature(
        "crash-signal", "crash by signal",
        r"Segmentation fault|Fatal Python error|SIGSEGV|SIGABRT|SIGBUS|Illegal instruction"
        r"|core dumped|killed by signal \d+|exit code -\d+",
        INCOMPATIBILITY, "the process died in native code; often a binary ABI mismatch",
    ),
    Signature(
        "import-error", "import error",
        r"(?:ModuleNotFoundError|ImportError): .+", INCOMPATIBILITY,
        "a module or symbol is missing in this combination",
    ),
    Signature("timeout", "timeout", r"harness: cell timed out", UNDETERMINED,
              "the cell hung or was too slow; raise --timeout or look for a deadlock"),
    Signature("no-tests", "no tests collected", r"collected 0 items|no tests ran", UNDETERMINED,
              "pytest ran no test: check the env's command and test paths"),
    Signature("other", "other", r"\w+(?:Error|Exception)\b|\bassert\b|\bFAILED\b", INCOMPATIBILITY,
              "unrecognised: read the evidence"),
)  # fmt: skip


def load_signatures(path: Path = None) -> tuple:
    """Built-ins, preceded by the signatures in ``path`` (a JSON list) when given."""
    if path is None:
        return BUILTIN
    try:
        extra = [Signature(**entry) for entry in json.loads(Path(path).read_text())]
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"cannot read signatures from {path}: {exc}") from exc
    return tuple(extra) + BUILTIN


def by_id(table: tuple) -> dict:
    return {signature.id: signature for signature in table}
