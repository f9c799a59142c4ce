"""A wall's receive thread: takes every message off its SUB socket as it comes, checks it, and
keeps each camera's newest (client/latest.py's LatestOfEach), not decoded: the wall decodes only what it shows.

So nothing piles up in ZeroMQ's queues (2 frames a camera at most, the socket's RCVHWM) or the
kernel's, a camera that floods the wall fills only its own queue (ZeroMQ takes from each
connection in turn), and a slow wall skips frames per camera rather than lag. What is not a
camera's frame is skipped and said, once for each kind.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Sequence

import zmq

from pubsub_demo.client.latest import LatestOfEach
from pubsub_demo.client.receiving import Skipped
from pubsub_demo.net import endpoints, transport
from pubsub_demo.wall import topics
from pubsub_demo.wall.roster import Roster
from pubsub_demo.wall.topics import Arrival
from pubsub_demo.wire import WireError

TICK = 0.1  # seconds between looks at the stop request, when nothing comes


class Receiver:
    """The newest checked message of each camera (`take`), taken off `subscriber` by a thread of
    its own, which tells `roster` who sent what. With `curve`, a camera is named after its key
    (ZeroMQ gives the authenticator's name for it with each message, as its User-Id); with
    `only`, the frames of cameras whose keys are not in it are dropped too (a camera can send
    under any name). Use as a context manager, once the socket is bound and subscribed: from then
    on, only this thread uses the socket (ZeroMQ sockets are not thread-safe)."""

    def __init__(
        self, subscriber: zmq.Socket, roster: Roster, *, curve: bool, only: Sequence[str] | None = None
    ) -> None:
        self._subscriber, self._roster, self._curve = subscriber, roster, curve
        self._only = None if only is None else set(only)
        self._newest: LatestOfEach[str, Arrival] = LatestOfEach()
        self._skipped = Skipped()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="arrivals", daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def take(self, timeout: float) -> dict[str, Arrival]:
        """Each camera's newest message since the last call (by name), waiting up to `timeout` s."""
        if self._error is not None:
            raise self._error
        return self._newest.take(timeout)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._subscriber.poll(int(1000 * TICK)):
                    self._receive()
        except BaseException as error:  # hand it to the main thread, which reports it
            self._error = error

    def _receive(self) -> None:
        try:
            parts = transport.receive_parts(self._subscriber, max_parts=topics.PARTS)
            address = _address(parts[0])
            key = str(parts[0].get("User-Id")) if self._curve else None
            arrival = topics.read(parts, address=address, key=key)
        except WireError as error:
            self._skipped(error)
            return
        if self._only is not None and arrival.name not in self._only:
            return  # with CURVE: a camera that named itself after another to get in
        self._roster.heard(arrival.name, arrival.address, arrival.claimed if self._curve else None)
        self._newest.put(arrival.name, arrival)


def _address(part: zmq.Frame) -> str:
    """Where a message came from: an IP address, or "this computer" (ipc://), as
    system.connections.peer_address says it."""
    with contextlib.suppress(zmq.ZMQError, ValueError):
        address = endpoints.plain_ip(str(part.get("Peer-Address")))
        return str(ipaddress.ip_address(address))
    return "this computer"
