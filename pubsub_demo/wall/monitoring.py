"""A wall's watch over its connections: a thread that reads the SUB socket's monitor and feeds a
Roster (roster.py, which decides who joined and left), cuts off the connections past
--max-cameras, and says which connections ZeroMQ dropped for breaking its rules.

libzmq takes every connection a bound socket is offered, and has no call to close one of them;
but its monitor gives each connection's file descriptor, and a connection shut down there
(system.connections.shut_down) is closed by libzmq, with what it held. With CURVE, an Attendance (server/attendance.py)
says who was refused and why, as a server's watch does.
"""

from __future__ import annotations

from pubsub_demo.net import endpoints, transport
from pubsub_demo.net.curve import NamingAuthenticator
from pubsub_demo.process import logs
from pubsub_demo.server.attendance import Attendance
from pubsub_demo.server.monitoring import monitor_reader
from pubsub_demo.system import connections
from pubsub_demo.system.closed_connections import ClosedConnections
from pubsub_demo.wall.roster import Roster

import contextlib
import threading
from collections.abc import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

WATCH_INTERVAL = 0.05  # seconds between looks at who left, and at the stop
_EVENTS = (
    zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_cameras(subscriber: zmq.Socket, doorman: NamingAuthenticator | None, *, max_cameras: int) -> Iterator[Roster]:
    """For the `with` block, follow the connections of the wall's `subscriber`: the Roster it
    gives says who joins and leaves (with what the receive thread tells it), and connections
    past `max_cameras` are cut off. With CURVE, `doorman` (curve.allow_only_authorized) lets
    cameras in, and who was refused is said. Enter it before binding."""
    roster = Roster(max_cameras=max_cameras)
    refusals = Attendance(curve=True, inform=lambda _: None) if doorman is not None else None
    events = monitor_reader(subscriber, _EVENTS)
    watch = _Watch(events, roster, refusals, doorman)
    thread = threading.Thread(target=watch.run, name="camera watch", daemon=True)
    thread.start()
    try:
        yield roster
    finally:
        watch.stop.set()
        subscriber.monitor(None, 0)  # first, while its reader is there (see monitoring.watch_subscribers)
        thread.join()


class _Watch:
    """The watch's thread: takes the monitor's `events` and the `doorman`'s decisions, tells the
    `roster` and (with CURVE) the `refusals`, cuts off connections past the limit.

    It holds a duplicate of its own of each connection (`held`), so that when libzmq closes its
    own, the kernel can still tell whether the camera had closed its end: if not, libzmq dropped
    it for breaking its rules (a message part over the size limit), which libzmq does not say."""

    def __init__(
        self, events: zmq.Socket, roster: Roster, refusals: Attendance | None, doorman: NamingAuthenticator | None
    ) -> None:
        self.events, self.roster, self.refusals, self.doorman = events, roster, refusals, doorman
        self.held = connections.WatchedConnections()
        self.refused = False  # a handshake failed: the connection that closes next was refused, not dropped
        self.closed_here: ClosedConnections | None = None  # once a camera connected
        self.stop = threading.Event()

    def run(self) -> None:
        with self.events:
            try:
                while not self.stop.is_set():
                    try:
                        self.look()
                    except zmq.ZMQError as error:  # its socket closed: a second Ctrl+C cut the wall's stop short
                        if error.errno in (zmq.ENOTSOCK, zmq.ETERM):
                            return
                        logs.log_warning(f"the camera watch: {logs.describe(error)}")
                    except Exception as error:  # a bug here must not end the watch, nor hang the wall
                        logs.log_warning(f"the camera watch: {logs.describe(error)}")
            finally:
                self.held.close()

    def look(self) -> None:
        if self.events.poll(int(1000 * WATCH_INTERVAL)):
            while self.events.poll(0):
                event = recv_monitor_message(self.events)
                if self.closed_here is None and event["event"] == zmq.EVENT_ACCEPTED:
                    port = endpoints.port(event["endpoint"].decode())  # None for ipc://
                    self.closed_here = ClosedConnections(port) if port else None
                self.event(event["event"], event["value"])
        while self.doorman is not None and not self.doorman.admissions.empty():  # only this thread takes
            address, name = self.doorman.admissions.get_nowait()
            if self.refusals is not None:
                self.refusals.admitted(endpoints.plain_ip(address), name)
        if self.refusals is not None:
            self.refusals.tick()
        self.roster.settle()

    def event(self, kind: int, fd: int) -> None:
        address, ours = "?", True
        if kind == zmq.EVENT_ACCEPTED:
            address = connections.peer_address(fd)
            ours = self.roster.accepted(fd, address)
            if not ours:
                connections.shut_down(fd)  # libzmq sees it closed, and closes it
            else:
                connections.give_up_after(fd, transport.UNANSWERED_LIMIT)
                self.held.follow(fd)  # nothing if closed already: a camera without keys is refused at once
        elif kind == zmq.EVENT_DISCONNECTED:
            if self.refusals is not None and self.refusals.unnamed_refusal(fd) and self.closed_here:
                self.refusals.named(fd, self.closed_here.newest())  # the kernel still knows who it was
            dropped = self.held.kept_open_by_peer(fd) and not self.refused
            ours, self.refused = self.roster.closed(fd, broke_rules=dropped), False
        else:  # a handshake failed
            self.refused = True
        if self.refusals is not None and ours:  # a connection cut off was not refused for its keys
            self.refusals.event(kind, fd, address)
