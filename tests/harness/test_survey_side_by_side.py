"""A survey's projects side by side (``survey.side_by_side.each``): at most ``at_once`` at a
time, in the list's order; an interrupt, whether a project's or the main thread's, ends it
with every started project finished and the rest never started. No process, no network."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from harness import cli, processes
from harness.survey.side_by_side import each as _each

WAIT_S = 10  # bounds every wait below: a hang fails the test instead of stalling the suite


class Groups(processes.ProcessGroups):
    """``processes.LIVE`` for one test: records when ``kill_all`` ran."""

    def __init__(self) -> None:
        super().__init__()
        self.killed = threading.Event()

    def kill_all(self) -> None:
        super().kill_all()
        self.killed.set()


@pytest.fixture
def live(monkeypatch):
    groups = Groups()
    monkeypatch.setattr(processes, "LIVE", groups)
    return groups


class Log:
    """What the work items did: started, finished, and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started, self.finished = [], []
        self.running = self.most = 0

    def start(self, item) -> None:
        with self.lock:
            self.started.append(item)
            self.running += 1
            self.most = max(self.most, self.running)

    def finish(self, item) -> None:
        with self.lock:
            self.running -= 1
            self.finished.append(item)


def test_items_run_at_most_at_once_at_a_time_in_the_list_s_order_and_all_finish(live):
    log, pair = Log(), threading.Barrier(2, timeout=WAIT_S)

    def work(number, name):
        log.start(name)
        if number < 2:
            pair.wait()  # the first two run together: two at once is reached, not only allowed
        time.sleep(0.02)
        log.finish(name)

    items = [(n, f"project{n}") for n in range(7)]
    assert _each(work, items, 2) is False
    assert log.most == 2 and log.running == 0
    assert sorted(log.finished) == sorted(name for _, name in items)
    assert log.started[2:] == [name for _, name in items[2:]]  # queued ones start in order
    assert not live.killed.is_set() and live.stopping is False


def test_one_at_a_time_runs_them_one_after_another_in_order(live):
    log = Log()

    def work(name):
        log.start(name)
        time.sleep(0.01)
        log.finish(name)

    assert _each(work, [("a",), ("b",), ("c",)], 1) is False
    assert log.started == log.finished == ["a", "b", "c"] and log.most == 1


def test_an_interrupted_project_ends_it_interrupted_and_nothing_is_left_half_done(live):
    log = Log()

    def work(name):
        log.start(name)
        if name == "b":
            log.finish(name)
            raise processes.Interrupted()
        time.sleep(0.05)
        log.finish(name)

    items = [("a",), ("b",), ("c",), ("d",), ("e",)]
    assert _each(work, items, 2) is True
    assert live.killed.is_set()  # every process of every project was ended
    assert live.stopping is False  # and the next command may start processes again
    assert log.running == 0 and sorted(log.started) == sorted(log.finished)  # none half-done
    assert "a" in log.finished and "b" in log.finished
    assert set(log.started) <= {"a", "b", "c", "d", "e"}  # the others finished or never began


@pytest.fixture
def sigint_as_the_cli_handles_it():
    """cli's SIGINT handler: kill every process (``processes.LIVE.kill_all``), then raise
    KeyboardInterrupt in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    previous = signal.signal(signal.SIGINT, cli._interrupt)
    yield lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    signal.signal(signal.SIGINT, previous)


def test_an_interrupt_of_the_main_thread_ends_it_once_the_running_projects_end(
    live, sigint_as_the_cli_handles_it
):
    """The running projects see their processes killed (processes.Interrupted); ``_each``
    returns only once they have ended; what was queued finished or never began."""
    log, pair, outcome = Log(), threading.Barrier(2, timeout=WAIT_S), {}

    def work(name):
        log.start(name)
        if name in ("a", "b"):
            pair.wait()
            if name == "a":
                time.sleep(0.2)  # the main thread waits on the first result by now
                sigint_as_the_cli_handles_it()
            assert live.killed.wait(WAIT_S), "kill_all never ran"
            time.sleep(0.1)  # a project unwinds once its processes are gone
        log.finish(name)
        if live.stopping:
            raise processes.Interrupted()  # as processes.run raises while stopping

    try:
        outcome["interrupted"] = _each(work, [("a",), ("b",), ("c",), ("d",)], 2)
    except KeyboardInterrupt:
        pytest.fail("_each let the main thread's KeyboardInterrupt through")
    assert outcome["interrupted"] is True and live.killed.is_set()
    assert log.running == 0 and sorted(log.started) == sorted(log.finished)
    assert {"a", "b"} <= set(log.finished) and live.stopping is False


def test_no_queued_project_starts_once_an_interrupt_began(live, sigint_as_the_cli_handles_it):
    """The real ``kill_all`` waits up to KILL_GRACE_S for each killed group to end; the
    projects whose processes died meanwhile free their threads, which take the next queued
    projects (download, unpack, lock...) before the main thread gets to cancel them."""
    log, pair, queued_started = Log(), threading.Barrier(2, timeout=WAIT_S), threading.Event()

    class Lingering(Groups):
        def kill_all(self) -> None:
            super().kill_all()
            queued_started.wait(1.0)  # as kill_group waits for the groups to end

    lingering = Lingering()
    processes.LIVE = lingering  # restored by the live fixture's monkeypatch

    def work(name):
        log.start(name)
        if name in ("a", "b"):
            pair.wait()
            if name == "a":
                time.sleep(0.2)
                sigint_as_the_cli_handles_it()
            assert lingering.killed.wait(WAIT_S)
        else:
            queued_started.set()
        log.finish(name)
        if lingering.stopping:
            raise processes.Interrupted()

    assert _each(work, [("a",), ("b",), ("c",), ("d",)], 2) is True
    assert sorted(log.started) == ["a", "b"], f"started after the interrupt: {log.started[2:]}"


def test_another_error_of_a_project_is_raised_after_the_others_end(live):
    log = Log()

    def work(name):
        log.start(name)
        if name == "a":
            log.finish(name)
            raise ValueError("a bug")
        time.sleep(0.05)
        log.finish(name)

    with pytest.raises(ValueError, match="a bug"):
        _each(work, [("a",), ("b",), ("c",)], 2)
    assert log.running == 0 and sorted(log.started) == sorted(log.finished)
    assert not live.killed.is_set() and live.stopping is False
