"""compat.json, the source of truth: the union of every stored cell result, and what the
Markdown and HTML reports share (the grid's axes, counts, the commands of a cell).

A run replaces the results of the cells it ran and keeps the others; each cell says when it
was measured and whether its inputs have changed since (``stale``). With a control cell, the
report reads every other cell against it (``control``: ``harness.control.view``).
"""

from __future__ import annotations

import datetime
import os
import platform
from collections import Counter
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import __version__, bounded
from harness import control as against
from harness.model import CRASH, FAIL, PASS, PROBE, SUITE, VERDICTS, CellResult
from harness.stages import expectations
from harness.stages.classify import clean
from harness.stages.signatures import BUILTIN
from harness.store import result_key

SCHEMA = "harness.compat/1"
MARKS = {
    "pass": "✅",
    "fail": "❌",
    "crash": "💥",
    "no-tests": "⚠️",
    "timeout": "⏱️",
    "unsatisfiable": "⛔",
    "infra-error": "🔧",
}  # fmt: skip  (decoration: the verdict word always stands beside it)
PREFERRED_AXES = ("torch", "numpy", "pandas")  # then other packages, then Python
REQUIRED = {"schema": str, "generated_at": str, "project": str, "host": dict, "interrupted": bool,
            "not_run": list, "summary": dict, "signatures": dict, "cells": list}  # fmt: skip


AUDIT_SECTIONS = (
    ("needed_bounds", "Allowed by metadata, broken at run time (users need a bound)"),
    ("forbidden_bounds", "Forbidden by metadata (unsatisfiable cells)"),
    ("loose_bounds", "Bounds tighter than the tests require (forced cells that passed)"),
    ("real_bounds", "Bounds the tests confirm (forced cells that failed)"),
)  # the keys of audit.json the reports show, and their titles


def audit_sections(audit) -> list:
    """``[(title, lines)]`` of an audit.json, the empty sections left out."""
    return [(title, audit[key]) for key, title in AUDIT_SECTIONS if audit and audit.get(key)]


def agrees(suite: str, probe: str):
    """Whether a probe told what the suite measured: None when either was not measured."""
    measured = (PASS, FAIL, CRASH)
    return (suite == PASS) == (probe == PASS) if suite in measured and probe in measured else None


def notes(report: dict) -> dict:
    """``{cell name: "control, forced, stale, probe: pass"}``: what the grids print after a
    verdict."""
    found, control = {}, control_name(report)
    for cell in report["cells"]:
        words = [w for w, on in (("control", cell["cell"]["name"] == control),
                                 ("forced", cell["cell"].get("forced")), ("stale", cell.get("stale")),
                                 ("probe only", cell.get("mode") == PROBE)) if on]  # fmt: skip
        probe = cell.get("probe")
        if probe:
            agreed = {True: "", False: " DISAGREES", None: ""}[cell.get("agrees")]
            words.append(f"probe{agreed}: {probe['verdict']}")
        found[cell["cell"]["name"]] = ", ".join(words)
    return found


def project_name(project: Path) -> str:
    try:
        return bounded.load_toml(project / "pyproject.toml")["project"]["name"]
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return project.name


def build(results: list, project: Path, not_run: list, interrupted: bool, tools: dict,
          table: tuple = BUILTIN, stale: set = frozenset(),
          declared: expectations.Declarations = expectations.NONE, control: str = "") -> dict:  # fmt: skip
    """The report of ``results``; each cell's ``expected`` is its declaration compared with its
    result (``Check.to_dict``), None when the project declares nothing for it. ``control``: the
    cell the others are read against; the report has no ``control`` when none of ``results``
    is that cell."""
    suites = {r.cell.name: r for r in results if r.mode == SUITE}
    probes = {r.cell.name: r for r in results if r.mode == PROBE}
    cells = []
    for name in sorted(set(suites) | set(probes)):
        main, probe = suites.get(name) or probes[name], probes.get(name)
        entry = dict(main.to_dict(), stale=result_key(main) in stale,
                     expected=expectations.compare(main, declared).to_dict())  # fmt: skip
        if main.mode == SUITE and probe:
            entry["probe"] = {"verdict": probe.verdict, "signatures": probe.signature_counts(),
                              "measured_at": probe.measured_at, "stale": result_key(probe) in stale}  # fmt: skip
            entry["agrees"] = agrees(main.verdict, probe.verdict)
        cells.append(entry)
    report = {
        "schema": SCHEMA,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "project": str(project),
        "project_name": project_name(Path(project)),
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },  # fmt: skip
        "tools": dict(tools, harness=__version__),
        "interrupted": interrupted,
        "not_run": list(not_run),
        "summary": dict(Counter(c["verdict"] for c in cells)),
        "signatures": {s.id: {"title": s.title, "kind": s.kind, "hint": s.hint} for s in table},
        "cells": cells,
    }
    return with_control(report, control)


def control_name(report: dict) -> str:
    """The cell a report reads the others against, '' for none."""
    found = report.get("control")
    name = found.get("cell") if isinstance(found, dict) else ""
    return name if isinstance(name, str) else ""


def with_control(report: dict, name: str) -> dict:
    """``report`` read against its cell ``name``, the view made again from its cells; without
    ``control`` when ``name`` is '' or names none of them."""
    report = {k: v for k, v in report.items() if k != "control"}
    results = results_of(report) if name else []
    main = next((r for r in results if r.cell.name == name), None)
    if main is None:
        return report
    ordered = {}
    for key, value in report.items():
        if key == "cells":  # the view just before the cells: compat.json reads top down
            ordered["control"] = against.view(main, results)
        ordered[key] = value
    return ordered


def load(path: Path) -> dict:
    """A compat.json, checked: a report of another shape is a ValueError, never a traceback."""
    data = bounded.load_json(Path(path))
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("harness.compat/"):
        schema = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path} is not a harness compat report (schema {schema!r})")
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise ValueError(f"{path} has no valid {key!r} ({kind.__name__} expected)")
    try:
        results_of(data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"{path} holds a cell of the wrong shape: {exc!r}") from exc
    if data.get("control") is not None and not control_name(data):
        raise ValueError(f"{path} has no valid 'control' (an object naming a cell expected)")
    return with_control(data, control_name(data))  # the view made again from the cells


def results_of(report: dict) -> list:
    results = []
    for cell in report["cells"]:
        cell = {k: v for k, v in cell.items() if k not in ("stale", "probe", "agrees", "expected")}
        results.append(CellResult.from_dict(cell))
    return results


def axis_value(result: CellResult, name: str) -> str:
    """The installed version when known, else the pin (an unsatisfiable cell installed nothing)."""
    if name == "python":  # the Python that ran, else the one the env asks for; never a guess
        return result.versions.get("python") or "/".join(result.cell.base_python) or "?"
    return result.versions.get(name) or result.cell.pins.get(name, "").lstrip("=") or "?"


def _order(value: str):
    try:
        return (0, Version(value), "")
    except InvalidVersion:
        return (1, Version("0"), value)


def axes(results: list) -> tuple:
    """The two things the grid is drawn over: torch x numpy when both vary, else the two
    packages (or Python) with the most values; ``None`` where fewer vary."""
    names = {n for r in results for n in list(r.cell.pins) + ["python"]}
    values = {n: {axis_value(r, n) for r in results} for n in names}
    varying = [n for n in names if len(values[n]) > 1]
    if "torch" in varying and "numpy" in varying:
        return "torch", "numpy"
    rank = {n: i for i, n in enumerate(PREFERRED_AXES)}
    rank["python"] = len(rank) + 1
    varying.sort(key=lambda n: (-len(values[n]), rank.get(n, len(PREFERRED_AXES)), n))
    return (varying + [None, None])[0], (varying + [None, None])[1]


def grid(results: list) -> tuple:
    """``(row axis, column axis, rows, columns, {(row, column): [results]})``, sorted."""
    row_axis, column_axis = axes(results)
    positions = {}
    for result in results:
        row = axis_value(result, row_axis) if row_axis else ""
        column = axis_value(result, column_axis) if column_axis else ""
        positions.setdefault((row, column), []).append(result)
    rows = sorted({k[0] for k in positions}, key=_order)
    columns = sorted({k[1] for k in positions}, key=_order)
    return row_axis, column_axis, rows, columns, positions


def headings(row_axis, column_axis, rows: list, columns: list, named: bool = False) -> tuple:
    """``(corner, column headings, row headings)`` of a grid, none of them blank: with one axis
    the cells' column is headed ``cell``, with none their row is ``all``. ``named``: each value
    after its axis (``numpy 2.2.6``)."""
    corner = f"{row_axis} \\ {column_axis}" if row_axis and column_axis else row_axis or "cells"

    def label(axis, value, missing: str) -> str:
        return (f"{axis} {value}" if named else value) if axis else missing

    return (corner, [label(column_axis, c, "cell") for c in columns],
            [label(row_axis, r, "all") for r in rows])  # fmt: skip


def counts_text(tests) -> str:
    """``63 passed, 15 failed, 1 skipped``: every non-zero outcome, in pytest's words."""
    parts = [(tests.passed, "passed"), (tests.failed, "failed"), (tests.errors, "errors"),
             (tests.skipped, "skipped"), (tests.xfailed, "xfailed"), (tests.xpassed, "xpassed")]  # fmt: skip
    return ", ".join(f"{n} {word}" for n, word in parts if n) or "no tests"


def tests_text(result: CellResult) -> str:
    if result.tests.total == 0:  # infra-error: perhaps its tests ran, but none was counted
        return {"unsatisfiable": "not run", "infra-error": "not measured"}.get(
            result.verdict, "no tests ran"
        )
    return counts_text(result.tests)


def replaced_text(cell) -> str:
    """``replaced numpy==1.26.4 (requirements.txt); hashes not checked: requirements.txt``:
    the project's own requirements an ad-hoc cell replaced, '' when none."""
    parts = [f"{r['was']} ({r['in']})" for r in cell.replaced]
    text = f"replaced {', '.join(parts)}" if parts else ""
    if cell.unhashed:
        text += f"; hashes not checked: {', '.join(cell.unhashed)}"
    return text


def coverage_text(result: CellResult) -> str:
    return "" if result.coverage is None else f"{result.coverage:.1f}%"


def invocation_rows(result: CellResult) -> list:
    """``(command, exit, tests, note)`` per command tox ran, as the reports show them."""
    rows = []
    for step in result.invocations:
        notes = []
        if step.ignored and step.exit_code:
            notes.append("tox ignored its exit code")
        if step.unfinished:
            notes.append(f"{step.unfinished} pytest session(s) did not finish")
        if step.problem:
            notes.append(f"{step.problem.signature}: {clean(step.problem.evidence)}")
        exit_code = "killed" if step.exit_code is None else str(step.exit_code)
        tests = counts_text(step.tests) if step.is_pytest else ""
        rows.append((f"{step.run_id}: {step.command}", exit_code, tests, "; ".join(notes)))
    return rows


def only_here(change: dict) -> str:
    """``7 break only here (numpy2-removed-name ×7)``, the cell as a whole first when it broke
    as a whole: what a changed cell fails that its control does not."""
    if not change["measured"]:
        return "not compared: not measured"
    whole = [b for b in change["broken"] if b["test"] == against.WHOLE_CELL]
    tests = len(change["broken"]) - len(whole)
    counts = ", ".join(f"{sig} ×{n}" for sig, n in change["signatures"].items())
    text = f"{tests} break only here" + (f" ({counts})" if counts else "")
    if whole:
        text = f"the cell breaks ({whole[0]['signature'] or whole[0]['now']}); {text}"
    return text


def summary_text(report: dict) -> str:
    summary = report["summary"]
    return ", ".join(f"{summary[v]} {v}" for v in VERDICTS if v in summary) or "none"
