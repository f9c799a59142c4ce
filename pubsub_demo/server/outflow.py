"""What went out to a server's clients, as the kernel counts it on each connection: the stats
line's megabytes a second of a video server and of a relay. (Apart from stats.py, which loads
OpenCV for the test pattern: a relay starts without it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from pubsub_demo.system import byte_counts, connections


class Connections(Protocol):
    """A bound socket's connections, by file descriptor: the Attendance of monitoring.watch_subscribers."""

    @property
    def count(self) -> int: ...
    @property
    def peers(self) -> Mapping[int, object]: ...  # only read here: an Attendance's dict[int, Peer] will do


class Outflow:
    """The bytes that went out to a server's clients: those the kernel saw them acknowledge on
    each TCP connection of `connections` (system/byte_counts.py). A frame handed to ZeroMQ is not a
    frame sent: for a stalled client, the video server replaces the frame that waits (CONFLATE)."""

    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        self._before: dict[object, int] = {}  # bytes acknowledged by each connection (its Peer), at the last look

    def since_last(self) -> int | None:
        """The bytes that went out since the last call; None where they cannot be counted (a
        system that does not count, or ipc://: then there is no figure but the frames handed over)."""
        if not byte_counts.available():
            return None
        counts = {}
        for fd, peer in list(self._connections.peers.items()):
            try:
                counts[peer] = connections.counts(fd).sent
            except OSError:  # closed meanwhile, or not TCP
                continue
        if self._connections.count and not counts:
            return None
        sent = sum(max(0, count - self._before.get(peer, 0)) for peer, count in counts.items())
        self._before = counts
        return sent
