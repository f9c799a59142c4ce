"""What the kernel knows of a TCP connection that libzmq holds: its peer, the bytes it brought
in and the bytes its peer acknowledged (Linux's TCP_INFO), its send buffer; shutting it down;
and, for many connections at once, which of them have just received bytes (`Followed`).

libzmq has no call for any of that on one connection of a bound socket, but its socket monitor
reports each connection's file descriptor. Everything here works on a second descriptor for the
same connection (os.dup), so that libzmq keeps, and closes, its own.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil

from . import endpoints
from .endpoints import plain_ip

# struct tcp_info, in linux/tcp.h: 64-bit counts of the bytes acknowledged by the peer (at byte
# 120) and received from it (at byte 128), both since Linux 4.1; the connection's state (byte 0),
# and the milliseconds since data last came in (32 bits at byte 52).
COUNTS_BYTES = sys.platform.startswith("linux") and hasattr(socket, "TCP_INFO")
_COUNT = struct.Struct("=Q")
_BYTES_ACKED_AT, _BYTES_RECEIVED_AT = 120, 128
_LAST_DATA_RECEIVED = struct.Struct("=I")
_LAST_DATA_RECEIVED_AT = 52
_ESTABLISHED = 1  # TCP_ESTABLISHED: neither end has closed it


@contextlib.contextmanager
def _connection(fd: int) -> Iterator[socket.socket]:
    with socket.socket(fileno=os.dup(fd)) as connection:
        yield connection


def peer_address(fd: int) -> str:
    """The IP address at the other end of the connection on `fd` ("this computer" for ipc://,
    "?" if it is gone already)."""
    try:
        with _connection(fd) as connection:
            peer = connection.getpeername()
    except OSError:
        return "?"
    if not (isinstance(peer, tuple) and peer[0]):
        return "this computer"
    return plain_ip(peer[0])


def peer(fd: int) -> str:
    """`HOST port PORT` of the other end of the TCP connection on `fd` (OSError if there is none)."""
    with _connection(fd) as connection:
        host, port = connection.getpeername()[:2]
    return f"{plain_ip(host)} port {port}"


def bytes_received(fd: int) -> int:
    """The bytes that came in on the TCP connection on `fd` (OSError if it is closed, or not TCP;
    0 on a kernel too old to count)."""
    return _tcp_count(fd, _BYTES_RECEIVED_AT)


def bytes_acked(fd: int) -> int:
    """The bytes that the peer of the TCP connection on `fd` has acknowledged (as bytes_received)."""
    return _tcp_count(fd, _BYTES_ACKED_AT)


def _tcp_count(fd: int, offset: int) -> int:
    with _connection(fd) as connection:
        info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return _COUNT.unpack_from(info, offset)[0] if len(info) >= offset + _COUNT.size else 0


def open_both_ways(fd: int) -> tuple[bool, float] | None:
    """For the TCP connection on `fd`: whether the peer has not closed its end (no FIN or reset came
    in), and the seconds since data last came in; None where the kernel does not tell (not Linux,
    not TCP)."""
    if not COUNTS_BYTES:
        return None
    try:
        with _connection(fd) as connection:
            info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return None
    idle = _LAST_DATA_RECEIVED.unpack_from(info, _LAST_DATA_RECEIVED_AT)[0] / 1000
    return info[0] == _ESTABLISHED, idle


def shrink_send_buffer(fd: int, size: int) -> None:
    """Let the kernel hold only `size` bytes to send on the connection on `fd` (Linux doubles it,
    for its bookkeeping); nothing if it is closed meanwhile."""
    with contextlib.suppress(OSError), _connection(fd) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def shut_down(fd: int) -> None:
    """Shut the connection on `fd` down both ways: libzmq then sees it closed, and closes it."""
    with contextlib.suppress(OSError), _connection(fd) as connection:
        connection.shutdown(socket.SHUT_RDWR)


class Followed:
    """The connections a server follows, each by a second descriptor, and which of them received
    bytes since last asked: an epoll, edge-triggered, wakes on each arrival, so a quiet connection
    costs nothing (Linux only: elsewhere `arrived` is always empty).

    Holding a second descriptor keeps the connection open after libzmq closed its own, until
    `release`: call it when the monitor says the connection closed."""

    def __init__(self) -> None:
        self._connections: dict[int, socket.socket] = {}  # by libzmq's descriptor
        self._by_ours: dict[int, int] = {}  # libzmq's descriptor, by ours
        self._epoll = select.epoll() if COUNTS_BYTES else None

    def fileno(self) -> int | None:
        """A descriptor that is readable when a connection received bytes (to poll), or None."""
        return self._epoll.fileno() if self._epoll else None

    def follow(self, fd: int) -> None:
        """Follow the connection on libzmq's descriptor `fd` (nothing if it is closed already)."""
        try:
            connection = socket.socket(fileno=os.dup(fd))
        except OSError:
            return
        self.release(fd)
        self._connections[fd] = connection
        self._by_ours[connection.fileno()] = fd
        if self._epoll:
            self._epoll.register(connection.fileno(), select.EPOLLIN | select.EPOLLET)

    def release(self, fd: int) -> None:
        """Stop following the connection on `fd`: libzmq closed it."""
        connection = self._connections.pop(fd, None)
        if connection is not None:
            del self._by_ours[connection.fileno()]
            if self._epoll:  # before closing: the epoll would follow it for as long as libzmq's descriptor lives
                self._epoll.unregister(connection.fileno())
            connection.close()

    def arrived(self) -> list[int]:
        """The connections (libzmq's descriptors) that received bytes since the last call."""
        if not self._epoll:
            return []
        ready = self._epoll.poll(0)
        return [self._by_ours[ours] for ours, _ in ready if ours in self._by_ours]

    def bytes_received(self, fd: int) -> int:
        """The bytes that came in on the connection on `fd` so far (OSError if not followed, or not TCP)."""
        connection = self._connections.get(fd)
        if connection is None:
            raise OSError(f"connection {fd} is not followed")
        info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        return _COUNT.unpack_from(info, _BYTES_RECEIVED_AT)[0] if len(info) >= _BYTES_RECEIVED_AT + 8 else 0

    def drain(self, fd: int) -> None:
        """Take and drop what the connection on `fd` received, once it is shut down: libzmq then
        reads its end, and closes it, and the peer's next bytes bring it a reset (nothing if not followed)."""
        connection = self._connections.get(fd)
        if connection is None:
            return
        with contextlib.suppress(OSError):  # nothing more for now (BlockingIOError), or reset
            while connection.recv(65536, socket.MSG_DONTWAIT):
                pass

    def close(self) -> None:
        for fd in list(self._connections):
            self.release(fd)
        if self._epoll:
            self._epoll.close()


# Connection states, as /proc/net/tcp writes them (include/net/tcp_states.h), of a connection
# that this end closed first: FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT.
_CLOSED_HERE = {"04", "05", "0B", "06"}


def closed_here(port: int) -> set[tuple[str, int]]:
    """The peers (IP address, port) of the TCP connections to local `port` that this end closed
    first, as long as the kernel remembers them (a minute, in TIME_WAIT), whoever held them.
    Read from the kernel's tables of this network (/proc/net/tcp, tcp6): a few milliseconds,
    where asking which process holds each connection took a scan of every process."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:  # not Linux, or no IPv6
            continue
        for line in lines:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state in _CLOSED_HERE and int(local.rsplit(":", 1)[1], 16) == port:
                found.add(_peer_of(remote))
    return found


def _peer_of(field: str) -> tuple[str, int]:
    """An address of /proc/net/tcp (hex, in the kernel's byte order: 0100007F:1F90) as (IP, port)."""
    address, port = field.rsplit(":", 1)
    raw = bytes.fromhex(address)
    # Each 32-bit word is in the machine's byte order.
    words = b"".join(
        raw[i : i + 4][::-1] if sys.byteorder == "little" else raw[i : i + 4] for i in range(0, len(raw), 4)
    )
    ip = ipaddress.ip_address(words)
    return plain_ip(str(ip)), int(port, 16)


class ClosedHere:
    """Who the connections to local `port` that this end closed since the last look came from."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._seen = closed_here(port)

    @classmethod
    def of(cls, endpoint: bytes) -> ClosedHere | None:
        """For the bound socket a monitor event's `endpoint` names (tcp://HOST:PORT); None for ipc://."""
        number = endpoints.port(endpoint.decode())
        return cls(number) if number else None

    def newest(self) -> str:
        """The address all the connections closed here since the last look came from; "?" if
        none, or if they came from more than one address."""
        now = closed_here(self.port)
        addresses = {address for address, _ in now - self._seen}
        self._seen = now
        return addresses.pop() if len(addresses) == 1 else "?"


def connections_on(port: int) -> list[tuple[int, tuple]]:
    """This process's TCP connections whose local port is `port` (a bound socket's clients):
    (file descriptor, the peer's address) for each."""
    return [
        (connection.fd, tuple(connection.raddr))
        for connection in psutil.Process().net_connections("tcp")
        if connection.laddr and connection.laddr.port == port and connection.raddr and connection.fd >= 0
    ]
