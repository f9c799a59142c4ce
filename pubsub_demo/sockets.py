"""Socket plumbing: bind and connect with clear errors, the settings each role needs, receiving.

Every socket gets linger 0: when a script stops, it drops the messages a subscriber has not
taken yet instead of waiting for them, so Ctrl+C never hangs.
"""

from __future__ import annotations

import errno

import zmq

from .logs import Fatal
from .wire import MAX_PARTS, WireError

CONNECT_TIMEOUT = 2000  # ms to wait for a TCP connection to be accepted
HEARTBEAT_INTERVAL = 2000  # ms between pings
HEARTBEAT_TIMEOUT = 6000  # ms without an answer after which the connection counts as gone


def bind(publisher: zmq.Socket, address: str, *, queue: int | None = None) -> None:
    """Bind `publisher` to `address`, or raise Fatal with a clear message (e.g. port in use).

    `queue` caps the messages held for each subscriber (ZeroMQ's default is 1000). Beyond it,
    PUB drops messages for that subscriber instead of storing them: for video, a few frames
    are plenty, and 1000 of them would be gigabytes.
    """
    publisher.linger = 0
    if queue is not None:
        publisher.sndhwm = queue
    try:
        publisher.bind(address)
    except zmq.ZMQError as error:
        hint = " (is a server already running there?)" if error.errno == errno.EADDRINUSE else ""
        raise Fatal(f"cannot bind {address}: {zmq.strerror(error.errno)}{hint}", error) from error


def connect(subscriber: zmq.Socket, address: str, *, queue: int | None = None, max_bytes: int) -> None:
    """Connect `subscriber` to `address`, or raise Fatal. `queue` caps the messages waiting in it.

    A message over `max_bytes` makes ZeroMQ drop the connection it came on (and connect again),
    before the client spends any memory on it.
    """
    subscriber.linger = 0
    subscriber.maxmsgsize = max_bytes
    subscriber.connect_timeout = CONNECT_TIMEOUT  # no answer at all (no route) is said as soon as refused is
    keep_alive(subscriber)
    if queue is not None:
        subscriber.rcvhwm = queue
    try:
        subscriber.connect(address)
    except zmq.ZMQError as error:
        raise Fatal(f"cannot connect to {address}: {zmq.strerror(error.errno)}", error) from error


def keep_alive(socket: zmq.Socket) -> None:
    """Ping the other end now and then, and drop a connection whose peer stopped answering: a
    laptop that left the Wi-Fi says no goodbye, and TCP alone would wait for it for many minutes."""
    socket.heartbeat_ivl = HEARTBEAT_INTERVAL
    socket.heartbeat_timeout = HEARTBEAT_TIMEOUT


def reconnect(subscriber: zmq.Socket, address: str) -> None:
    """Drop the connection to `address`, if there is one, and connect again."""
    try:
        subscriber.disconnect(address)
    except zmq.ZMQError:  # not connected at the moment: nothing to drop
        pass
    subscriber.connect(address)


def send(publisher: zmq.Socket, parts: list) -> None:
    """Send one message made of `parts` (from wire.encode), without copying large ones.

    This is send_multipart(parts, copy=False), but a one-part message goes out through send(),
    which costs half as much (see benchmarks/numbers_throughput.py).
    """
    if len(parts) == 1:
        publisher.send(parts[0], copy=False)
    else:
        publisher.send_multipart(parts, copy=False)


def receive_parts(socket: zmq.Socket, max_parts: int = MAX_PARTS) -> list[zmq.Frame]:
    """Receive all the parts of one message as zmq.Frame objects (no copy, writable).

    This is recv_multipart(copy=False), but asks each frame whether more parts follow instead
    of asking the socket, which is a slower call (see benchmarks/numbers_throughput.py).
    A message of more than `max_parts` parts raises WireError once all of it is taken off the
    socket, and every part past the first few is let go as soon as it is received, so that its
    memory is given back at once. (ZMQ_MAXMSGSIZE limits each part, not a message's count of
    parts, and ZeroMQ hands a message over only when all its parts are in.)
    """
    frame = socket.recv(copy=False)
    parts = [frame]
    count = 1
    while frame.more:
        frame = socket.recv(copy=False)
        count += 1
        if count <= max_parts:
            parts.append(frame)
    if count > max_parts:
        del frame, parts
        raise WireError(f"a message of {count} parts: ours have at most {max_parts}")
    return parts
