"""The TCP connections that libzmq holds, as the operating system sees them: the peer, shutting
a connection down, its send buffer, its time-out, and following many at once.

libzmq has no call for any of that on one connection of a bound socket, but its socket monitor
reports each connection's descriptor: a file descriptor on Linux and macOS, a SOCKET handle on
Windows. Both are wrapped the same way, by the socket module (`borrowed`: libzmq's own, for a
moment, never closed here; `WatchedConnections`: a duplicate of our own, socket.dup, which Windows makes
with WSADuplicateSocket where os.dup would refuse a SOCKET), so that every system runs the same
code, and libzmq keeps, and closes, its own descriptor.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import sys
import time
from collections.abc import Iterator

from . import byte_counts

# macOS gives up on a connection whose data goes unacknowledged only after minutes; libzmq's
# ZMQ_TCP_MAXRT sets Linux's TCP_USER_TIMEOUT and Windows' TCP_MAXRT, but nothing there.
TCP_RXT_CONNDROPTIME = 0x80  # macOS (netinet/tcp.h): seconds of retransmission before the drop
# The most the kernel may hold unsent on a connection: Linux's and macOS's option (Python's socket
# module names it only from 3.12 on, on some systems); Windows has none.
if sys.platform == "linux":
    TCP_NOTSENT_LOWAT: int | None = 25
elif sys.platform == "darwin":
    TCP_NOTSENT_LOWAT = 0x201
else:
    TCP_NOTSENT_LOWAT = None
POLL_INTERVAL = 0.1  # s between looks at each connection's count where no epoll wakes the watch


@contextlib.contextmanager
def borrowed(fd: int) -> Iterator[socket.socket]:
    """libzmq's connection on `fd` as a socket object, for the `with` block: the same descriptor,
    not a copy, let go (not closed) after (OSError if `fd` is closed or not a socket)."""
    connection = socket.socket(fileno=fd)
    try:
        yield connection
    finally:
        connection.detach()


def plain_ip(address: str) -> str:
    """An IP address as people write it: 10.0.0.7, not ::ffff:10.0.0.7 (how an IPv4 client
    looks to a server listening on IPv4 and IPv6). Anything else is returned as it is."""
    try:
        mapped = getattr(ipaddress.ip_address(address), "ipv4_mapped", None)  # IPv6 addresses have it
    except ValueError:
        return address
    return str(mapped) if mapped else address


def peer_address(fd: int) -> str:
    """The IP address at the other end of the connection on `fd` ("this computer" for ipc://,
    "?" if it is gone already)."""
    try:
        with borrowed(fd) as connection:
            return _address_of(connection)
    except OSError:
        return "?"


def _address_of(connection: socket.socket) -> str:
    peer = connection.getpeername()
    if not (isinstance(peer, tuple) and peer[0]):
        return "this computer"
    return plain_ip(peer[0])


def peer(fd: int) -> str:
    """`HOST port PORT` of the other end of the TCP connection on `fd` (OSError if there is none)."""
    with borrowed(fd) as connection:
        host, port = connection.getpeername()[:2]
    return f"{plain_ip(host)} port {port}"


def counts(fd: int) -> byte_counts.Counts:
    """The bytes in and out on the TCP connection on `fd` so far (OSError where not counted)."""
    with borrowed(fd) as connection:
        return byte_counts.of(connection)


def shrink_send_buffer(fd: int, size: int) -> None:
    """Let the kernel hold only `size` bytes to send on the connection on `fd` (Linux doubles it,
    for its bookkeeping); nothing if it is closed meanwhile."""
    with contextlib.suppress(OSError), borrowed(fd) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def shut_down(fd: int) -> None:
    """Shut the connection on `fd` down both ways: libzmq then sees it closed, and closes it."""
    with contextlib.suppress(OSError), borrowed(fd) as connection:
        connection.shutdown(socket.SHUT_RDWR)


def give_up_after(fd: int, milliseconds: int) -> None:
    """Drop the connection on `fd` once what it sent goes unacknowledged for `milliseconds`, on
    macOS (libzmq's ZMQ_TCP_MAXRT does it elsewhere: see net.limits.keep_alive)."""
    if sys.platform == "darwin":
        with contextlib.suppress(OSError), borrowed(fd) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, TCP_RXT_CONNDROPTIME, max(1, milliseconds // 1000))


def hold_little_unsent(connection: socket.socket, unsent: int, send_buffer: int | None = None) -> None:
    """Let the kernel hold at most `unsent` bytes not yet sent on `connection`, and with
    `send_buffer`, at most that much sent or not. Where the system has no option for the unsent
    bytes alone (Windows), or refuses it, the whole send buffer is held to `unsent`."""
    try:
        if TCP_NOTSENT_LOWAT is None:
            raise OSError("no TCP_NOTSENT_LOWAT here")
        connection.setsockopt(socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT, unsent)
    except OSError:
        send_buffer = min(send_buffer or unsent, unsent)
    if send_buffer is not None:
        with contextlib.suppress(OSError):  # closed meanwhile
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)


class WatchedConnections:
    """The connections a watch follows, each by a duplicate of its own, and which of them
    received bytes lately (`arrived`, where the system counts bytes).

    On Linux an edge-triggered epoll wakes the watch on each arrival, so a quiet connection
    costs nothing; on macOS and Windows each connection is looked at every POLL_INTERVAL.
    Holding a duplicate keeps the connection open after libzmq closed its own, until `release`:
    call it when the monitor says the connection closed."""

    def __init__(self) -> None:
        self._connections: dict[int, socket.socket] = {}  # by libzmq's descriptor
        self._by_ours: dict[int, int] = {}  # libzmq's descriptor, by ours
        self.counting = byte_counts.available()
        self._epoll = None
        if sys.platform == "linux" and self.counting:
            self._epoll = select.epoll()
        self._looked_at = 0.0

    def __len__(self) -> int:
        return len(self._connections)

    def fileno(self) -> int | None:
        """A descriptor that is readable when a connection received bytes (to poll), or None."""
        return self._epoll.fileno() if self._epoll else None

    def follow(self, fd: int) -> None:
        """Follow the connection on libzmq's descriptor `fd` (nothing if it is closed already)."""
        try:
            with borrowed(fd) as connection:
                ours = connection.dup()
        except OSError:
            return
        ours.setblocking(False)  # libzmq's is so already: they share the setting on some systems
        self.release(fd)
        self._connections[fd] = ours
        self._by_ours[ours.fileno()] = fd
        if self._epoll:
            self._epoll.register(ours.fileno(), select.EPOLLIN | select.EPOLLET)

    def release(self, fd: int) -> None:
        """Stop following the connection on `fd`: libzmq closed it."""
        connection = self._connections.pop(fd, None)
        if connection is not None:
            del self._by_ours[connection.fileno()]
            if self._epoll:  # before closing: the epoll would follow it for as long as libzmq's descriptor lives
                self._epoll.unregister(connection.fileno())
            connection.close()

    def arrived(self) -> list[int]:
        """The connections (libzmq's descriptors) that may have received bytes since the last
        call: those the epoll says (Linux), else all of them every POLL_INTERVAL."""
        if self._epoll:
            return [self._by_ours[ours] for ours, _ in self._epoll.poll(0) if ours in self._by_ours]
        now = time.monotonic()
        if not self.counting or now - self._looked_at < POLL_INTERVAL:
            return []
        self._looked_at = now
        return list(self._connections)

    def peer_address(self, fd: int) -> str:
        """peer_address, asked of our duplicate if we follow the connection on `fd` (it stays open
        while we hold it: a connection libzmq closed at once is still named)."""
        connection = self._connections.get(fd)
        if connection is None:
            return peer_address(fd)
        try:
            return _address_of(connection)
        except OSError:
            return "?"

    def bytes_received(self, fd: int) -> int:
        """The bytes that came in on the connection on `fd` so far (OSError if not followed, not
        TCP, or not counted here)."""
        connection = self._connections.get(fd)
        if connection is None:
            raise OSError(f"connection {fd} is not followed")
        return byte_counts.of(connection).received

    def drain(self, fd: int) -> None:
        """Take and drop what the connection on `fd` received, once it is shut down: libzmq then
        reads its end, and closes it, and the peer's next bytes bring it a reset (nothing if not followed)."""
        connection = self._connections.get(fd)
        if connection is None:
            return
        with contextlib.suppress(OSError):  # nothing more for now (BlockingIOError), or reset
            while connection.recv(65536):
                pass

    def kept_open_by_peer(self, fd: int) -> bool:
        """Once libzmq has closed the connection on `fd`: whether its peer still had its end open
        (bytes waiting, or none and no end), so that libzmq dropped it, rather than the peer
        leaving (an end of stream) or TCP giving up (an error). It is released."""
        connection = self._connections.get(fd)
        if connection is None:
            return False
        try:
            return bool(connection.recv(1, socket.MSG_PEEK))
        except BlockingIOError:  # open, nothing sent since
            return True
        except OSError:  # reset, or timed out
            return False
        finally:
            self.release(fd)

    def close(self) -> None:
        for fd in list(self._connections):
            self.release(fd)
        if self._epoll:
            self._epoll.close()
