"""Who a bound socket refused, and why: each refusal said once for each address and reason.

CURVE refuses a client in its handshake; a server and a wall both say so (server/attendance.py,
wall/monitoring.py), in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import zmq

from pubsub_demo.net import zmtp

HUNG_UP_WAIT = 1.0  # seconds to wait for the reason a client that hung up was refused for
UNNAMED_WAIT = 5.0  # seconds to wait for the address of a client refused too fast to be named
NO_KEYS = "it has no CURVE keys"  # why a CURVE server refused a client that offered none
OTHER_SERVERS_KEY = "its handshake failed (does it hold another server's key?)"
NOT_AUTHORIZED = "key not authorized"
# Why a server without CURVE refused a client: the client has keys (the server's --curve forgotten).
CURVE_CLIENT = "it uses CURVE keys, and this server does not (start it with --curve KEYDIR/server)"


def reason(event: int, value: int, *, curve: bool) -> str | None:
    """Why a socket (with `curve`, a CURVE server) refuses the connection that closes next, from
    the monitor's event (zmq.EVENT_HANDSHAKE_FAILED_*) and its value; None for another event."""
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return NOT_AUTHORIZED
    if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmtp.MECHANISM_MISMATCH:
        return NO_KEYS if curve else CURVE_CLIENT
    if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
        return OTHER_SERVERS_KEY if curve else "its handshake failed"
    return None


class Refusals:
    """Who was refused, and why: said once for each address and reason on `say` (a client knocks
    again and again), and each time on `log` (whose flood gate counts the rest). `clock` gives
    the time in seconds.

    Two kinds wait a moment for a clearer word, since a client knocks again within a fraction of
    a second (or after its --silence):
    - one that hung up during its handshake gives no reason. A client without keys does that when
      our greeting reaches it before its own greeting reaches us (often: docs/performance.md), and so do
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
