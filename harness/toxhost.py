"""tox started ahead of its cell: its import overlaps the harness's own start-up.

A cell's tox is ``python -m tox ARGS`` in the project's folder. Run there as ``python -c
HOST``, the same Python puts that folder first on ``sys.path`` as ``-m`` does, imports tox,
and only then reads, from its stdin, one line of JSON: the arguments, the environment and the
log the cell gives it. It then becomes what ``python -m tox ARGS`` would have been with that
environment: ``sys.argv``, ``os.environ`` (whole), its stdin (``/dev/null``), its stdout and
stderr (the log). Once tox returns, it exits as Python does (its ``atexit`` callbacks, its
streams flushed) but without tearing down tox's modules, 0.05 s; only when no other thread
runs, else (and for an exit code that is not a number) it exits as Python does.

``harness run`` and ``harness probe`` start one host as they start (``prestart``), so
importing tox (about 0.2 s) runs beside the harness's own imports and planning; every other
cell gets a host started when it needs one. A host runs under the
same supervisor, in its own process group, as any command of the harness (``processes``):
the cell's timeout and the user's interrupt end it the same way.

What a host cannot change after it started is what was read as it started: the ``PYTHON*``
and locale variables, and its folder (tox keeps the one it was imported in). A host that
started with another value of any of them, or runs another Python, is not used (``launch``
starts a new one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

from harness.processes import KILL_GRACE_S, LIVE, kill_group, spawn

HOST = """\
import os, sys
if sys.path and sys.path[0] == "":
    sys.path[0] = os.getcwd()  # the project's folder, where python -m tox puts it
try:
    import tox.run
    failed = None
except BaseException:
    import traceback
    failed = traceback.format_exc()
line = sys.stdin.buffer.readline()
if not line:
    raise SystemExit(0)  # not needed after all
cell = __import__("json").loads(line)
null = os.open(os.devnull, os.O_RDONLY)
log = os.open(cell["log"], os.O_WRONLY | os.O_APPEND)
os.dup2(null, 0)
os.dup2(log, 1)
os.dup2(log, 2)
os.close(null)
os.close(log)
os.environ.clear()
os.environ.update(cell["env"])
if failed:
    sys.stderr.write(failed)
    raise SystemExit(1)
sys.argv = [os.path.join(os.path.dirname(tox.run.__file__), "__main__.py"), *cell["args"]]
try:
    tox.run.run(cell["args"])
except SystemExit as done:
    import atexit, threading
    code = 0 if done.code is None else done.code
    if type(code) is not int or threading.active_count() > 1 or not hasattr(atexit, "_run_exitfuncs"):
        raise
# tox is done: what Python's exit does besides tearing down tox's modules (0.05 s)
atexit._run_exitfuncs()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""
STARTUP_PREFIXES = ("PYTHON", "LC_")  # what Python reads as it starts, besides LANG
STARTUP_NAMES = ("LANG", "LANGUAGE")

_lock = threading.Lock()
_ready = {}  # the prestarted host: its process, and the Python, folder and variables it started with


def startup(env: dict) -> dict:
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES) or k in STARTUP_NAMES}


def project_of(argv: list) -> str:
    """The folder ``--project`` names in a command line (the current one without it): where
    its cells' tox runs. A spelling this misses (an abbreviation) costs only the head start."""
    for number, word in enumerate(argv):
        if word == "--project" and number + 1 < len(argv):
            return os.path.realpath(argv[number + 1])
        if word.startswith("--project="):
            return os.path.realpath(word.partition("=")[2])
    return os.path.realpath(".")


def _start(python: str, cwd: str, env: dict) -> subprocess.Popen:
    process = spawn([python, "-c", HOST], cwd=cwd, stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
    LIVE.add(process.pid)
    return process


def prestart(project: str, python: str = sys.executable) -> None:
    """Start a host in ``project`` for the next cell of ``python``'s tox, in the harness's
    environment (``PYTHONUNBUFFERED`` as a cell's), from a thread: the harness goes on with
    its own start-up while the supervisor starts. One that cannot start is left to
    ``launch``, which starts its own."""
    discard()
    env = {"PYTHONUNBUFFERED": "1", **os.environ}

    def start() -> None:
        try:
            process = _start(python, project, env)
        except OSError:  # no such folder: no head start
            return
        with _lock:
            _ready.update(process=process, python=python, cwd=project, start=startup(env))

    starting = threading.Thread(target=start, name="tox host")
    with _lock:
        _ready["starting"] = starting
    starting.start()


def _started() -> None:
    """Wait for a host being started (``prestart``)."""
    with _lock:
        starting = _ready.pop("starting", None)
    if starting is not None:
        starting.join()


def prestarted():
    """The prestarted host's supervisor once it started, or None."""
    _started()
    with _lock:
        return _ready.get("process")


def discard() -> None:
    """End the prestarted host, if no cell took it."""
    _started()
    with _lock:
        process = _ready.pop("process", None)
        _ready.clear()
    if process is not None:
        process.stdin.close()
        _end(process)


def _take(python: str, cwd: str, env: dict):
    """The prestarted host if it fits the cell (one that does not is ended), else None."""
    _started()
    with _lock:
        fits = _ready.get("python") == python and _ready.get("cwd") == cwd
        fits = fits and _ready.get("start") == startup(env)
        process = _ready.pop("process", None) if fits else None
        if process is not None:
            _ready.clear()
    if process is None:
        discard()
    return process


def launch(command: list, cwd, env: dict, log) -> subprocess.Popen:
    """Start ``command`` (``python -m tox ARGS``) in the folder ``cwd`` with ``env``, its
    output appended to the file ``log``, in a host: the prestarted one when it fits, else a
    new one. The process returned is the host's supervisor, registered in ``LIVE``, as
    ``spawn`` returns it."""
    python, module, name, *args = command
    assert (module, name) == ("-m", "tox"), command
    message = json.dumps({"args": args, "env": env, "log": str(log)}).encode() + b"\n"
    process = _take(python, str(cwd), env)
    if process is not None:
        try:
            process.stdin.write(message)
            process.stdin.close()
            return process
        except OSError:  # it ended before it was needed (killed): a new one runs the cell
            _end(process)
    process = _start(python, str(cwd), env)
    try:
        process.stdin.write(message)
        process.stdin.close()
    except OSError:  # it ended as it started: its exit code says so
        pass
    return process


def _end(process: subprocess.Popen) -> None:
    """End a host no cell took: SIGTERM, which its supervisor passes on; it is waited for
    (``kill_group`` would poll its group every 0.1 s), and killed should it linger."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except OSError:  # ended already
        pass
    try:
        process.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        kill_group(process.pid, grace_s=0)
        process.wait()
    LIVE.discard(process.pid)
