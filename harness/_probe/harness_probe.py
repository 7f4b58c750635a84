"""pytest plugin the harness loads into every cell (``-p harness_probe``); stdlib only.

At session end it writes what the cell really had: interpreter, installed versions of the
packages that matter, the device torch sees, and whether torch's numpy bridge works.
"""

import json
import os
import platform
import sys

WATCHED = ("torch", "numpy", "pandas", "pillow", "pytest")


def _installed(name):
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # Python < 3.8
        return None
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _torch_facts():
    facts = {"device": None, "gpu": None, "cuda": None, "numpy_bridge": None}
    if "torch" not in sys.modules and _installed("torch") is None:
        return facts
    try:
        import torch
    except Exception as exc:  # an import failure is itself a fact about the cell
        facts["numpy_bridge"] = f"torch import failed: {exc}"
        return facts
    cuda = torch.cuda.is_available()
    facts["device"] = "cuda" if cuda else "cpu"
    facts["cuda"] = torch.version.cuda
    facts["gpu"] = torch.cuda.get_device_name(0) if cuda else None
    try:
        import numpy

        torch.from_numpy(numpy.zeros(1))
        torch.zeros(1).numpy()
        facts["numpy_bridge"] = "ok"
    except Exception as exc:
        facts["numpy_bridge"] = f"{type(exc).__name__}: {exc}"
    return facts


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("HARNESS_CELL_DIR")
    if not out:
        return
    facts = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "exitstatus": int(exitstatus),
        "collected": session.testscollected,
        "versions": {name: _installed(name) for name in WATCHED},
    }
    facts.update(_torch_facts())
    path = os.path.join(out, "probe.json")
    with open(path + ".tmp", "w") as handle:
        json.dump(facts, handle, indent=2)
    os.replace(path + ".tmp", path)
