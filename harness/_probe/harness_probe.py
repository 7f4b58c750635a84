"""The pytest plugin the harness installs into every cell's env; stdlib only, Python 3.7+.

pytest loads it through its ``pytest11`` entry point, so no option, ``PYTHONPATH`` or
``PYTEST_ADDOPTS`` of the project can switch it off. Each pytest session in the env writes
a folder of its own under the folder named in ``harness-probe.json`` (next to this file):

- ``session.json``: how the session started, what it collected, how it ended, and what the
  env really had (the interpreter that runs it: version, executable, the Python its venv was
  made from; package versions, device, torch's numpy bridge, coverage);
- ``events.jsonl``: each test outcome as pytest's own summary counts it (with its duration,
  the line of its definition and, for a failure, pytest's text), appended as it happens, so
  a session that dies midway still shows how far it got.

With ``past_collection_errors`` set, pytest runs the collected tests even when a module
failed to collect (``--continue-on-collection-errors``); that module still counts as an error.

A pytest started inside a test (pytester, a subprocess) is left alone: the outer session
is the one the harness counts.
"""

import json
import os
import platform
import sys
import time

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness-probe.json")
ACTIVE = "HARNESS_PROBE_SESSION"
WATCHED = ("torch", "numpy", "pandas", "pillow", "pytest")
TEXT_HEAD, TEXT_TAIL = 2000, 6000


def _config():
    """The harness's settings for this env: where sessions go, which packages to watch."""
    if os.environ.get(ACTIVE):
        return None
    try:
        with open(CONFIG, encoding="utf-8") as handle:
            config = json.load(handle)
        return {
            "sessions": str(config["sessions"]),
            "watch": list(config.get("watch") or []),
            "past_collection_errors": config.get("past_collection_errors") is True,
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def installed(name):
    """The installed version of a distribution, or None (stack_checks.py uses it too)."""
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
    if "torch" not in sys.modules and installed("torch") is None:
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


def _clip(text):
    if len(text) <= TEXT_HEAD + TEXT_TAIL:
        return text
    return text[:TEXT_HEAD] + "\n[...]\n" + text[-TEXT_TAIL:]


class Recorder:
    """Writes one pytest session's record; registered only when the harness asked for it."""

    def __init__(self, config, root, watch=()):
        self.config = config
        self.watch = sorted(set(WATCHED) | set(watch))
        self.folder = os.path.join(root, f"{time.monotonic():.6f}-{os.getpid()}")
        os.makedirs(self.folder)
        self.events = open(os.path.join(self.folder, "events.jsonl"), "a", encoding="utf-8")
        self.record = {
            "pid": os.getpid(),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
            "start": time.monotonic(),
            "collected": None,
            "finished": False,
            "exitstatus": None,
            "interrupted": None,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "base_executable": getattr(sys, "_base_executable", None),
            "continue_on_collection_errors": bool(
                getattr(config.option, "continue_on_collection_errors", False)
            ),
        }
        self._save()

    def _save(self):
        path = os.path.join(self.folder, "session.json")
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(self.record, handle, indent=1)
        os.replace(path + ".tmp", path)

    def _event(self, report, category):
        entry = {"nodeid": report.nodeid, "when": getattr(report, "when", "collect")}
        entry["category"] = category
        duration = getattr(report, "duration", None)  # a collect report has none
        if isinstance(duration, (int, float)):
            entry["duration"] = round(float(duration), 6)
        location = getattr(report, "location", None)  # (file, 0-based line, name) of the test
        if location and isinstance(location[1], int):
            entry["line"] = location[1] + 1
        if category in ("skipped", "xfailed"):  # why: pytest's reason, or xfail's
            reason = getattr(report, "wasxfail", None)
            longrepr = getattr(report, "longrepr", None)
            if not reason and isinstance(longrepr, tuple) and len(longrepr) == 3:
                reason = longrepr[2]
            entry["message"] = str(reason or "").replace("Skipped: ", "", 1)
        if report.failed:
            crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
            entry["message"] = getattr(crash, "message", "") or ""
            entry["text"] = _clip(report.longreprtext)
        self.events.write(json.dumps(entry) + "\n")
        self.events.flush()

    def pytest_collection_finish(self, session):
        self.record["collected"] = len(session.items)
        self._save()

    def pytest_collectreport(self, report):
        if report.failed:
            self._event(report, "error")
        elif report.skipped:
            self._event(report, "skipped")

    def pytest_runtest_logreport(self, report):
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else ""
        if category:
            self._event(report, category)

    def pytest_keyboard_interrupt(self, excinfo):
        value = excinfo.value
        self.record["interrupted"] = "{}: {}".format(
            excinfo.typename, getattr(value, "msg", None) or value
        )

    def pytest_sessionfinish(self, session, exitstatus):
        self.record.update(finished=True, exitstatus=int(exitstatus), end=time.monotonic())
        self.record["versions"] = {name: installed(name) for name in self.watch}
        self.record.update(_torch_facts())
        total = getattr(self.config.pluginmanager.get_plugin("_cov"), "cov_total", None)
        self.record["coverage"] = None if total is None else round(float(total), 2)
        self._save()

    def close(self):
        self.events.close()
        os.environ.pop(ACTIVE, None)


def pytest_configure(config):
    settings = _config()
    if settings is None:
        return
    if settings["past_collection_errors"]:  # read by pytest when collection ends
        config.option.continue_on_collection_errors = True
    recorder = Recorder(config, settings["sessions"], settings["watch"])
    os.environ[ACTIVE] = recorder.folder
    config.pluginmanager.register(recorder, "harness_probe_recorder")


def pytest_unconfigure(config):
    recorder = config.pluginmanager.get_plugin("harness_probe_recorder")
    if recorder is not None:
        recorder.close()
