"""Shared caches outside a reports folder (tox hosts, sdists) are built under an OS lock: a
second process waits for the first to finish building, then finds the entry whole. Real
processes, the lock itself (``files.exclusive``); the provisioning race end to end is
``test_provision.py``'s (integration)."""

import subprocess
import sys
import time

import pytest

from harness.errors import StorageError
from harness.files import exclusive

HOLDS = """
import sys, time
from pathlib import Path
from harness.files import exclusive
log = Path(sys.argv[2])
with exclusive(Path(sys.argv[1])):
    with log.open("a") as out:
        out.write(sys.argv[3] + " in\\n")
    time.sleep(float(sys.argv[4]))
    with log.open("a") as out:
        out.write(sys.argv[3] + " out\\n")
"""


def test_a_second_process_waits_for_the_first_to_finish(tmp_path):
    lock, log = tmp_path / "locks" / "entry.lock", tmp_path / "log"
    first = subprocess.Popen([sys.executable, "-c", HOLDS, str(lock), str(log), "first", "0.5"])
    while not log.exists():
        time.sleep(0.01)
    second = subprocess.Popen([sys.executable, "-c", HOLDS, str(lock), str(log), "second", "0"])
    assert [first.wait(timeout=30), second.wait(timeout=30)] == [0, 0]
    assert log.read_text().split("\n")[:4] == ["first in", "first out", "second in", "second out"]


def test_the_lock_file_is_never_opened_through_a_link(tmp_path):
    decoy = tmp_path / "decoy"
    decoy.write_text("mine")
    (tmp_path / "entry.lock").symlink_to(decoy)
    with pytest.raises(StorageError, match="cannot take the lock"):
        with exclusive(tmp_path / "entry.lock"):
            pass
    assert decoy.read_text() == "mine"
