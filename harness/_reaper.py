"""The supervisor between the harness and each command: no descendant outlives it or the harness.

Run as ``python -I -S _reaper.py --parent PID [--status-fd FD] [--grace S] -- COMMAND...``
(stdlib only, never imports the harness). It asks Linux for ``PR_SET_PDEATHSIG``, so it hears
when the harness dies, even by ``kill -9``, and for ``PR_SET_CHILD_SUBREAPER``, so every
orphaned descendant (one that called ``setsid()`` and lost its parent too) is reparented to
it. It starts COMMAND in a new process group and waits. When COMMAND exits it ends whatever
COMMAND left running, and exits with COMMAND's code (``128 + N`` for a death by signal N).
On SIGTERM, SIGINT or SIGHUP, or when the harness dies, it ends its whole tree: SIGTERM to
COMMAND's group and to every descendant found through the ``PPid`` links in ``/proc``, then,
after ``--grace`` seconds or at once on SIGUSR1, SIGKILL until none is left, and reaps them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PARENT_DIED = signal.SIGUSR2  # also sent when only the harness thread that started us exits
HURRY = signal.SIGUSR1  # skip the rest of the grace period: SIGKILL now
STOP = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
WATCHED = {signal.SIGCHLD, HURRY, PARENT_DIED, *STOP}
RESTORED = [
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
]
POLL_S = 1.0  # how often the parent is checked, should its death signal be missed
KILL_WAIT_S = 10.0  # how long SIGKILLed descendants are waited for (a process in D state)


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(value), *[ctypes.c_ulong(0)] * 3) == 0
    except (OSError, AttributeError):  # not Linux: the parent is still polled
        return False


def descendants(root: int) -> list:
    """Live descendants of ``root``, parents first, from the ``PPid`` field of ``/proc/*/stat``."""
    children = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:  # it exited meanwhile
            continue
        children.setdefault(int(fields[1]), []).append((int(name), fields[0]))
    found, todo = [], [root]
    while todo:
        for pid, state in children.get(todo.pop(0), ()):
            todo.append(pid)
            if state not in (b"Z", b"X"):
                found.append(pid)
    return found


def exit_code(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


class Reaper:
    def __init__(self, parent: int, grace_s: float) -> None:
        self.parent, self.grace_s = parent, grace_s
        self.group = None  # the command's process group: its pid
        self.status = None  # the command's wait status, once reaped

    def reap(self) -> None:
        """Collect every child that exited: the command, or an orphan reparented to us."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.group:
                self.status = status

    def signal_all(self, sig: int) -> list:
        """Signal the command's group and every live descendant; return the descendants."""
        targets = descendants(os.getpid())
        group = [-self.group] if self.group and self.status is None else []  # id not yet reusable
        for pid in group + targets:
            try:
                os.kill(pid, sig)
                if sig == signal.SIGTERM:  # a stopped process acts on it only once continued
                    os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        return targets

    def sweep(self, grace_s: float) -> None:
        """End the whole tree: SIGTERM, up to ``grace_s`` seconds, then SIGKILL; reap it all."""
        if self.signal_all(signal.SIGTERM):
            deadline = time.monotonic() + grace_s
            while descendants(os.getpid()) and time.monotonic() < deadline:
                got = signal.sigtimedwait(WATCHED, min(0.1, max(0.0, deadline - time.monotonic())))
                self.reap()
                if got is not None and got.si_signo == HURRY:
                    break
        deadline = time.monotonic() + KILL_WAIT_S
        while self.signal_all(signal.SIGKILL) and time.monotonic() < deadline:
            signal.sigtimedwait(WATCHED, 0.05)
            self.reap()
        self.reap()

    def parent_died(self) -> bool:
        return os.getppid() != self.parent

    def supervise(self, command: list, status_fd: int) -> int:
        try:
            self.group = os.posix_spawnp(
                command[0], command, os.environ, setpgroup=0, setsigmask=(), setsigdef=RESTORED
            )
        except OSError as exc:
            why = f"{exc.errno}\0{exc.filename or command[0]}"  # spawn raises it as OSError
            if status_fd is not None:
                os.write(status_fd, why.encode(errors="surrogateescape"))
            else:
                print(f"harness reaper: cannot run {command[0]}: {exc}", file=sys.stderr)
            return 127
        if status_fd is not None:
            os.close(status_fd)  # the command runs: the harness stops waiting for an error
        while self.status is None:
            got = signal.sigtimedwait(WATCHED, POLL_S)
            self.reap()
            signo = got.si_signo if got is not None else None
            if signo in STOP or signo == HURRY or self.parent_died():
                self.sweep(0.0 if signo == HURRY else self.grace_s)
                break
        else:
            self.sweep(self.grace_s)  # what the command left running
        if self.status is None:  # stopped before the command exited (it is gone now)
            return 128 + (signo or signal.SIGTERM)
        return exit_code(self.status)


def main(argv: list) -> int:
    options, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    settings = dict(zip(options[::2], options[1::2]))
    parent = int(settings.get("--parent", os.getppid()))
    status_fd = int(settings["--status-fd"]) if "--status-fd" in settings else None
    if status_fd is not None:  # the command must not hold it: the harness reads it to its end
        os.set_inheritable(status_fd, False)
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)  # taken one at a time by sigtimedwait
    for signo in WATCHED - {signal.SIGCHLD}:
        signal.signal(signo, signal.SIG_DFL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_PDEATHSIG, PARENT_DIED)
    reaper = Reaper(parent, float(settings.get("--grace", 5)))
    if reaper.parent_died():  # it died before the death signal was asked for
        return 128 + signal.SIGTERM
    if not command:
        print("harness reaper: no command after --", file=sys.stderr)
        return 2
    return reaper.supervise(command, status_fd)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ValueError as exc:  # no "--", or a setting that is not a number
        print(f"harness reaper: bad arguments: {exc}", file=sys.stderr)
        sys.exit(2)
