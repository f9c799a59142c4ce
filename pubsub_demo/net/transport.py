"""Sockets in and out: bind and connect with clear errors and the settings each role needs,
send and receive a message's parts without copying them.

Every socket gets linger 0: when a script stops, it drops the messages a peer has not taken yet
instead of waiting for them, so Ctrl+C never hangs. And a peer that stopped answering (a laptop
that left the Wi-Fi says no goodbye) is seen to go within seconds, not the many minutes TCP
waits by default.
"""

from __future__ import annotations

from pubsub_demo.net import endpoints
from pubsub_demo.process.logs import Fatal
from pubsub_demo.wire import MAX_PARTS, WireError

import contextlib
import errno
import os
import socket
from collections.abc import Iterator

import zmq
import zmq.utils.garbage  # noqa: F401  (see below)

CONNECT_TIMEOUT = 2000  # ms to wait for a TCP connection to be accepted
# A peer that stopped answering: TCP asks after KEEPALIVE_IDLE s of silence, every
# KEEPALIVE_INTERVAL s, and gives up on the connection once nothing it sent (data or a question)
# was acknowledged for UNANSWERED_LIMIT ms. Its questions carry no data, unlike ZeroMQ's
# heartbeats, which would make every subscriber send a few bytes every few seconds for as long
# as it stays: a server could not tell those from subscriptions (see server/attendance.py).
KEEPALIVE_IDLE = 2  # s
KEEPALIVE_INTERVAL = 2  # s
KEEPALIVE_COUNT = 3  # questions unanswered before TCP gives up (where TCP_USER_TIMEOUT does not say sooner)
UNANSWERED_LIMIT = 6000  # ms

# What a publisher takes in from each subscriber. A subscriber sends a greeting, a handshake and
# its subscription, and nothing more: 103 bytes in all for our clients (they subscribe to b"",
# everything), 596 with CURVE (measured). libzmq keeps every subscription a subscriber sends, in
# a tree costing some 50 bytes of memory per byte of topic: one 50 MB subscription took
# gigabytes and froze the server for seconds. A larger message drops its connection before
# anything is stored; monitoring.py cuts off a connection that sends more in all.
SUBSCRIPTION_MAX_BYTES = {  # per message, by whether the publisher uses CURVE: the largest
    True: 1024,  # handshake command is CURVE's INITIATE, 285 bytes from our clients
    False: 64,  # or, without CURVE, READY: 27 bytes from a SUB socket
}
SUBSCRIPTION_QUEUE = 2  # subscriptions queued per connection (ZMQ_RCVHWM, 1000 by default): the
# fewer, the less libzmq takes in at once; with 1, no CURVE client got through
SUBSCRIPTION_BUFFER = 512  # bytes the kernel holds for libzmq to read, per connection (Linux makes
# it its least, some 2 kB): what comes faster waits at the sender, so libzmq has little at hand
# when the watch cuts a connection off. With 4 kB, a flood of small subscriptions that the watch
# cuts off took 18 times as much of the server's time (0.9 s of CPU in 5 s, against 0.05; measured)

_PUBLISHERS = (zmq.PUB, zmq.XPUB)


@contextlib.contextmanager
def bind(sock: zmq.Socket, address: str, *, max_bytes: int | None = None) -> Iterator[None]:
    """Bind `sock` to `address` for the `with` block, or raise Fatal with a clear message (the
    port in use, or an ipc:// path that a running server holds). At the end, an ipc:// socket
    file is removed.

    A publisher (PUB, XPUB) takes in nothing but subscriptions, small and few at a time. Any
    other socket takes in messages of at most `max_bytes`: a larger one drops the connection it
    came on before any memory is spent on it.
    """
    sock.linger = 0
    if sock.type in _PUBLISHERS:
        sock.maxmsgsize = SUBSCRIPTION_MAX_BYTES[bool(sock.curve_server)]
        sock.rcvhwm = SUBSCRIPTION_QUEUE
        sock.rcvbuf = SUBSCRIPTION_BUFFER
    elif max_bytes is None:
        raise ValueError("a socket that receives messages needs max_bytes")
    else:
        sock.maxmsgsize = max_bytes
    sock.ipv6 = endpoints.needs_ipv6(address)
    keep_alive(sock)
    _refuse_a_path_in_use(address)
    try:
        sock.bind(address)
    except zmq.ZMQError as error:
        raise _cannot_bind(address, error) from error
    path = endpoints.ipc_path(address)
    socket_file = _identity(path)  # the file this bind made, for ipc://PATH
    try:
        yield
    finally:
        if socket_file and _identity(path) == socket_file:  # still ours, not another server's
            with contextlib.suppress(OSError):
                os.unlink(path)  # type: ignore[arg-type]


def connect(sock: zmq.Socket, address: str, *, max_bytes: int | None = None) -> None:
    """Connect `sock` to `address`, or raise Fatal.

    A message over `max_bytes` makes ZeroMQ drop the connection it came on (and connect again),
    before any memory is spent on it. A publisher (a camera's PUB, which connects to its wall)
    takes in nothing but subscriptions, small and few at a time, as when it binds. IPv6 is on
    where the address needs it.
    """
    sock.linger = 0
    if sock.type in _PUBLISHERS:  # with CURVE or not: its keys may be set only later
        sock.maxmsgsize = SUBSCRIPTION_MAX_BYTES[True]
        sock.rcvhwm = SUBSCRIPTION_QUEUE
    elif max_bytes is None:
        raise ValueError("a socket that receives messages needs max_bytes")
    else:
        sock.maxmsgsize = max_bytes
    sock.connect_timeout = CONNECT_TIMEOUT  # no answer at all (no route) is said as soon as refused is
    keep_alive(sock)
    sock.ipv6 = endpoints.needs_ipv6(address)
    try:
        sock.connect(address)
    except zmq.ZMQError as error:
        raise Fatal(f"cannot connect to {address}: {_reason(error)}", error) from error


def keep_alive(sock: zmq.Socket) -> None:
    """Drop a connection whose peer stopped answering, within seconds (TCP keepalive, and
    ZMQ_TCP_MAXRT: Linux's TCP_USER_TIMEOUT, Windows' TCP_MAXRT; macOS has neither, and a
    watch sets its own there, system.connections.give_up_after)."""
    sock.tcp_keepalive = 1
    sock.tcp_keepalive_idle = KEEPALIVE_IDLE
    sock.tcp_keepalive_intvl = KEEPALIVE_INTERVAL
    sock.tcp_keepalive_cnt = KEEPALIVE_COUNT
    sock.setsockopt(zmq.TCP_MAXRT, UNANSWERED_LIMIT)


def reconnect(sock: zmq.Socket, address: str) -> None:
    """Drop the connection to `address`, if there is one, and connect again."""
    with contextlib.suppress(zmq.ZMQError):  # not connected at the moment: nothing to drop
        sock.disconnect(address)
    sock.connect(address)


# pyzmq loads its zero-copy garbage collector (zmq.utils.garbage) at the first zero-copy send: a
# Ctrl+C landing in that import left it half made, and Python printed its AttributeError at exit
# (once in 100 stops of a busy video server). Imported above, it loads as the script starts, where
# lifetime.begin ends a Ctrl+C quietly.


def send(sock: zmq.Socket, parts: list) -> None:
    """Send one message made of `parts` (from wire.encode), without copying large ones.

    This is send_multipart(parts, copy=False), but a one-part message goes out through send(),
    which costs half as much (see benchmarks/numbers_throughput.py).
    """
    if len(parts) == 1:
        sock.send(parts[0], copy=False)
    elif sock.conflate:  # it would send the last part alone: a message no client could read
        raise ValueError("a socket with ZMQ_CONFLATE sends messages of one part only")
    else:
        sock.send_multipart(parts, copy=False)


def receive_parts(sock: zmq.Socket, max_parts: int = MAX_PARTS) -> list[zmq.Frame]:
    """Receive all the parts of one message as zmq.Frame objects (no copy, writable).

    This is recv_multipart(copy=False), but asks each frame whether more parts follow instead
    of asking the socket, which is a slower call (see benchmarks/numbers_throughput.py).
    A message of more than `max_parts` parts raises WireError once all of it is taken off the
    socket, and every part past the first few is let go as soon as it is received, so that its
    memory is given back at once. (ZMQ_MAXMSGSIZE limits each part, not a message's count of
    parts, and ZeroMQ hands a message over only when all its parts are in.)
    """
    frame = sock.recv(copy=False)
    if not frame.more:  # most messages: one part
        return [frame]
    parts = [frame]
    count = 1
    while frame.more:
        frame = sock.recv(copy=False)
        count += 1
        if count <= max_parts:
            parts.append(frame)
    if count > max_parts:
        del frame, parts
        raise WireError(f"a message of {count} parts: ours have at most {max_parts}")
    return parts


def _reason(error: zmq.ZMQError) -> str:
    """What went wrong, in libzmq's words for its errno (which pyzmq sets on every error it raises)."""
    return zmq.strerror(error.errno) if error.errno is not None else str(error)


def _cannot_bind(address: str, error: zmq.ZMQError) -> Fatal:
    hint = " (is a server already running there?)" if error.errno == errno.EADDRINUSE else ""
    return Fatal(f"cannot bind {address}: {_reason(error)}{hint}", error)


def _refuse_a_path_in_use(address: str) -> None:
    """For ipc://PATH: raise Fatal if a server listens there. libzmq would delete its socket file
    and take the path over in silence; a file that no one listens on (left by a server that was
    killed) is fine: libzmq replaces it."""
    path = endpoints.ipc_path(address)
    if path is None or not hasattr(socket, "AF_UNIX"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:  # no such file, no one listening, or not a socket: libzmq's bind will say
            return
    error = zmq.ZMQError(errno.EADDRINUSE)
    error.strerror += f" (addr={address!r})"  # as pyzmq words it for a busy TCP port
    raise _cannot_bind(address, error)


def _identity(path: str | None) -> tuple[int, int] | None:
    """Which file is at `path` (device and inode), or None if there is none."""
    try:
        status = os.stat(path) if path else None
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if status else None
