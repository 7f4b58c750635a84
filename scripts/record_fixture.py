"""Copy a real cell folder into tests/harness/fixtures, with machine paths made anonymous.

    python scripts/record_fixture.py REPORTS/cells/CELL PROJECT [--name NAME]

The harness's tests decide verdicts on these recorded folders (tox's journal, the probe's
session records, tox's log, the cell's settings), so ``verdicts.decide`` is tested on what real runs left behind.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "harness" / "fixtures"
KEPT = ("tox-result.json", "tox.log", "sessions")


def anonymise(text: str, replacements: dict) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cell", type=Path)
    parser.add_argument("project", type=Path)
    parser.add_argument("--name")
    args = parser.parse_args()
    target = FIXTURES / (args.name or args.cell.name)
    shutil.rmtree(target, ignore_errors=True)
    replacements = {
        str(args.cell.resolve().parents[1]): "/reports",
        str(args.project.resolve()): "/project",
        str(Path(sys.prefix).resolve()): "/harness-venv",
        str(Path.home()): "/home",
    }
    for path in sorted(args.cell.rglob("*")):
        relative = path.relative_to(args.cell)
        if not path.is_file() or relative.parts[0] not in KEPT:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(anonymise(path.read_text(errors="replace"), replacements))
    cell = json.loads((args.cell / "result.json").read_text())["cell"]
    (target / "cell.json").write_text(anonymise(json.dumps(cell, indent=1), replacements) + "\n")
    print(f"recorded {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
