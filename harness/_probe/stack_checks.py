"""``harness probe``: a few seconds of checks instead of a project's suite; stdlib and pytest.

Run by pytest inside a cell's own env, so the harness's probe plugin records it like any
session and the same signature table classifies what fails. It checks the binary-coupled
stack: each package imports without an error or an ABI warning, torch's numpy bridge works
both ways, and pandas round-trips a numpy array. ``HARNESS_STACK`` names extra packages to
import (the cell's pins).
"""

import importlib
import os
import warnings

import pytest
from harness_probe import installed  # beside this file in the env

CORE = ("numpy", "torch", "pandas")
IMPORT_NAMES = {"pillow": "PIL", "scikit-learn": "sklearn", "opencv-python": "cv2"}
ABI_WORDS = ("_ARRAY_API", "compiled using NumPy", "numpy.core.multiarray failed to import",
             "dtype size changed", "binary incompatibility")  # fmt: skip


def _stack():
    extra = [n for n in os.environ.get("HARNESS_STACK", "").split(",") if n]
    return [n for n in dict.fromkeys(list(CORE) + extra) if installed(n)]


def _import(name):
    module = IMPORT_NAMES.get(name, name.replace("-", "_"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imported = importlib.import_module(module)
    bad = [str(w.message) for w in caught if any(word in str(w.message) for word in ABI_WORDS)]
    if bad:
        raise AssertionError("import {} warned: {}".format(name, " | ".join(bad)))
    return imported


@pytest.mark.parametrize("name", _stack())
def test_import(name):
    _import(name)


def _need(name):
    if not installed(name):
        pytest.skip(f"{name} is not installed")
    return _import(name)


def test_numpy_to_torch():
    numpy, torch = _need("numpy"), _need("torch")
    assert torch.from_numpy(numpy.arange(3.0)).sum().item() == 3.0


def test_torch_to_numpy():
    _need("numpy")
    torch = _need("torch")
    assert torch.arange(3.0).numpy().sum() == 3.0


def test_pandas_round_trip():
    numpy, pandas = _need("numpy"), _need("pandas")
    frame = pandas.DataFrame(numpy.arange(6.0).reshape(3, 2), columns=["a", "b"])
    assert frame.to_numpy().sum() == 15.0 and frame["a"].mean() == 2.0
