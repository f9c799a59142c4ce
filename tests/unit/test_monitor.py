"""A socket monitor's life (net/monitor.py), on real sockets in-process: its events read, a watch's
thread woken, its errors, and the teardown that must never hang (checked in a child process: a
hang there holds the GIL, and no time-out in this process could end it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import zmq

from pubsub_demo.net import monitor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def context():
    with zmq.Context() as context:
        yield context


@pytest.fixture
def publisher(context):
    with context.socket(zmq.PUB) as publisher:
        publisher.linger = 0
        yield publisher


def connect_to(context, publisher) -> zmq.Socket:
    subscriber = context.socket(zmq.SUB)
    subscriber.linger = 0
    subscriber.connect(publisher.last_endpoint.decode())
    return subscriber


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_reading_gives_the_events_of_a_bound_socket_and_hides_the_monitors_own_stop(context, publisher):
    with monitor.reading(publisher, zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED) as reader:
        publisher.bind("tcp://127.0.0.1:*")
        subscriber = connect_to(context, publisher)
        assert reader.poll(10_000)
        events = list(monitor.taken(reader))
        subscriber.close()
        assert reader.poll(10_000)
        events += list(monitor.taken(reader))
    kinds = [kind for kind, _, _ in events]
    assert kinds[0] == zmq.EVENT_ACCEPTED and zmq.EVENT_MONITOR_STOPPED not in kinds
    assert events[0][2] == publisher.last_endpoint


def test_reading_a_socket_closed_first_ends_quietly(context):
    sock = context.socket(zmq.PUB)
    with monitor.reading(sock, zmq.EVENT_ALL) as reader:
        sock.close(linger=0)  # a second Ctrl+C may close it before the watch stops
    assert reader.closed


class Recording(monitor.Watch):
    """A watch that keeps what it is told, and fails as told."""

    def __init__(self, sock: zmq.Socket, fail: Exception | None = None) -> None:
        super().__init__(sock, zmq.EVENT_ACCEPTED, name="test watch")
        self.kinds: list[int] = []
        self.seconds: list[float] = []
        self.fail = fail
        self.ended = threading.Event()

    def event(self, kind: int, value: int) -> None:
        self.kinds.append(kind)
        if self.fail is not None:
            raise self.fail

    def every_second(self, elapsed: float) -> None:
        self.seconds.append(elapsed)

    def end(self) -> None:
        self.ended.set()


def test_a_watch_takes_each_event_in_its_thread_and_ticks_once_a_second(context, publisher):
    with Recording(publisher) as watch:
        publisher.bind("tcp://127.0.0.1:*")
        with connect_to(context, publisher):
            assert wait_for(lambda: watch.kinds == [zmq.EVENT_ACCEPTED])
            assert wait_for(lambda: len(watch.seconds) >= 1)
    assert watch.ended.is_set()
    assert all(elapsed >= 1.0 for elapsed in watch.seconds)


def test_a_watch_stops_at_once_woken_by_its_monitors_last_event(publisher):
    watch = Recording(publisher)
    with watch:
        time.sleep(0.05)  # the thread waits in its poll
        stopped = time.monotonic()
    assert time.monotonic() - stopped < monitor.INTERVAL + 0.5 and not watch._thread.is_alive()


def test_a_bug_in_what_a_watch_decides_is_logged_and_the_watch_goes_on(context, publisher, monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(monitor.logs, "log_warning", logged.append)
    with Recording(publisher, fail=ValueError("a bug")) as watch:
        publisher.bind("tcp://127.0.0.1:*")
        with connect_to(context, publisher), connect_to(context, publisher):
            assert wait_for(lambda: len(watch.kinds) == 2)
        assert watch._thread.is_alive()
    assert logged and all(line.startswith("the test watch: ") and "a bug" in line for line in logged)


def test_a_zmq_error_ends_the_watch_said_in_the_log(context, publisher, monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(monitor.logs, "log_warning", logged.append)
    with Recording(publisher, fail=zmq.ZMQError(zmq.EFAULT)) as watch:
        publisher.bind("tcp://127.0.0.1:*")
        with connect_to(context, publisher):
            assert watch.ended.wait(10)
            assert watch.kinds == [zmq.EVENT_ACCEPTED]
    assert len(logged) == 1 and logged[0].startswith("the test watch: ")


def test_a_watch_whose_sockets_closed_under_it_ends_without_a_word(context, monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(monitor.logs, "log_warning", logged.append)
    sock = context.socket(zmq.PUB)
    with Recording(sock, fail=zmq.ZMQError(zmq.ENOTSOCK)) as watch:
        sock.bind("tcp://127.0.0.1:*")
        with connect_to(context, sock):
            assert watch.ended.wait(10)
        sock.close(linger=0)
    assert logged == []


# In a child process: a monitor whose events nobody reads for seconds (thousands of them: a socket
# that connects to closed ports again every millisecond), then stopped. libzmq's queue holds 2000
# by default: past that its I/O thread waits for room, holding the lock that stopping needs.
UNREAD = """
import time, zmq
from pubsub_demo.net import monitor

CLOSED_PORTS = (1, 3, 5, 7, 9, 11, 13, 15)  # nothing listens there: refused at once, and again
with zmq.Context() as context, context.socket(zmq.DEALER) as dealer:
    dealer.linger, dealer.reconnect_ivl, dealer.reconnect_ivl_max = 0, 1, 1
    {body}
print("stopped", flush=True)
"""
NOBODY_READS = """
    with monitor.reading(dealer, zmq.EVENT_ALL) as reader:
        for port in CLOSED_PORTS:
            dealer.connect(f"tcp://127.0.0.1:{port}")
        time.sleep(3)
"""
A_WATCH_BUSY = """
    class Slow(monitor.Watch):
        def begin(self):
            time.sleep(5)  # busy past the stop: the events wait
    with Slow(dealer, zmq.EVENT_ALL, name="slow watch"):
        for port in CLOSED_PORTS:
            dealer.connect(f"tcp://127.0.0.1:{port}")
        time.sleep(3)
"""

A_WATCH_AT_REST = """
    for _ in range(20):  # the wrong order hangs about every other time: 20 times, to be sure
        with context.socket(zmq.PUB) as publisher, monitor.Watch(publisher, zmq.EVENT_ACCEPTED, name="watch"):
            publisher.bind("tcp://127.0.0.1:*")
            time.sleep(0.05)  # its thread waits in its poll
"""


@pytest.mark.parametrize("body", [NOBODY_READS, A_WATCH_BUSY, A_WATCH_AT_REST], ids=["reading", "busy", "at rest"])
def test_stopping_a_monitor_does_not_hang_even_if_its_events_were_not_read(body):
    script = UNREAD.format(body=textwrap.indent(textwrap.dedent(body), "    ").strip())
    try:
        child = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("stopping the monitor hung")
    assert child.returncode == 0, child.stderr
    assert child.stdout == "stopped\n"
