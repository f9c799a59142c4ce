"""A server's watch over its subscribers: a thread that reads the PUB socket's monitor, feeds an
Attendance (attendance.py: what to say) and ConnectionLimits (connection_limits.py: whom to cut off), and acts on
what they decide.

libzmq stores what each connection subscribes to until that connection closes, takes in
subscriptions whenever the server sends, and has no call to close one connection of a bound
socket. So the monitor gives each connection's file descriptor, the kernel counts the bytes that
came in on it (system.connections.WatchedConnections), and the connections that sent too much, or come
one too many, are shut down: libzmq then closes them and frees what they stored. (Linux, macOS
and Windows count the bytes; where the kernel does not, and over ipc://, only the limits
transport.bind sets apply, and the number of connections: the server says so as it starts.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import zmq

from pubsub_demo.net import endpoints, monitor, transport
from pubsub_demo.process import console
from pubsub_demo.server.attendance import Attendance
from pubsub_demo.server.connection_limits import SUBSCRIBER_BYTES, ConnectionLimits
from pubsub_demo.system import connections, memory

if TYPE_CHECKING:
    from pubsub_demo.net.authenticator import NamingAuthenticator

BATCH = 0.01  # seconds a look waits after the last, so that a flood's events are taken together
GIVE_BACK_AFTER = 64  # connections closed, after which their memory is given back to the system
# Bytes the kernel may hold for a remote subscriber of a publisher that keeps only the newest
# frames: not seconds of them behind a slow link (docs/performance.md, "A relay on a slow link").
REMOTE_SEND_BUFFER = 4096
SMALL_QUEUE = 100  # messages: a publisher whose SNDHWM is below this sends frames, not data to keep
UNCOUNTED = (  # said as the watch starts, where the kernel gives no counts
    "this computer's system does not count the bytes each connection sends, so a subscriber that "
    "sends too much is not cut off; ZeroMQ still drops a connection whose message is over {most} "
    "bytes, and holds {queue} of its messages at most"
)
_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED  # a client without CURVE joins then; with CURVE, the authenticator has news
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_subscribers(publisher: zmq.Socket, authenticator: NamingAuthenticator | None = None) -> Iterator[Attendance]:
    """For the `with` block, say who joins and leaves `publisher` (the Attendance's `count` is how
    many are connected), and cut off the connections that send more than subscribers need to.
    With CURVE, `authenticator` (from curve.allow_only_authorized) names the clients it let in.
    If `publisher` keeps only the newest message or a few for each subscriber (CONFLATE, or a
    small SNDHWM, set before), the kernel keeps only a few kB for a subscriber on another
    computer too. Enter it before binding, so that no connection goes unseen."""
    watch = _Watch(publisher, authenticator)
    if not watch.followed.counting:
        curve = watch.attendance.curve
        console.say(UNCOUNTED.format(most=transport.SUBSCRIPTION_MAX_BYTES[curve], queue=transport.SUBSCRIPTION_QUEUE))
    with watch:
        yield watch.attendance


class _Watch(monitor.BoundWatch):
    """The watch's thread: the monitor's events in, connections cut off or turned away."""

    def __init__(self, publisher: zmq.Socket, authenticator: NamingAuthenticator | None) -> None:
        super().__init__(publisher, _EVENTS, authenticator, name="subscriber watch")
        curve = bool(publisher.curve_server)
        self.attendance = Attendance(curve=curve)
        self.limits = ConnectionLimits(SUBSCRIBER_BYTES[curve])
        self.followed = connections.WatchedConnections()
        if self.followed.fileno() is not None:  # wakes the watch when a connection received bytes
            self.poller.register(self.followed.fileno(), zmq.POLLIN)
        self.small_buffers = bool(publisher.conflate) or publisher.sndhwm < SMALL_QUEUE
        self.closed = 0  # connections closed since memory was last given back

    def after_wake(self, *, quiet: bool) -> None:
        """Take the authenticator's decisions; count what came in on each connection that received
        bytes; cut off the greedy ones, and turn away the crowd."""
        for address, name in self.admissions():
            self.attendance.admitted(address, name)
        self.attendance.tick()
        for fd in self.limits.crowding():
            self.attendance.turned_away(self._shut(fd), self.limits.max_connections)
        for fd in self.followed.arrived():
            if self.limits.closing(fd):
                self.followed.drain(fd)  # a connection cut off, still sending
                continue
            with contextlib.suppress(OSError):  # not TCP (ipc://): nothing to count
                self.limits.counted(fd, self.followed.bytes_received(fd))
        for fd in self.limits.greedy():
            self.attendance.cut_off(self._shut(fd), self.limits.received(fd), self.limits.need)
        if not quiet:  # what comes close behind is taken in the next look: a flood costs fewer looks
            self.stop.wait(BATCH)
        elif self.closed >= GIVE_BACK_AFTER:  # a crowd has gone, and libzmq freed what it held
            memory.give_back()
            self.closed = 0

    def end(self) -> None:
        self.followed.close()

    def event(self, kind: int, fd: int) -> None:
        """One event of the monitor, on the connection on `fd`."""
        if kind == zmq.EVENT_ACCEPTED:
            self.followed.follow(fd)
            connections.give_up_after(fd, transport.UNANSWERED_LIMIT)
            address = self.followed.peer_address(fd)
            if self.small_buffers and address not in ("?", "this computer") and not endpoints.is_loopback(address):
                connections.shrink_send_buffer(fd, REMOTE_SEND_BUFFER)
            self.attendance.event(kind, fd, address, welcome=self.limits.opened(fd))
        else:
            if kind == zmq.EVENT_DISCONNECTED and self.attendance.unnamed_refusal(fd):
                self.attendance.named(fd, self.closed_just_now())
            self.attendance.event(kind, fd)
        if kind == zmq.EVENT_DISCONNECTED:
            self.limits.closed(fd)
            self.followed.release(fd)
            self.closed += 1

    def _shut(self, fd: int) -> str:
        """Shut the connection on `fd` down; who it was (`HOST port PORT`, or its address, or "?").

        Shutting a connection down does not close it: libzmq reads on what came before, taking in
        the subscriptions in it one or two each time the server sends, until it reads the end.
        So what came is dropped, and the sender's next bytes are answered with a reset."""
        try:
            who = connections.peer(fd)
        except (OSError, ValueError):  # gone, or not TCP
            who = connections.peer_address(fd)
        connections.shut_down(fd)
        self.followed.drain(fd)
        self.limits.close(fd)
        return who
