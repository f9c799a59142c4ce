"""Who the TCP connections to a local port that this end closed first came from, as long as the
kernel remembers them (a minute, in TIME_WAIT), whoever held them.

libzmq's monitor gives only a connection's descriptor, and a handshake that fails at once (a
client without keys, or with another server's key) can be closed before a watch reads its
address; the kernel still knows it. Linux: its tables (/proc/net/tcp, tcp6). Windows: its TCP
table (GetExtendedTcpTable, through psutil), which any user may read. macOS lets only root see
connections that no process holds: there, such a client stays unnamed ("a client").

Reading a table costs time in proportion to its size, thousands of entries after a flood of
refused handshakes, so `ClosedConnections` reads it at most READS_PER_SECOND times a second (after
a first few at once), and an entry read before is not decoded again: what a refusal costs stays
the same however many came before.
"""

from __future__ import annotations

import functools
import ipaddress
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from pubsub_demo.system.connections import plain_ip

READS_PER_SECOND = 1.0
READS_AT_ONCE = 4  # a few refusals in a row are each named at once

# Connection states of one that this end closed first: FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT,
# as /proc/net/tcp writes them (include/net/tcp_states.h) and as psutil names them.
_CLOSED_HERE = {"04", "05", "0B", "06"}
_CLOSED_HERE_NAMES = {psutil.CONN_FIN_WAIT1, psutil.CONN_FIN_WAIT2, psutil.CONN_CLOSING, psutil.CONN_TIME_WAIT}


def closed_here(port: int) -> set[tuple[str, int]]:
    """The peers (IP address, port) of the TCP connections to local `port` that this end
    closed first, that the kernel still remembers (an empty set where it does not tell)."""
    if sys.platform == "linux":
        return _from_proc(port)
    if sys.platform == "win32":
        return _from_psutil(port)
    return set()


def _from_proc(port: int) -> set[tuple[str, int]]:
    found = set()
    ours = f":{port:04X}"  # the local port as the table writes it
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:  # no IPv6
            continue
        for line in lines:
            fields = line.split(None, 4)
            if fields[3] in _CLOSED_HERE and fields[1].endswith(ours):
                found.add(peer_of(fields[2]))
    return found


def _from_psutil(port: int) -> set[tuple[str, int]]:
    try:
        connections = psutil.net_connections("tcp")
    except (psutil.Error, OSError):
        return set()
    return {
        (plain_ip(connection.raddr.ip), connection.raddr.port)
        for connection in connections
        if connection.laddr and connection.laddr.port == port and connection.raddr
        if connection.status in _CLOSED_HERE_NAMES
    }


@functools.lru_cache(maxsize=1 << 16)  # a connection stays a minute in the table: read again and again
def peer_of(field: str) -> tuple[str, int]:
    """An address of /proc/net/tcp (hex, in the kernel's byte order: 0100007F:1F90) as (IP, port)."""
    address, port = field.rsplit(":", 1)
    raw = bytes.fromhex(address)
    # Each 32-bit word is in the machine's byte order.
    words = b"".join(
        raw[i : i + 4][::-1] if sys.byteorder == "little" else raw[i : i + 4] for i in range(0, len(raw), 4)
    )
    return plain_ip(str(ipaddress.ip_address(words))), int(port, 16)


class ClosedConnections:
    """Who the connections to local `port` that this end closed since the last look came from.
    `clock` gives the time in seconds; `read` is the kernel's table (closed_here)."""

    def __init__(
        self,
        port: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        read: Callable[[int], set[tuple[str, int]]] = closed_here,
    ) -> None:
        self.port, self._clock, self._read = port, clock, read
        self._seen = read(port)
        self._reads_left, self._counted_at = float(READS_AT_ONCE), clock()

    def newest(self) -> str:
        """The address all the connections closed here since the last look came from; "?" if
        none, if they came from more than one address, or if the table was read too often lately."""
        now = self._clock()
        self._reads_left = min(READS_AT_ONCE, self._reads_left + (now - self._counted_at) * READS_PER_SECOND)
        self._counted_at = now
        if self._reads_left < 1:
            return "?"
        self._reads_left -= 1
        table = self._read(self.port)
        addresses = {address for address, _ in table - self._seen}
        self._seen = table
        return addresses.pop() if len(addresses) == 1 else "?"
