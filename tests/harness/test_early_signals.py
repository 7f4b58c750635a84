"""Signals from the first instruction: Ctrl-C or SIGTERM while the harness is still importing
its commands, or blocked right after, is one line ("harness: interrupted") and exit 130, never
a traceback or the signal's own death (143). Real processes; the harness blocks on a FIFO given
as its list, so the signal always finds it running."""

import os
import signal
import subprocess
import sys
import time

import pytest

# the entry point, saying when it starts: the signal then lands while main() imports
READY = (
    "import sys, harness.cli as cli; print('ready', flush=True); "
    "raise SystemExit(cli.main(sys.argv[1:]))"
)


def untraced() -> dict:
    """The environment without coverage's start-up in subprocesses: coverage's tracer calls
    Python code of its own as each new file runs, and a KeyboardInterrupt raised there is lost,
    which no program can guard against. The signals here land while modules are imported."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_PROCESS_", "COV_CORE_"))
    }


def started(tmp_path, *command):
    fifo = tmp_path / "list.fifo"
    os.mkfifo(fifo)
    arguments = ["survey", "--from-file", str(fifo), "--with", "a==1", "--with", "a==2",
                 "--reports", str(tmp_path / "s")]  # fmt: skip
    return subprocess.Popen([*command, *arguments], stdout=subprocess.PIPE, env=untraced(),
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_imports_is_an_interrupt(tmp_path, signum):
    harness = started(tmp_path, sys.executable, "-c", READY)
    assert harness.stdout.readline() == "ready\n"
    time.sleep(0.1)  # in main(): the imports of the commands take about 0.6 s here
    harness.send_signal(signum)
    out, err = harness.communicate(timeout=30)
    assert (harness.returncode, err) == (130, "harness: interrupted\n"), out + err
    assert not (tmp_path / "s").exists()


def writer_once_read(fifo, timeout=60.0):
    """The FIFO's writing end, opened once the harness has opened it to read its list: a
    non-blocking open for writing fails (ENXIO) until a reader is there."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_blocked_on_its_list_is_an_interrupt(tmp_path, signum):
    # Signalled once its own code runs, not during the interpreter's start-up, whose .pth
    # files (coverage's, where the environment starts it) may swallow a KeyboardInterrupt.
    harness = started(tmp_path, sys.executable, "-m", "harness")
    writer = writer_once_read(tmp_path / "list.fifo")
    try:
        harness.send_signal(signum)
        out, err = harness.communicate(timeout=30)
    finally:
        os.close(writer)
    assert (harness.returncode, err) == (130, "harness: interrupted\n"), out + err
