"""The table of known failure signatures, checked in order; the first that matches wins.

Extend it without touching code: ``harness run --signatures extra.json`` where the file is a
list of objects with the fields of ``Signature``; those are checked before the built-ins.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness import bounded
from harness.errors import ConfigError
from harness.model import Signature

INCOMPATIBILITY, UNSATISFIABLE, INFRASTRUCTURE, UNDETERMINED = (
    "incompatibility", "unsatisfiable", "infrastructure", "undetermined",
)  # fmt: skip

NUMPY2_EXPIRED = (  # numpy/_expired_attrs_2_0.py: `from numpy import float_` loses the hint
    "float_", "complex_", "longfloat", "singlecomplex", "cfloat", "longcomplex", "clongfloat",
    "string_", "unicode_", "Inf", "Infinity", "NaN", "infty", "NINF", "PINF", "NZERO", "PZERO",
    "cast", "source", "lookfor", "who", "fastCopyAndTranspose", "set_numeric_ops", "safe_eval",
    "geterrobj", "seterrobj", "add_newdoc_ufunc", "add_docstring", "add_newdoc", "mat",
    "issubsctype", "sctype2char", "sctypes", "DataSource", "nbytes", "tracemalloc_domain",
)  # fmt: skip
NUMPY2_REMOVED = (
    "product",
    "cumproduct",
    "sometrue",
    "alltrue",
    "round_",
    "asfarray",
    "issubclass_",
    "find_common_type",
    "msort",
    "deprecate",
    "deprecate_with_doc",
    "disp",
    "int0",
    "uint0",
    "bool8",
    "object0",
    "str0",
    "bytes0",
    "void0",
    "row_stack",
    "trapz",
    "in1d",
    "set_string_function",
    "recfromcsv",
    "recfromtxt",
    "byte_bounds",
    "compare_chararrays",
    "format_parser",
    "issctype",
    "maximum_sctype",
    "obj2sctype",
    "sctype2char",
    "sctypes",
)  # removed in NumPy 2.x without the "was removed in the NumPy 2.0 release" message

NUMPY_NUMBER = r"(?:float|u?int|complex)\d+"  # the name of a numeric NumPy scalar type
NUMPY_TYPE = r"(?:<class 'numpy\.|dtype\(')"  # how pytest and unittest print one

BUILTIN = (
    Signature(
        "numpy-bridge-unavailable", "numpy bridge unavailable",
        r"Numpy is not available", INCOMPATIBILITY,
        "this torch build was compiled against another numpy ABI: pin numpy to the major "
        "version torch was built with, or move torch to a release built against this numpy",
        "torch",
    ),
    Signature(  # before numpy-abi-import: numpy.core._multiarray_umath's shim quotes its message
        "numpy2-removed-module", "module or private name removed in NumPy 2",
        r"No module named '?numpy\.(?:compat|array_api|core\.(?!_multiarray_umath\b)\w+)"
        r"|cannot import name '?\w+'? from '?numpy\.core\b"
        r"|AttributeError: [Mm]odule 'numpy\._?core\b[\w.]*' has no attribute"
        r"|`np\.compat`, which was used during the Python 2 to 3 transition",
        INCOMPATIBILITY,
        "NumPy 2 made numpy.core private (numpy._core): its shims forward only what numpy._core "
        "still has, and modules such as numpy.core._methods are gone; numpy.compat warns in 2.2 "
        "and is gone from 2.3; numpy.array_api is gone (array-api-strict replaces it). Use the "
        "public API (numpy, numpy.exceptions, numpy.lib), or pin numpy<2",
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
        "pandas",
    ),
    Signature(
        "numpy-distutils-removed", "numpy.distutils is gone on Python 3.12+",
        r"No module named '?numpy\.distutils\b", INCOMPATIBILITY,
        "no numpy (1.26 included) installs numpy.distutils on Python >= 3.12: build with "
        "meson-python, scikit-build-core or setuptools, or run that package on Python < 3.12",
    ),
    Signature(
        "numpy2-removed-name", "name removed in NumPy 2",
        r"was removed in the NumPy 2\.0 release|module 'numpy' has no attribute '(?:"
        + "|".join(NUMPY2_REMOVED) + r")'|cannot import name '(?:"
        + "|".join(NUMPY2_REMOVED + NUMPY2_EXPIRED) + r")' from 'numpy'"
        r"|(?:type object 'numpy\.ndarray'|'numpy\.ndarray' object) has no attribute "
        r"'(?:ptp|itemset|newbyteorder)'",  # the ndarray methods NumPy 2 removed
        INCOMPATIBILITY,
        "the code uses a name NumPy 2 removed (see NumPy's 2.0 migration guide, or ruff's NPY201); "
        "use its replacement, or pin numpy<2",
    ),
    Signature(
        "numpy2-copy-keyword", "copy=False cannot avoid a copy",
        r"Unable to avoid copy while creating an array", INCOMPATIBILITY,
        "NumPy 2's copy=False means never copy; use np.asarray(obj) where a copy is allowed",
    ),
    Signature(
        "numpy2-core-renamed", "numpy.core renamed to numpy._core",
        r"numpy\.core is deprecated and has been renamed to numpy\._core"
        r"|No module named '?numpy\._core", INCOMPATIBILITY,
        "numpy.core became private (numpy._core) in NumPy 2; use the public API, or data pickled "
        "by NumPy 2 is being read by NumPy < 1.26",
    ),
    Signature(
        "numpy2-overflow", "out-of-bound Python integer (NEP 50)",
        r"Python integer -?\d+ out of bounds for \w+", INCOMPATIBILITY,
        "NumPy 2 (NEP 50) keeps the array's dtype and no longer wraps Python integers into it",
    ),
    Signature(
        "numpy2-promotion", "result dtype changed by NEP 50 promotion",
        NUMPY_TYPE + rf"({NUMPY_NUMBER})'[>)] (?:is|[!=]=) " + NUMPY_TYPE + rf"(?!\1'){NUMPY_NUMBER}'"
        rf"|isinstance\(np\.({NUMPY_NUMBER})\([^()]*\), <class 'numpy\.(?!\2'){NUMPY_NUMBER}'>\)"
        rf"|\bnumpy\.({NUMPY_NUMBER}) is not numpy\.(?!\3\b){NUMPY_NUMBER}\b",
        INCOMPATIBILITY,
        "NumPy 2 (NEP 50) keeps a NumPy scalar's dtype beside a Python number (float32 + 3.0 is "
        "float32) and lets a NumPy scalar's dtype, not its value, promote an array (a float32 "
        "array * float64 scalar is float64): cast explicitly, or pin numpy<2",
    ),
    Signature(
        "numpy2-scalar-repr", "NumPy 2 scalar representation",
        r"^(?!>>>|\.\.\.)(?:.*?(?:['\"\[({]|[,:] ))?np\.(?:(?:float|u?int|complex|bool|str_|bytes_"
        r"|longdouble|clongdouble|datetime64|timedelta64)\w*\((?:-?[\d.]+(?:e[-+]?\d+)?j?|True"
        r"|False|-?nan|-?inf|'[^']*')\)|(?:True|False)_\b)",
        INCOMPATIBILITY,
        "NumPy 2 prints scalars as np.float64(1.5); compare values, not strings, or use "
        "np.set_printoptions(legacy='1.25') in doctests",
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
        r"|Connection(?:Refused|Reset|Aborted)Error|socket\.gaierror|Max retries exceeded with url"
        r"|Git operation failed|Could not resolve host"
        r"|Temporary failure in name resolution|Name or service not known|dns error"
        r"|error sending request|Read timed out|Could not connect|No space left on device"
        r"|Failed to (?:prepare|install|build) |failed to create virtual environment",
        INFRASTRUCTURE, "infrastructure, not an incompatibility: check the network or the disk",
    ),
    Signature(
        "python-missing", "Python interpreter not found",
        r"harness: no Python|could not find python interpreter|No interpreter found"
        r"|No (?:Python|interpreter) found for",
        INFRASTRUCTURE, "install the Python this env asks for (pyenv, uv python install, ...)",
    ),
    Signature(
        "env-setup", "the env could not be built", r"harness: env setup failed", INFRASTRUCTURE,
        "tox could not build the env for a reason no signature knows: read the evidence and the log",
    ),
    Signature(
        "env-config", "the env cannot run its command",
        r"is not allowed, use allowlist_externals|: command not found|No module named (?:pytest|pip)$"
        r"|\[Errno 2\] No such file or directory: '[^']*'$",
        INFRASTRUCTURE, "the env lacks a tool its commands call: add it to deps or allowlist_externals",
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
    Signature("pytest-not-started", "pytest could not start", r"harness: pytest could not start",
              INFRASTRUCTURE, "pytest stopped before collecting a test: a usage or internal error, "
              "or a plugin that fails at start-up with this pytest (the line quoted is pytest's "
              "own); nothing was measured"),
    Signature("probe-missing", "pytest ran unobserved", r"the harness's probe recorded no session",
              INFRASTRUCTURE, "the probe did not load in that pytest (one from outside the env, "
              "a pytest older than 7, or plugins loaded some other way); nothing about the tests "
              "is known"),
    Signature("session-incomplete", "pytest session did not finish", r"pytest session ended before",
              INCOMPATIBILITY, "the test process stopped before pytest finished; its result is "
              "unknown, so the cell cannot pass"),
    Signature("timeout", "timeout", r"harness: cell timed out", UNDETERMINED,
              "the cell hung or was too slow; raise --timeout or look for a deadlock"),
    Signature("no-tests", "no tests collected", r"collected 0 items|no tests ran", UNDETERMINED,
              "pytest ran no test: check the env's command and test paths"),
    Signature("other", "other", r"\w+(?:Error|Exception)\b|\bassert\b|\bFAILED\b", INCOMPATIBILITY,
              "unrecognised: read the evidence"),
)  # fmt: skip


def load_signatures(path: Path = None) -> tuple:
    """Built-ins, preceded by the signatures in ``path`` (a JSON list) when given.

    Each pattern is compiled here, so a bad one stops the run before any cell starts.
    """
    if path is None:
        return BUILTIN
    try:
        extra = [Signature(**entry) for entry in bounded.load_json(Path(path))]
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"cannot read signatures from {path}: {exc}") from exc
    kinds = (INCOMPATIBILITY, UNSATISFIABLE, INFRASTRUCTURE, UNDETERMINED)
    for signature in extra:
        try:
            re.compile(signature.pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(f"signature {signature.id!r} in {path}: bad pattern: {exc}") from exc
        if signature.kind not in kinds:
            raise ConfigError(f"signature {signature.id!r} in {path}: kind must be one of {kinds}")
    return tuple(extra) + BUILTIN


def by_id(table: tuple) -> dict:
    return {signature.id: signature for signature in table}


EXAMPLES = {  # a line each built-in signature matches first (the reference shows them; tested)
    "numpy-bridge-unavailable": "RuntimeError: Numpy is not available",
    "numpy2-removed-module": "ModuleNotFoundError: No module named 'numpy.core._methods'",
    "numpy-abi-import": "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.2.6",
    "binary-incompatible": "ValueError: numpy.dtype size changed, may indicate binary incompatibility",
    "numpy-distutils-removed": "ModuleNotFoundError: No module named 'numpy.distutils'",
    "numpy2-removed-name": "AttributeError: `np.float_` was removed in the NumPy 2.0 release. Use `np.float64` instead.",
    "numpy2-copy-keyword": "ValueError: Unable to avoid copy while creating an array as requested.",
    "numpy2-core-renamed": "DeprecationWarning: numpy.core is deprecated and has been renamed to numpy._core",
    "numpy2-overflow": "OverflowError: Python integer 300 out of bounds for uint8",
    "numpy2-promotion": "assert <class 'numpy.float32'> is <class 'numpy.float64'>",
    "numpy2-scalar-repr": "Got: np.float64(1.5)",
    "unsatisfiable": "× No solution found when resolving dependencies:",
    "install-network": "error: Failed to fetch: `https://pypi.org/simple/torch/`",
    "python-missing": "py311: skipped because could not find python interpreter with spec(s): py311",
    "env-setup": "harness: env setup failed: tox exited 1 before the env's commands ran",
    "env-config": "py: failed with pytest is not allowed, use allowlist_externals to allow it",
    "crash-signal": "Fatal Python error: Segmentation fault",
    "import-error": "ImportError: cannot import name 'Tensor' from 'mylib'",
    "pytest-not-started": "harness: pytest could not start: ERROR: usage: pytest [options]",
    "probe-missing": "the harness's probe recorded no session in this command",
    "session-incomplete": "pytest session ended before it finished: os._exit(3) in a test",
    "timeout": "harness: cell timed out after 1800 s",
    "no-tests": "collected 0 items",
    "other": "AssertionError: assert 2 == 3",
}
