"""Copy a real cell's run folder into tests/harness/fixtures, with machine paths made anonymous.

    python scripts/record_fixture.py REPORTS/cells/CELL.json PROJECT [--name NAME] [--into DIR]

CELL.json is the cell's stored result; its ``log`` (``runs/RUN/CELL/tox.log``) names the run
folder, whose tox journal (``tox-result.json``), log (``tox.log``) and probe session records
(``sessions/``) are copied, beside ``cell.json``: the cell's settings from the result. The
harness's tests decide verdicts on these recorded folders (tests/harness/conftest.py's
``recorded_cell`` and ``recorded_evidence``), so ``verdicts.decide`` is tested on what real runs
left behind.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "harness" / "fixtures"
KEPT = ("tox-result.json", "tox.log", "sessions")
PLAIN = r"[A-Za-z0-9._@+][A-Za-z0-9._@+-]*"  # a name the store makes a path of
LOG = re.compile(rf"runs/({PLAIN})/({PLAIN})/tox\.log")


def anonymise(text: str, replacements: dict) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def run_folder(result: dict, reports: Path) -> Path:
    """The run folder a stored result points to, or SystemExit saying why there is none."""
    log = result.get("log") or ""
    match = LOG.fullmatch(log) if isinstance(log, str) else None
    if not log:
        raise SystemExit(f"the cell never ran ({result.get('verdict')}): no run folder to record")
    if not match or ".." in match.groups():
        raise SystemExit(f"the stored result's log {log!r} is not runs/RUN/CELL/tox.log")
    folder = reports / "runs" / match[1] / match[2]
    if not folder.is_dir():
        raise SystemExit(f"{folder} is gone (runs no stored result points to are deleted)")
    return folder


def paths(*folders: Path) -> list:
    """Each folder as given and as resolved (a link such as /tmp -> /private/tmp), once."""
    return list(dict.fromkeys(str(p) for folder in folders for p in (folder, folder.resolve())))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("result", type=Path, help="REPORTS/cells/CELL.json, a stored result")
    parser.add_argument("project", type=Path, help="the project the run measured")
    parser.add_argument("--name", help="the fixture's folder name (default: the cell's name)")
    parser.add_argument("--into", type=Path, default=FIXTURES, help=f"default: {FIXTURES}")
    args = parser.parse_args(argv)
    result = json.loads(args.result.read_text())
    reports = args.result.resolve().parents[1]
    source = run_folder(result, reports)
    cell = result["cell"]
    target = args.into / (args.name or cell["name"])
    if target.exists():
        shutil.rmtree(target)
    replaced = {}  # longest first: the reports folder may lie inside the project
    for old, new in ((reports, "/reports"), (args.project, "/project"),
                     (Path(sys.prefix), "/harness-venv"), (Path.home(), "/home")):  # fmt: skip
        replaced.update({path: new for path in paths(old) if path not in replaced})
    replaced = dict(sorted(replaced.items(), key=lambda item: -len(item[0])))
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or path.is_symlink() or relative.parts[0] not in KEPT:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(anonymise(path.read_text(errors="replace"), replaced))
    (target / "cell.json").write_text(anonymise(json.dumps(cell, indent=1), replaced) + "\n")
    print(f"recorded {target} ({result['verdict']}) from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
