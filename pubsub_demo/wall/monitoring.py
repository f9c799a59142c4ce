"""A wall's watch over its connections: a thread that reads the SUB socket's monitor and feeds a
Roster (roster.py, which decides who joined and left), cuts off the connections past
--max-cameras, and says which connections ZeroMQ dropped for breaking its rules.

libzmq takes every connection a bound socket is offered, and has no call to close one of them;
but its monitor gives each connection's file descriptor, and a connection shut down there
(system.connections.shut_down) is closed by libzmq, with what it held. With CURVE, `Refusals`
(net/refusals.py) says who was refused and why, as a server's watch does.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import zmq

from pubsub_demo.net import monitor, transport
from pubsub_demo.net.refusals import Refusals, reason
from pubsub_demo.process import console, logs
from pubsub_demo.system import connections
from pubsub_demo.wall.roster import Roster

if TYPE_CHECKING:
    from pubsub_demo.net.authenticator import NamingAuthenticator

_EVENTS = (
    zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_cameras(
    subscriber: zmq.Socket, authenticator: NamingAuthenticator | None, *, max_cameras: int
) -> Iterator[Roster]:
    """For the `with` block, follow the connections of the wall's `subscriber`: the Roster it
    gives says who joins and leaves (with what the receive thread tells it), and connections
    past `max_cameras` are cut off. With CURVE, `authenticator` (curve.allow_only_authorized) lets
    cameras in, and who was refused is said. Enter it before binding."""
    refusals = (
        Refusals(clock=time.monotonic, say=console.say, log=logs.log_warning) if authenticator is not None else None
    )
    with _Watch(subscriber, Roster(max_cameras=max_cameras), refusals, authenticator) as watch:
        yield watch.roster


class _Watch(monitor.BoundWatch):
    """The watch's thread: takes the monitor's events and the `authenticator`'s decisions, tells the
    `roster` and (with CURVE) the `refusals`, cuts off connections past the limit.

    It holds a duplicate of its own of each connection (`held`), so that when libzmq closes its
    own, the kernel can still tell whether the camera had closed its end: if not, libzmq dropped
    it for breaking its rules (a message part over the size limit), which libzmq does not say."""

    def __init__(
        self,
        subscriber: zmq.Socket,
        roster: Roster,
        refusals: Refusals | None,
        authenticator: NamingAuthenticator | None,
    ) -> None:
        super().__init__(subscriber, _EVENTS, authenticator, name="camera watch")
        self.roster, self.refusals = roster, refusals
        self.held = connections.WatchedConnections()
        self.waiting: dict[
            int, str
        ] = {}  # with CURVE: the connections the authenticator has not let in, their addresses
        self.failure: str | None = None  # why the connection that closes next was refused (a handshake failed)

    def after_wake(self, *, quiet: bool) -> None:
        for address, _ in self.admissions():
            let_in = [fd for fd, waiting in self.waiting.items() if waiting == address]
            if let_in:  # the first from there: not refused
                del self.waiting[let_in[0]]
        if self.refusals is not None:
            self.refusals.tick()
        self.roster.settle()

    def end(self) -> None:
        self.held.close()

    def event(self, kind: int, fd: int) -> None:
        if kind == zmq.EVENT_ACCEPTED:
            address = connections.peer_address(fd)
            if not self.roster.accepted(fd, address):
                connections.shut_down(fd)  # libzmq sees it closed, and closes it
                return
            connections.give_up_after(fd, transport.UNANSWERED_LIMIT)
            self.held.follow(fd)  # nothing if closed already: a camera without keys is refused at once
            if self.refusals is not None:
                self.waiting[fd] = address
        elif kind == zmq.EVENT_DISCONNECTED:
            waited = self.waiting.pop(fd, None)  # not let in: refused
            if waited == "?" and self.failure is not None:  # gone before its address was read
                waited = self.closed_just_now()  # the kernel still knows who it was
            dropped = self.held.kept_open_by_peer(fd) and self.failure is None
            ours = self.roster.closed(fd, broke_rules=dropped)
            if self.refusals is not None and ours and waited is not None:  # a connection cut off was not refused
                self.refusals.refused(waited, self.failure)
            self.failure = None
        else:  # a handshake failed
            self.failure = reason(kind, fd, curve=self.refusals is not None)
