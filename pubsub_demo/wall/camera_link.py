"""A camera's link to its wall: how the connection fares, said as a client says it, and what
goes out, in a stats line once a second.

A camera's PUB socket connects to the wall, and its socket monitor reports the same steps as a
client's (connect refused, handshake failed, connected...): a `diagnosis.ConnectionStatus`
turns them into the same words (nothing listens there, the wall requires CURVE keys, ...).

A PUB socket sends a frame only to the peers that subscribed to its topic, and drops it
otherwise, without a word: so the stats line counts the frames the camera makes, and the bytes
that went out, as the kernel counts them on the connection (on Linux; elsewhere, the bytes of
the frames handed to ZeroMQ while connected).
"""

from __future__ import annotations

import contextlib

import zmq

from pubsub_demo.client.diagnosis import ConnectionStatus, DiagnosisTools
from pubsub_demo.net import monitor
from pubsub_demo.process import console, logs
from pubsub_demo.system import byte_counts, connections

SILENCE = 3.0  # seconds a connection may wait for its handshake before the camera says what listens is no wall


class CameraLink(monitor.Watch):
    """The link of a camera called `name` to the wall at `address`: counts what the camera sends
    (`sent`), and in a thread of its own, reads `publisher`'s socket monitor, says what goes
    wrong (and right again), and prints the stats line once a second. Use as a context manager,
    before the publisher connects (its monitor must see the first attempt); `curve` says whether
    the camera uses CURVE, for the diagnosis."""

    def __init__(self, publisher: zmq.Socket, address: str, name: str, *, curve: bool) -> None:
        super().__init__(publisher, zmq.EVENT_ALL, name="camera's link")
        self.address, self.name = address, name
        self._quiet = False  # while True, the status's words are not said (see _connected)
        self.status = ConnectionStatus(
            address, SILENCE, curve=curve, peer="wall", tools=DiagnosisTools(tell=self._tell)
        )
        self.frames = self.handed = 0  # since the last stats line: frames made, bytes handed while connected
        self.fd: int | None = None  # the connection's file descriptor, while connected
        self._acked = 0  # the kernel's count of bytes the wall acknowledged on it, as last read
        self._sent = 0  # bytes that went out since the last stats line

    def sent(self, nbytes: int) -> None:
        """Count a frame of `nbytes` handed to the socket (from the camera's main thread)."""
        self.frames += 1
        if self.fd is not None:
            self.handed += nbytes

    def _tell(self, news: str) -> None:
        if not self._quiet:
            logs.warning(news)

    def begin(self) -> None:
        self.status.start()  # says where it connects

    def every_second(self, elapsed: float) -> None:
        self.status.handshake_stalled()  # says so if what listens there is not ZeroMQ
        self._count_bytes()
        line = f"{self.name}: {self.frames / elapsed:.1f} frames/s, {self._sent / elapsed / 1e6:.2f} MB/s sent"
        self.frames = self._sent = 0
        console.inform(line)

    def event(self, kind: int, value: int) -> None:
        self.status.event(kind, value)
        if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self._connected()
        elif kind == zmq.EVENT_DISCONNECTED and value == self.status.link:
            self._count_bytes()
            self.fd = None

    def _connected(self) -> None:
        """The handshake succeeded: frames can go out. Said only after trouble was said, and the
        status is told so that the next trouble is said again (`heard` would say that data flows
        again, words for a client: kept quiet)."""
        if self.status.news is not None:
            console.say(f"connected to the wall at {self.address}")
        self._quiet = True
        try:
            self.status.heard()
        finally:
            self._quiet = False
        self.fd = self.status.link
        with contextlib.suppress(OSError):
            self._acked = connections.counts(self.fd).sent if byte_counts.available() else 0

    def _count_bytes(self) -> None:
        """Add what went out since the last look: the kernel's count, or the bytes handed."""
        handed, self.handed = self.handed, 0
        if self.fd is None:
            return
        try:
            acked = connections.counts(self.fd).sent if byte_counts.available() else None
        except OSError:  # not TCP (ipc://), or closed meanwhile
            acked = None
        if acked is None:
            self._sent += handed
        else:
            self._sent += max(0, acked - self._acked)
            self._acked = acked
