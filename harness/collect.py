"""Read what a cell left behind: JUnit XML, coverage JSON, tox's result journal, the probe."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from .cells import Counts

REPORTED = ("python", "torch", "numpy", "pandas", "pillow")


@dataclass
class TestCase:
    id: str
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    text: str = ""


@dataclass
class Journal:
    """The parts of tox's ``--result-json`` the harness uses."""

    setup_ok: bool
    install_s: float
    test_s: float
    test_retcodes: list
    packages: dict = field(default_factory=dict)  # canonical name -> version
    python: str = None


def read_json(path: Path):
    """The parsed file, or None when it is missing or unreadable (a crashed cell)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def junit_cases(path: Path) -> list:
    """Test cases of a JUnit XML file; None when the file is missing or truncated."""
    try:
        root = ElementTree.parse(str(path)).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    cases = []
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
        outcome, message, text = "passed", "", ""
        for tag, result in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(tag)
            if element is not None:
                outcome, message, text = result, element.get("message", ""), element.text or ""
                break
        cases.append(TestCase(name, outcome, message, text))
    return cases


def count(cases: list) -> Counts:
    tests = Counts()
    for case in cases:
        if case.outcome == "passed":
            tests.passed += 1
        elif case.outcome == "failed":
            tests.failed += 1
        elif case.outcome == "error":
            tests.errors += 1
        else:
            tests.skipped += 1
    return tests


def coverage_percent(path: Path):
    data = read_json(path)
    try:
        return round(float(data["totals"]["percent_covered"]), 2)
    except (TypeError, KeyError, ValueError):
        return None


def journal(path: Path, env: str):
    data = read_json(path)
    if not data or env not in data.get("testenvs", {}):
        return None
    entry = data["testenvs"][env]
    setup, test = entry.get("setup", []), entry.get("test", [])
    packages = {}
    for line in entry.get("installed_packages", []):
        name, sep, version = line.partition("==")
        if sep:
            packages[canonicalize_name(name)] = version
    python = (entry.get("python") or {}).get("version_info")
    return Journal(
        setup_ok=all(step.get("retcode") == 0 for step in setup),
        install_s=round(sum(step.get("elapsed", 0) for step in setup), 2),
        test_s=round(sum(step.get("elapsed", 0) for step in test), 2),
        test_retcodes=[step.get("retcode") for step in test],
        packages=packages,
        python=".".join(str(part) for part in python[:3]) if python else None,
    )


def versions(journal_: Journal, probe: dict) -> dict:
    """Installed versions of the packages the report shows; the probe wins where it ran."""
    found = {name: None for name in REPORTED}
    if journal_:
        found.update({n: journal_.packages.get(n) for n in REPORTED if n != "python"})
        found["python"] = journal_.python
    if probe:
        found.update({n: v for n, v in probe.get("versions", {}).items() if n in found and v})
        found["python"] = probe.get("python") or found["python"]
    return found


def device(probe: dict) -> dict:
    if not probe:
        return {}
    return {k: probe.get(k) for k in ("device", "gpu", "cuda", "numpy_bridge")}


def log_tail(path: Path, lines: int = 400) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
