"""A socket monitor's life: started with a reader that libzmq never waits for, read in a thread
of its own (`Watch`) or in a receive loop (`reading`), and stopped in the one order that cannot hang.

libzmq's I/O thread sends each event to the monitor holding a lock that stopping the monitor
needs, and pyzmq waits for that lock holding the GIL: if the I/O thread waits for room in a full
queue, or for a reader that is gone, the script hangs for good, deaf even to Ctrl+C. So the reader
takes any number of events (RCVHWM 0), and the monitor stops while its reader is still open.
"""

from __future__ import annotations

import contextlib
import itertools
import struct
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar

import zmq

from pubsub_demo.net import endpoints
from pubsub_demo.process import lifetime, logs
from pubsub_demo.system.closed_connections import ClosedConnections

if TYPE_CHECKING:
    from pubsub_demo.net.authenticator import NamingAuthenticator

_EVENT = struct.Struct("=hi")  # a monitor message's first frame: the event and its value
INTERVAL = 0.1  # seconds between a watch's looks if no event wakes it: what it paces waits 0.5 s or more
_ENDPOINTS = itertools.count()  # each monitor's inproc address, its own
_W = TypeVar("_W", bound="Watch")


def start(sock: zmq.Socket, events: int) -> zmq.Socket:
    """Start `sock`'s monitor for `events` (zmq.EVENT_*); the PAIR socket that reads them. Stop
    both with `stop` (or use `reading`)."""
    endpoint = f"inproc://monitor-{next(_ENDPOINTS)}"
    sock.monitor(endpoint, events | zmq.EVENT_MONITOR_STOPPED)  # its last event wakes a watch that stops
    reader = sock.context.socket(zmq.PAIR)
    reader.linger = 0
    reader.rcvhwm = 0  # set before connect, when the queue is made: no limit, so libzmq never waits for room
    reader.connect(endpoint)
    return reader


def stop(sock: zmq.Socket) -> None:
    """Stop `sock`'s monitor; call it before its reader closes, which libzmq's stop sends to."""
    with contextlib.suppress(zmq.ZMQError):  # `sock` closed already: its monitor stopped with it
        sock.monitor(None, 0)


@contextlib.contextmanager
def reading(sock: zmq.Socket, events: int) -> Iterator[zmq.Socket]:
    """For the `with` block, the socket that reads `sock`'s monitor `events`, for a loop that
    polls it beside others. Enter it before `sock` binds or connects: a monitor sees only what
    comes after it."""
    reader = start(sock, events)
    try:
        yield reader
    finally:
        stop(sock)
        reader.close()


def taken(reader: zmq.Socket) -> Iterator[tuple[int, int, bytes]]:
    """Each event waiting on `reader`, as (zmq.EVENT_*, its value, the endpoint), without waiting."""
    while reader.poll(0):
        event, value, endpoint = received(reader)
        if event != zmq.EVENT_MONITOR_STOPPED:
            yield event, value, endpoint


def received(reader: zmq.Socket) -> tuple[int, int, bytes]:
    """The next event on `reader`: (zmq.EVENT_*, its value, the endpoint). libzmq's first frame is
    the event (16 bits) and its value (32 bits), the second the endpoint. (pyzmq's own reader,
    zmq.utils.monitor, loads asyncio as a script starts.)"""
    head, endpoint = reader.recv_multipart()[:2]
    event, value = _EVENT.unpack(head)
    return event, value, endpoint


class Watch:
    """A thread that reads `sock`'s monitor `events`: a subclass says what an event means (`event`),
    what to do after each wake-up (`after_wake`) and once a second (`every_second`). Use as a context
    manager, entered before `sock` binds or connects; `name` names the thread, and it in the log.

    One error policy: a ZMQError ends the watch (its sockets are gone, or it would come back at
    every wake-up), in the log unless the script is stopping; any other error is a bug in a decision,
    logged, and the watch goes on (it must not end the watch, hang the script, nor print a traceback)."""

    def __init__(self, sock: zmq.Socket, events: int, *, name: str) -> None:
        self.sock, self._events = sock, events
        self.poller = zmq.Poller()  # a subclass may register more to wake on
        self.stop = threading.Event()  # set by the script at the end; a subclass may set it to end the watch
        self._reader: zmq.Socket | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self: _W) -> _W:
        self._reader = start(self.sock, self._events)
        self.poller.register(self._reader, zmq.POLLIN)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        stop(self.sock)  # while the thread reads: its last event wakes it
        self._thread.join()
        if self._reader is not None:
            self._reader.close()

    def begin(self) -> None:
        """Called first in the watch's thread."""

    def event(self, kind: int, value: int) -> None:
        """One event of the monitor (zmq.EVENT_*) and its value."""

    def after_wake(self, *, quiet: bool) -> None:
        """Called after each wake-up, after its events; `quiet`: nothing woke the watch."""

    def every_second(self, elapsed: float) -> None:
        """Called once a second; `elapsed`: the seconds since the last call."""

    def end(self) -> None:
        """Called last in the watch's thread."""

    def _take(self, kind: int, value: int, endpoint: bytes) -> None:
        self.event(kind, value)

    def _run(self) -> None:
        try:
            self.begin()
            second = time.monotonic()
            while not self.stop.is_set():
                try:
                    wait = min(INTERVAL, max(0.0, second + 1.0 - time.monotonic()))
                    ready = dict(self.poller.poll(int(1000 * wait)))
                    if self._reader is not None and self._reader in ready:
                        for kind, value, endpoint in taken(self._reader):
                            self._take(kind, value, endpoint)
                    self.after_wake(quiet=not ready)
                    if not self.stop.is_set() and (now := time.monotonic()) - second >= 1.0:
                        self.every_second(now - second)
                        second = now
                except zmq.ZMQError as error:
                    gone = error.errno in (zmq.ETERM, zmq.ENOTSOCK)  # its sockets closed under it: a second Ctrl+C
                    if not (gone or self.stop.is_set() or lifetime.stop_requested()):
                        logs.log_warning(f"the {self._thread.name}: {logs.describe(error)}")
                    return
                except Exception as error:
                    logs.log_warning(f"the {self._thread.name}: {logs.describe(error)}")
        finally:
            self.end()


class BoundWatch(Watch):
    """A Watch over a socket that binds: with CURVE, who `authenticator` (curve.allow_only_authorized)
    let in, and who a connection refused too fast to be named came from."""

    def __init__(self, sock: zmq.Socket, events: int, authenticator: NamingAuthenticator | None, *, name: str) -> None:
        super().__init__(sock, events, name=name)
        self.authenticator = authenticator
        self.closed_here: ClosedConnections | None = None  # once a client connected, over TCP

    def admissions(self) -> Iterator[tuple[str, str]]:
        """Who the authenticator let in since the last call, as (IP address, name); only this thread takes."""
        while self.authenticator is not None and not self.authenticator.admissions.empty():
            address, name = self.authenticator.admissions.get_nowait()
            yield endpoints.plain_ip(address), name

    def closed_just_now(self) -> str:
        """The address of the client whose connection the socket closed last, or "?".

        libzmq's monitor gives only a connection's descriptor, and a handshake that fails at once
        (a client without keys, or with another server's key) can be closed before the watch reads
        its address. The kernel still knows it: a connection closed here first stays a minute in
        TIME_WAIT."""
        return self.closed_here.newest() if self.closed_here else "?"

    def _take(self, kind: int, value: int, endpoint: bytes) -> None:
        if self.closed_here is None and kind == zmq.EVENT_ACCEPTED:
            port = endpoints.port(endpoint.decode())  # None for ipc://
            self.closed_here = ClosedConnections(port) if port else None
        self.event(kind, value)
