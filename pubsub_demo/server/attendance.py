"""A server's audience: who joined, who left, who was refused and why, who was cut off.

The decisions only: fed with the socket monitor's events (by monitoring.py, from a thread) and
with a clock, `Attendance` says what happened, in lines for the terminal and the log. It touches no
socket, so it can be tried in-process, event by event.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import zmq

from pubsub_demo.net.refusals import CURVE_CLIENT as CURVE_CLIENT
from pubsub_demo.net.refusals import NOT_AUTHORIZED as NOT_AUTHORIZED
from pubsub_demo.net.refusals import OTHER_SERVERS_KEY as OTHER_SERVERS_KEY
from pubsub_demo.net.refusals import Refusals, reason
from pubsub_demo.process import console, logs

JOIN_WAIT = 0.5  # seconds after which a client without CURVE still connected has joined (see `event`)


class Peer:
    """A connection to a server: where from, and with CURVE, whose key."""

    def __init__(self, address: str, since: float = 0.0) -> None:
        self.address, self.since = address, since  # since: when it connected
        self.name: str | None = None
        self.joined = False
        self.turned_away = False  # one connection too many

    def __str__(self) -> str:
        if self.address == "?":  # gone before its address could be read
            return self.name or "a client"
        return f"{self.name} ({self.address})" if self.name else f"client {self.address}"


class Attendance:
    """The connections of a bound PUB socket, and what to say of them.

    Joins and leaves go to `inform` (stdout), refusals and cut-offs to `log` each time and to
    `say` (stderr) once. A client joins once its handshake succeeded; with `curve`, once the
    authenticator let its key in (`admitted`), and is named after its key file. `clock` gives
    the time in seconds.
    """

    def __init__(
        self,
        *,
        curve: bool,
        clock: Callable[[], float] = time.monotonic,
        inform: Callable[[str], None] = console.inform,
        say: Callable[[str], None] = console.say,
        log: Callable[[str], None] = logs.log_warning,
    ) -> None:
        self.curve, self._clock, self._inform, self._say, self._log = curve, clock, inform, say, log
        self.count = 0  # clients connected (with CURVE: let in)
        self.peers: dict[int, Peer] = {}  # by the connection's file descriptor
        # Why the handshake of the connection that closes next failed: libzmq reports it just
        # before the connection closes, without saying which connection it was. None: no reason.
        self._failure: str | None = None
        self.refusals = Refusals(clock=clock, say=say, log=log)
        self._cut_off_said = self._turned_away_said = False

    def event(self, event: int, value: int, address: str = "?", *, welcome: bool = True) -> None:
        """Take one socket monitor event (zmq.EVENT_*) and its value; for EVENT_ACCEPTED, the
        new connection's file descriptor, the peer's `address`, and whether it is `welcome` (not
        one too many: it is turned away, and neither joins nor leaves)."""
        if event == zmq.EVENT_ACCEPTED:
            self.peers[value] = peer = Peer(address, self._clock())
            peer.turned_away = not welcome
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED and not self.curve:
            # libzmq does not say whose handshake it was: if one connection waits, its; if
            # several do, `tick` lets in those still there after JOIN_WAIT. (With CURVE, a
            # client joins once the authenticator let it in: `admitted`.)
            waiting = [peer for peer in self.peers.values() if not (peer.joined or peer.turned_away)]
            if len(waiting) == 1:
                self._join(waiting[0])
        elif event == zmq.EVENT_DISCONNECTED:
            gone = self.peers.pop(value, None)
            if gone is not None and gone.joined:
                self.count -= 1
                self._inform(f"{gone} left ({self.count} connected)")
            elif gone is not None and not gone.turned_away and (self.curve or self._failure == CURVE_CLIENT):
                self.refusals.refused(gone.address, self._failure)
            self._failure = None
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._failure = reason(event, value, curve=self.curve)

    def unnamed_refusal(self, fd: int) -> bool:
        """Whether the connection on `fd` is refused for a reason the server found (the event
        EVENT_DISCONNECTED comes next), but its address could not be read: it was gone already."""
        peer = self.peers.get(fd)
        refused = self._failure is not None and (self.curve or self._failure == CURVE_CLIENT)
        return refused and peer is not None and peer.address == "?" and not peer.joined

    def named(self, fd: int, address: str) -> None:
        """The connection on `fd` came from `address`, found out after it closed."""
        if fd in self.peers:
            self.peers[fd].address = address

    def admitted(self, address: str, name: str) -> None:
        """The authenticator let in the key named `name` from `address`: the client joins."""
        waiting = [peer for peer in self.peers.values() if peer.address == address and not peer.joined]
        if waiting:
            waiting[0].name = name
            self._join(waiting[0])

    def tick(self) -> None:
        """Call now and then: says the refusals that waited for a clearer word and got none, and
        (without CURVE) lets in the clients still connected after JOIN_WAIT."""
        for peer in list(self.peers.values()):
            if not (self.curve or peer.joined or peer.turned_away) and self._clock() - peer.since >= JOIN_WAIT:
                self._join(peer)
        self.refusals.tick()

    def cut_off(self, who: str, received: int, need: int) -> None:
        """Say that the connection of `who` (host and port) was cut off: it sent `received` bytes,
        and a subscriber needs `need`."""
        message = f"cut off a subscriber at {who}: it sent {received} bytes, and a subscriber needs {need}"
        self._log(message)  # every time in the log, once on the terminal
        if not self._cut_off_said:
            self._say(message)
            self._cut_off_said = True

    def turned_away(self, who: str, most: int) -> None:
        """Say that the connection of `who` (host and port) was closed: `most` were open already."""
        message = f"turned away a connection from {who}: {most} are open, the most this server keeps"
        self._log(message)
        if not self._turned_away_said:
            self._say(message)
            self._turned_away_said = True

    def _join(self, peer: Peer) -> None:
        peer.joined = True
        self.count += 1
        self._inform(f"{peer} joined ({self.count} connected)")
