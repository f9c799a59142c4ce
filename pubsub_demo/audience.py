"""A server's audience: who joined, who left, who was refused and why, who was cut off.

The decisions only: fed with the socket monitor's events (by monitoring.py, from a thread) and
with a clock, `Audience` says what happened, in lines for the terminal and the log. It touches no
socket, so it can be tried in-process, event by event.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import zmq

from . import console, logs, zmtp

HUNG_UP_WAIT = 1.0  # seconds to wait for the reason a client that hung up was refused for
UNNAMED_WAIT = 5.0  # seconds to wait for the address of a client refused too fast to be named
JOIN_WAIT = 0.5  # seconds after which a client without CURVE still connected has joined (see `event`)
NO_KEYS = "it has no CURVE keys"  # why a CURVE server refused a client that offered none
OTHER_SERVERS_KEY = "its handshake failed (does it hold another server's key?)"
NOT_AUTHORIZED = "key not authorized"
# Why a server without CURVE refused a client: the client has keys (the server's --curve forgotten).
CURVE_CLIENT = "it uses CURVE keys, and this server does not (start it with --curve KEYDIR/server)"


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


class Audience:
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
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._failure = NOT_AUTHORIZED
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmtp.MECHANISM_MISMATCH:
            self._failure = NO_KEYS if self.curve else CURVE_CLIENT
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            self._failure = OTHER_SERVERS_KEY if self.curve else "its handshake failed"

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


class Refusals:
    """Who was refused, and why: said once for each address and reason on `say` (a client knocks
    again and again), and each time on `log` (whose flood gate counts the rest). `clock` gives
    the time in seconds.

    Two kinds wait a moment for a clearer word, since a client knocks again within a fraction of
    a second (or after its --silence):
    - one that hung up during its handshake gives no reason. A client without keys does that when
      our greeting reaches it before its own greeting reaches us (about half the time), and so do
      a client's diagnosis (zmtp.greeting) and programs that are not ZeroMQ. It is said to have no
      CURVE keys, unless a reason is said for its address within HUNG_UP_WAIT (a client with
      another class's keys is looked at after its handshake failed).
    - one that was gone before its address could be read, and that the kernel could not name
      either (the watch looks there, Audience.named, for a connection the server closed; one that
      hung up first leaves no trace) is said as "a client", unless a client is refused by address
      for the same reason within UNNAMED_WAIT; one of those that hung up, unless any client was
      refused for a reason within UNNAMED_WAIT (it is most likely that client's look)."""

    def __init__(self, *, clock: Callable[[], float], say: Callable[[str], None], log: Callable[[str], None]) -> None:
        self._clock, self._say, self._log = clock, say, log
        self._said: set[tuple[str, str]] = set()  # (address, reason)
        self._unclear: dict[tuple[str, str | None], float] = {}  # (address or "?", reason or None) -> until when
        self._explained_at = -math.inf  # when a client was last refused for a reason

    def refused(self, address: str, reason: str | None) -> None:
        """A client from `address` ("?": unknown) was refused, for `reason` (None: it hung up)."""
        named = "a client" if address == "?" else address
        self._log(f"refused {named}: {reason or 'it hung up during the handshake'}")
        if reason is not None:
            self._explained_at = self._clock()
        if address == "?":
            self._unclear.setdefault((address, reason), self._clock() + UNNAMED_WAIT)
        elif reason is None:
            self._unclear.setdefault((address, None), self._clock() + HUNG_UP_WAIT)
        else:
            self._say_once(address, reason)

    def tick(self) -> None:
        """Say the refusals that waited for a clearer word and got none."""
        for (address, reason), deadline in list(self._unclear.items()):
            if address != "?":  # it hung up: any reason said for its address is the clearer word
                cleared = any(said == address for said, _ in self._said)
            elif reason is not None:  # a client named for the same reason says it
                cleared = any(said == reason for _, said in self._said)
            else:  # unnamed, hung up: a client refused for a reason around then, or any said to have no keys
                cleared = self._explained_at >= deadline - 2 * UNNAMED_WAIT or any(
                    said == NO_KEYS for _, said in self._said
                )
            if cleared or self._clock() >= deadline:
                del self._unclear[(address, reason)]
                if not cleared:
                    self._say_once("a client" if address == "?" else address, reason or NO_KEYS)

    def _say_once(self, address: str, reason: str) -> None:
        if (address, reason) not in self._said:
            self._said.add((address, reason))
            self._say(f"refused {address}: {reason}")
