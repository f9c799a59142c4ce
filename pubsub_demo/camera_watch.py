"""A wall's watch over its connections: a thread that reads the SUB socket's monitor and feeds a
Roster (roster.py, which decides who joined and left), and cuts off the connections past
--max-cameras.

libzmq takes every connection a bound socket is offered, and has no call to close one of them;
but its monitor gives each connection's file descriptor, and a connection shut down there
(tcpinfo.shut_down) is closed by libzmq, with what it held. With CURVE, an Audience (audience.py)
says who was refused and why, as a server's watch does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import endpoints, logs, tcpinfo
from .audience import Audience
from .roster import Roster
from .security import Doorman

WATCH_INTERVAL = 0.05  # seconds between looks at who left, and at the stop
_EVENTS = (
    zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_cameras(subscriber: zmq.Socket, doorman: Doorman | None, *, max_cameras: int) -> Iterator[Roster]:
    """For the `with` block, follow the connections of the wall's `subscriber`: the Roster it
    gives says who joins and leaves (with what the receive thread tells it), and connections
    past `max_cameras` are cut off. With CURVE, `doorman` (security.allow_only_authorized) lets
    cameras in, and who was refused is said. Enter it before binding."""
    roster = Roster(max_cameras=max_cameras)
    refusals = Audience(curve=True, inform=lambda _: None) if doorman is not None else None
    endpoint = f"inproc://cameras-{id(roster)}"
    subscriber.monitor(endpoint, _EVENTS)
    events = subscriber.context.socket(zmq.PAIR)
    events.linger = 0
    events.rcvhwm = 0  # no limit: libzmq's I/O thread would wait for room to report an event
    events.connect(endpoint)
    stop = threading.Event()
    thread = threading.Thread(
        target=_watch, args=(events, roster, refusals, doorman, stop), name="camera watch", daemon=True
    )
    thread.start()
    try:
        yield roster
    finally:
        stop.set()
        subscriber.monitor(None, 0)  # first, while its reader is there (see monitoring.watch_subscribers)
        thread.join()


def _watch(
    events: zmq.Socket, roster: Roster, refusals: Audience | None, doorman: Doorman | None, stop: threading.Event
) -> None:
    with events:
        while not stop.is_set():
            try:
                _look(events, roster, refusals, doorman)
            except Exception as error:  # a bug here must not end the watch, nor hang the wall
                logs.log_warning(f"the camera watch: {logs.describe(error)}")


def _look(events: zmq.Socket, roster: Roster, refusals: Audience | None, doorman: Doorman | None) -> None:
    """Take the monitor's events and the doorman's decisions; say who left."""
    if events.poll(1000 * WATCH_INTERVAL):
        while events.poll(0):
            event = recv_monitor_message(events)
            kind, fd, address, ours = event["event"], event["value"], "?", True
            if kind == zmq.EVENT_ACCEPTED:
                address = tcpinfo.peer_address(fd)
                ours = roster.accepted(fd, address)
                if not ours:
                    tcpinfo.shut_down(fd)  # libzmq sees it closed, and closes it
            elif kind == zmq.EVENT_DISCONNECTED:
                ours = roster.closed(fd)
            if refusals is not None and ours:  # a connection cut off was not refused for its keys
                refusals.event(kind, fd, address)
    while doorman is not None and not doorman.admissions.empty():  # this thread is the only one that takes
        address, name = doorman.admissions.get_nowait()
        if refusals is not None:
            refusals.admitted(endpoints.plain_ip(address), name)
    if refusals is not None:
        refusals.tick()
    roster.settle()
