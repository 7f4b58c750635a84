"""Small real tox projects, one env per shape of tox.ini that people really write.

``conformance`` holds a tiny package (``confpkg``, which depends on ``packaging`` and has a
``test`` extra) and one env for each shape: several pytest commands, ignored exit codes,
``ignore_errors``, ``commands_pre``/``commands_post`` around a segfault, ``pytest.exit``,
``os._exit``, pytest run inside a test, a ``set_env`` that overrides ``PYTHONPATH`` and
``PYTEST_ADDOPTS``, its own ``--junitxml``, pip as the ``install_command``, ``EncodingWarning`` made an error (as xopen's
``PYTHONWARNDEFAULTENCODING``), pytest under ``env`` followed by
``pip uninstall pytest`` (as patsy's), a pytest from outside the env (what patsy's env ran
the next time), ``.[test]``, ``extras``, ``package = wheel``, no deps
of its own, a failing non-test command, no commands, and an interpreter that is not
installed.

``flat`` is a flat-layout package that tox builds as an sdist, as tabulate does: a folder
the harness left beside it would break its build. One env installs it from ``uv.lock`` with
tox-uv's lock runner, as attrs does.

``numpy2`` fails one test for each NumPy 2 migration signature under a real numpy 2 wheel,
and has an env whose conftest breaks at import under NumPy 2.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

CONFORMANCE_TOX = """
[tox]
env_list = two-runs

[testenv]
package = skip
deps = pytest
commands = pytest tests/test_ok.py {posargs}

[testenv:two-runs]
commands =
    pytest tests/test_ok.py
    python -m pytest tests/test_ok.py -k one

[testenv:ignored]
commands =
    - pytest tests/test_bridge.py
    pytest tests/test_ok.py

[testenv:ignore-errors]
ignore_errors = true
commands =
    pytest tests/test_bridge.py
    pytest tests/test_ok.py

[testenv:pre-post-crash]
commands_pre = python -c "print('before the tests')"
commands = pytest tests/test_crash.py
commands_post = python -c "print('after the tests')"

[testenv:exit-early]
commands = pytest tests/test_exit.py

[testenv:os-exit]
commands = pytest tests/test_osexit.py

[testenv:setenv]
set_env =
    PYTHONPATH = {toxinidir}/nowhere
    PYTEST_ADDOPTS = -p no:cacheprovider -q
commands = pytest tests/test_ok.py -p no:junitxml

[testenv:no-autoload]
set_env =
    PYTEST_DISABLE_PLUGIN_AUTOLOAD = 1
    PYTEST_ADDOPTS = -q
commands = pytest tests/test_ok.py

[testenv:own-junit]
commands = pytest tests/test_ok.py --junitxml={envtmpdir}/mine.xml

[testenv:pip-command]
commands =
    python -m pip --version
    pytest tests/test_ok.py

[testenv:names-pytest]
allowlist_externals = env
commands =
    env CONFPKG_MODE=plain pytest tests/test_ok.py -k one
    python -m pip uninstall pytest -y
    python -c "import importlib.util as u; assert u.find_spec('pytest') is None"

[testenv:outside-pytest]
base_python = python3
allowlist_externals = {env:CONFORMANCE_OUTSIDE_PYTEST}
commands = {env:CONFORMANCE_OUTSIDE_PYTEST} tests/test_bridge.py

[testenv:warn-encoding]
set_env = PYTHONWARNDEFAULTENCODING = 1
commands = pytest tests/test_ok.py -W error::EncodingWarning

[testenv:pip-installer]
install_command = python -I -m pip install {opts} {packages}
commands = pytest tests/test_ok.py

[testenv:bad-command]
commands =
    python -c "import sys; print('boom: the fixtures folder is missing'); sys.exit(3)"
    pytest tests/test_ok.py

[testenv:dot-extra]
deps = .[test]
commands = pytest tests/test_pkg.py

[testenv:extras]
package = wheel
extras = test
deps = packaging>=23
commands = pytest tests/test_pkg.py

[testenv:no-deps]
package = wheel
extras = test
deps =
commands = pytest tests/test_pkg.py

[testenv:nested]
commands = pytest tests/test_nested.py

[testenv:no-commands]
commands =

[testenv:nopython]
base_python = python3.99
commands = pytest tests/test_ok.py

[pytest]
addopts = -ra
"""

CONFORMANCE_FILES = {
    "pyproject.toml": """
        [project]
        name = "confpkg"
        version = "0.1"
        dependencies = ["packaging>=23"]
        [project.optional-dependencies]
        test = ["pytest"]
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [tool.setuptools]
        packages = ["confpkg"]
        package-dir = {"" = "src"}
    """,
    "src/confpkg/__init__.py": """
        __version__ = "0.1"
    """,
    "tests/conftest.py": """
        import pytest


        @pytest.fixture
        def answer():
            return 42
    """,
    "tests/test_ok.py": """
        import pytest


        def test_one(answer):
            assert answer == 42


        def test_two():
            pass


        @pytest.mark.skip(reason="not on this platform")
        def test_skipped():
            pass
    """,
    "tests/test_bridge.py": """
        import pytest


        @pytest.mark.parametrize("n", range(10))
        def test_bridge(n):
            raise RuntimeError("Numpy is not available")
    """,
    "tests/test_crash.py": """
        def test_fine():
            pass


        def test_segfault():
            import ctypes

            ctypes.string_at(0)
    """,
    "tests/test_exit.py": """
        import pytest


        def test_first():
            pass


        def test_stops_the_session():
            pytest.exit("GPU not found, stopping", returncode=0)


        def test_never_runs():
            pass
    """,
    "tests/test_osexit.py": """
        import os


        def test_first():
            pass


        def test_vanishes():
            os._exit(0)


        def test_never_runs():
            pass
    """,
    "tests/test_nested.py": """
        import subprocess
        import sys


        def test_runs_pytest_inside_a_test():
            inner = [sys.executable, "-m", "pytest", "tests/test_ok.py", "-p", "no:cacheprovider"]
            assert subprocess.run(inner).returncode == 0
    """,
    "tests/test_pkg.py": """
        import confpkg
        import packaging


        def test_the_package_and_its_dependency_are_installed():
            assert confpkg.__version__ == "0.1" and packaging.__version__
    """,
}

NUMPY2_TOX = """
[tox]
env_list = migration
[testenv]
package = skip
deps =
    numpy==2.2.6
    pytest
commands = pytest tests/test_migration.py
[testenv:broken-conftest]
commands = pytest tests/broken
"""

NUMPY2_FILES = {
    "tests/test_migration.py": """
        import warnings

        import numpy as np


        def test_removed_alias():
            assert np.float_(1.5) == 1.5


        def test_removed_function():
            assert np.product([2, 3]) == 6


        def test_removed_import():  # ImportError without NumPy's hint: the name says it
            from numpy import float_  # noqa: F401


        def test_copy_false():
            np.array([1, 2, 3], copy=False)


        def test_core_module():
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                from numpy.core import numeric  # noqa: F401


        def test_compat_module():  # numpy 2.2 warns; numpy 2.3 removed numpy.compat
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                import numpy.compat  # noqa: F401


        def test_core_private_module():
            from numpy.core._methods import _mean  # noqa: F401


        def test_core_removed_name():
            from numpy.core.numeric import ComplexWarning  # noqa: F401


        def test_core_private_attribute():  # the shim's source quotes numpy-abi-import's text
            import numpy.core._multiarray_umath as umath

            assert umath.set_legacy_print_mode


        def test_core_attribute():
            assert np.core.alltrue


        def test_integer_overflow():
            assert np.uint8(250) + 300 == 38


        def test_promotion_with_python_float():
            assert type(np.float32(3) + 3.0) is np.float64


        def test_promotion_with_numpy_scalar():
            values = np.ones(3, dtype=np.float32)
            assert (values * np.float64(2.0)).dtype == np.float32


        def test_promotion_isinstance():
            result = np.float32(3) + 3.0
            assert isinstance(result, np.float64)


        def test_scalar_repr():
            assert repr(np.float64(1.5)) == "1.5"


        def test_unrelated_failure_beside_numpy_calls():
            values = np.int64([1, 1, 2])
            assert len(values) == 4
    """,
    "tests/broken/conftest.py": """
        import numpy as np

        TOLERANCE = np.float_(1e-6)
    """,
    "tests/broken/test_uses_it.py": """
        def test_anything():
            pass
    """,
}

NUMPY2_EXPECTED = {
    "test_removed_alias": "numpy2-removed-name",
    "test_removed_function": "numpy2-removed-name",
    "test_removed_import": "numpy2-removed-name",
    "test_copy_false": "numpy2-copy-keyword",
    "test_core_module": "numpy2-core-renamed",
    "test_compat_module": "numpy2-removed-module",
    "test_core_private_module": "numpy2-removed-module",
    "test_core_removed_name": "numpy2-removed-module",
    "test_core_private_attribute": "numpy2-removed-module",
    "test_core_attribute": "numpy2-removed-module",
    "test_integer_overflow": "numpy2-overflow",
    "test_promotion_with_python_float": "numpy2-promotion",
    "test_promotion_with_numpy_scalar": "numpy2-promotion",
    "test_promotion_isinstance": "numpy2-promotion",
    "test_scalar_repr": "numpy2-scalar-repr",
    "test_unrelated_failure_beside_numpy_calls": "other",  # its source shows np.int64([...])
}


FLAT_TOX = """
[tox]
env_list = py
[testenv]
deps = pytest
commands = pytest tests
[testenv:locked]
runner = uv-venv-lock-runner
dependency_groups = test
"""

FLAT_FILES = {
    "pyproject.toml": """
        [project]
        name = "flatpkg"
        version = "0.1"
        requires-python = ">=3.8"
        dependencies = ["packaging>=23"]
        [dependency-groups]
        test = ["pytest"]
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
    """,
    "flatpkg/__init__.py": """
        import packaging

        VERSION = packaging.__version__
    """,
    "tests/test_flat.py": """
        import flatpkg


        def test_the_installed_package():
            assert flatpkg.VERSION
    """,
}  # a flat layout: setuptools refuses to build it if another top-level folder appears


def build(root: Path, tox_ini: str, files: dict) -> Path:
    root.mkdir(parents=True)
    if tox_ini is not None:  # None: the files hold the tox config (tox.toml, pyproject.toml)
        (root / "tox.ini").write_text(textwrap.dedent(tox_ini))
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root
