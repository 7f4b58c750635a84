"""The versions a report names are the tools' own, read from their metadata, not by starting
them: the same words ``tox --version`` and ``uv --version`` print."""

import subprocess
import sys
from pathlib import Path

from harness.commands.run import tools
from harness.stages.lock import uv_binary

ROOT = Path(__file__).resolve().parents[2]


def test_tool_versions_from_metadata_are_what_the_tools_say():
    found = tools(ROOT)
    tox = subprocess.run([sys.executable, "-m", "tox", "--version"], capture_output=True,
                         text=True, check=True).stdout.split()[0]  # fmt: skip
    uv = subprocess.run([uv_binary(), "--version"], capture_output=True, text=True, check=True)
    assert found["tox"] == tox
    assert uv.stdout.startswith(found["uv"] + " ") and found["uv"].startswith("uv ")
    assert found["tox-uv"]
