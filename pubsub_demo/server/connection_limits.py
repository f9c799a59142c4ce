"""What a server lets its connections send, and how many it keeps: the decisions only.

libzmq keeps whatever a subscriber sends as subscriptions, until it leaves, in a tree that costs
memory and time for each byte (docs/performance.md, "Figures behind the code's limits"). So a server keeps from each
connection what a subscriber needs to send, once, and `spare` bytes more from all of them
together; past that, it cuts off the connection that sent the most. A subscriber sends nothing
after its subscription (TCP, not ZeroMQ's heartbeats, finds a peer that is gone:
net.limits.keep_alive), so what it may send does not grow with time.

`ConnectionLimits` is fed with connections as they come and go and with what each sent (by
monitoring.py, which counts them in the kernel), and says which to cut off or turn away.
"""

from __future__ import annotations

# What a subscriber sends: a greeting, a handshake and its subscription to everything (b"").
SUBSCRIBER_BYTES = {False: 103, True: 596}  # by whether the server uses CURVE
SPARE_BYTES = 256  # all the connections together, beyond what each needs: a few topics of a few bytes
GOODBYE = 1  # the kernel counts a peer's goodbye (TCP's FIN) as a byte
MAX_CONNECTIONS = 500  # kept, the ones after turned away: libzmq spends some 25 kB on each


class ConnectionLimits:
    """The connections of a server (by file descriptor) and what each sent, against what a
    subscriber needs (`need` bytes), `spare` bytes more for all of them, and `max_connections`."""

    def __init__(self, need: int, *, spare: int = SPARE_BYTES, max_connections: int = MAX_CONNECTIONS) -> None:
        self.need, self.spare, self.max_connections = need, spare, max_connections
        self._received: dict[int, int] = {}  # bytes each connection sent, as last counted, oldest first
        self._closing: set[int] = set()  # cut off or turned away, not closed yet

    def opened(self, fd: int) -> bool:
        """A connection opened on `fd`: whether it may stay (False: there are too many)."""
        self._received[fd] = 0
        self._closing.discard(fd)  # a descriptor used again
        return len(self._received) <= self.max_connections

    def closed(self, fd: int) -> None:
        """The connection on `fd` closed."""
        self._received.pop(fd, None)
        self._closing.discard(fd)

    def counted(self, fd: int, received: int) -> None:
        """The connection on `fd` has sent `received` bytes so far."""
        if fd in self._received:
            self._received[fd] = received

    def received(self, fd: int) -> int:
        """What the connection on `fd` sent, as last counted (0 if unknown)."""
        return self._received.get(fd, 0)

    def greedy(self) -> list[int]:
        """The connections to cut off, those that sent the most first, until what the others sent
        beyond what a subscriber needs is at most `spare` in all."""
        extra = {fd: count - self.need - GOODBYE for fd, count in self._received.items() if fd not in self._closing}
        over = sum(max(count, 0) for count in extra.values()) - self.spare
        cut = []
        for fd in sorted(extra, key=extra.__getitem__, reverse=True):  # the oldest first among equals
            if over <= 0 or extra[fd] <= 0:
                break
            cut.append(fd)
            over -= extra[fd]
        return cut

    def crowding(self) -> list[int]:
        """The connections past the first `max_connections` (the newest), still open: to turn away."""
        return [fd for fd in list(self._received)[self.max_connections :] if fd not in self._closing]

    def closing(self, fd: int) -> bool:
        """Whether the connection on `fd` was cut off or turned away (see `close`), and is closing."""
        return fd in self._closing

    def close(self, fd: int) -> None:
        """The connection on `fd` is being cut off or turned away."""
        if fd in self._received:
            self._closing.add(fd)
