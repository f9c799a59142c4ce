"""A server's audience: who joined, who left, who was refused and why, who sends too much.

The decisions only: fed with the socket monitor's events (by monitoring.py, from a thread) and
with a clock, `Audience` says what happened, in lines for the terminal and the log. It touches no
socket, so it can be tried in-process, event by event.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import zmq

from . import console, logs, zmtp

# What a subscriber sends: a greeting, a handshake and its subscription, once, and nothing after
# (TCP, not ZeroMQ's heartbeats, finds a peer that is gone: transport.keep_alive). Our clients
# subscribe to everything (b""): 103 bytes in all, 596 with CURVE (measured, libzmq 4.3).
SUBSCRIBER_BYTES = {False: 103, True: 596}  # by whether the server uses CURVE
# libzmq keeps whatever a subscriber sends as subscriptions, in a tree of some 50 bytes of memory
# a byte, and walks the whole tree each time a connection closes: 480 connections that had sent
# 300 bytes of subscriptions each froze a server for 6 s as they left (measured). So a server
# keeps, beyond what its subscribers need, SPARE_BYTES from all its connections together; past
# that, it cuts off the connection that sent the most.
SPARE_BYTES = 256
GOODBYE = 1  # the kernel counts a peer's goodbye (TCP's FIN) as a byte
# libzmq spends some 30 kB on a connection, whatever it sends (measured): a server keeps this
# many, and turns away the ones that come after.
MAX_CONNECTIONS = 500
HUNG_UP_WAIT = 1.0  # seconds to wait for the reason a client that hung up was refused for
UNNAMED_WAIT = 5.0  # seconds to wait for the address of a client refused too fast to be named
NO_KEYS = "it has no CURVE keys"  # why a CURVE server refused a client that offered none
OTHER_SERVERS_KEY = "its handshake failed (does it hold another server's key?)"
NOT_AUTHORIZED = "key not authorized"


class Peer:
    """A connection to a server: where from, and with CURVE, whose key."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.name: str | None = None
        self.joined = False
        self.received = 0  # bytes it sent, as last counted
        self.cut = False  # cut off or turned away: its connection is closing

    def __str__(self) -> str:
        return f"{self.name} ({self.address})" if self.name else f"client {self.address}"


class Audience:
    """The connections of a bound PUB socket, and what to say of them.

    Joins and leaves go to `inform` (stdout), refusals and cut-offs to `log` each time and to
    `say` (stderr) once. With `curve`, a client joins only once the authenticator let its key in
    (`admitted`), and is named after its key file. `clock` gives the time in seconds.

    A subscriber needs to send `need` bytes (by default SUBSCRIBER_BYTES); the connections may
    send `spare` bytes more, all together, and `max_connections` may be open at once.
    """

    def __init__(
        self,
        *,
        curve: bool,
        need: int | None = None,
        spare: int = SPARE_BYTES,
        max_connections: int = MAX_CONNECTIONS,
        clock: Callable[[], float] = time.monotonic,
        inform: Callable[[str], None] = console.inform,
        say: Callable[[str], None] = console.say,
        log: Callable[[str], None] = logs.log_warning,
    ) -> None:
        self.curve, self._clock, self._inform, self._say, self._log = curve, clock, inform, say, log
        self.need = SUBSCRIBER_BYTES[curve] if need is None else need
        self.spare, self.max_connections = spare, max_connections
        self.count = 0  # clients connected (with CURVE: let in)
        self.peers: dict[int, Peer] = {}  # by the connection's file descriptor
        # Why the handshake of the connection that closes next failed: libzmq reports it just
        # before the connection closes, without saying which connection it was. None: no reason.
        self._failure: str | None = None
        self._refusals_said: set[tuple[str, str]] = set()  # (address, reason)
        self._unclear: dict[tuple[str, str], float] = {}  # (address or "?", reason) -> until when
        self._cut_off_said = self._turned_away_said = False

    def event(self, event: int, value: int, address: str = "?") -> None:
        """Take one socket monitor event (zmq.EVENT_*) and its value; for EVENT_ACCEPTED, the
        new connection's file descriptor and the peer's `address`."""
        if event == zmq.EVENT_ACCEPTED:
            self.peers[value] = peer = Peer(address)
            if not self.curve:
                self._join(peer)
        elif event == zmq.EVENT_DISCONNECTED:
            peer = self.peers.pop(value, None)
            if peer is not None and peer.joined:
                self.count -= 1
                self._inform(f"{peer} left ({self.count} connected)")
            elif peer is not None and self.curve:
                self._refused(peer.address, self._failure)
            self._failure = None
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._failure = NOT_AUTHORIZED
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            self._failure = NO_KEYS if value == zmtp.MECHANISM_MISMATCH else OTHER_SERVERS_KEY

    def admitted(self, address: str, name: str) -> None:
        """The authenticator let in the key named `name` from `address`: the client joins."""
        waiting = [peer for peer in self.peers.values() if peer.address == address and not peer.joined]
        if waiting:
            waiting[0].name = name
            self._join(waiting[0])

    def tick(self) -> None:
        """Call now and then: says the refusals that waited for a clearer word and got none."""
        for (address, reason), deadline in list(self._unclear.items()):
            if address == "?":
                cleared = any(said == reason for _, said in self._refusals_said)
            else:
                cleared = any(said == address for said, _ in self._refusals_said)
            if cleared or self._clock() >= deadline:
                del self._unclear[(address, reason)]
                if not cleared:
                    self._say_refused("a client" if address == "?" else address, reason)

    def closing(self, fd: int) -> bool:
        """Whether the connection on `fd` was cut off or turned away, and is closing."""
        return fd in self.peers and self.peers[fd].cut

    def counted(self, fd: int, received: int) -> None:
        """The connection on `fd` has sent `received` bytes so far."""
        if fd in self.peers:
            self.peers[fd].received = received

    def greedy(self) -> list[int]:
        """The connections (file descriptors) to cut off, those that sent the most first, until
        what the others sent beyond what a subscriber needs is at most `spare` in all."""
        extra = {fd: peer.received - self.need - GOODBYE for fd, peer in self.peers.items() if not peer.cut}
        over = sum(max(count, 0) for count in extra.values()) - self.spare
        cut = []
        for fd in sorted(extra, key=extra.get, reverse=True):  # sorted() keeps the older first among equals
            if over <= 0 or extra[fd] <= 0:
                break
            cut.append(fd)
            over -= extra[fd]
        return cut

    def crowding(self) -> list[int]:
        """The connections (file descriptors) past the first `max_connections`, newest last,
        that are still open: to turn away."""
        return [fd for fd in list(self.peers)[self.max_connections :] if not self.peers[fd].cut]

    def cut_off(self, fd: int, who: str) -> None:
        """Say that the connection on `fd`, of `who` (host and port), was cut off: it sent too much."""
        received = self.peers[fd].received if fd in self.peers else "?"
        self._closing(fd)
        message = f"cut off a subscriber at {who}: it sent {received} bytes, and a subscriber needs {self.need}"
        self._log(message)  # every time in the log, once on the terminal
        if not self._cut_off_said:
            self._say(message)
            self._cut_off_said = True

    def turned_away(self, fd: int, who: str) -> None:
        """Say that the connection on `fd`, of `who` (host and port), was closed: too many."""
        self._closing(fd)
        message = f"turned away a connection from {who}: {self.max_connections} are open, the most this server keeps"
        self._log(message)
        if not self._turned_away_said:
            self._say(message)
            self._turned_away_said = True

    def _closing(self, fd: int) -> None:
        if fd in self.peers:
            self.peers[fd].cut = True

    def _join(self, peer: Peer) -> None:
        peer.joined = True
        self.count += 1
        self._inform(f"{peer} joined ({self.count} connected)")

    def _refused(self, address: str, reason: str | None) -> None:
        """Say that a client was refused, and why: once for each address and reason (it knocks
        again and again), and in the log each time (its flood gate counts the rest).

        Two kinds wait a moment for a clearer word, since a client knocks again within a fraction
        of a second (or after its --silence):
        - one that hung up during its handshake gives no reason. A client without keys does that
          when our greeting reaches it before its own greeting reaches us (about half the time),
          and so do a client's diagnosis (zmtp.greeting) and programs that are not ZeroMQ.
          It is said to have no CURVE keys, unless a reason is said for its address within
          HUNG_UP_WAIT (a client with another class's keys is looked at after its handshake failed).
        - one that was gone before its address could be read (a third of the clients without
          keys: their handshake fails within a millisecond) is said as "a client", unless a
          client is refused by address for the same reason within UNNAMED_WAIT."""
        named = "a client" if address == "?" else address
        self._log(f"refused {named}: {reason or 'it hung up during the handshake'}")
        if address == "?":
            self._unclear.setdefault((address, reason or NO_KEYS), self._clock() + UNNAMED_WAIT)
        elif reason is None:
            self._unclear.setdefault((address, NO_KEYS), self._clock() + HUNG_UP_WAIT)
        else:
            self._say_refused(address, reason)

    def _say_refused(self, address: str, reason: str) -> None:
        if (address, reason) not in self._refusals_said:
            self._refusals_said.add((address, reason))
            self._say(f"refused {address}: {reason}")
