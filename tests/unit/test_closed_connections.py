"""Who the connections this end closed came from: read at most a few times a second, so that a
flood of refusals costs the same for each, however many came before; and the kernel's own table
read, for connections closed on this machine (system/closed_connections.py)."""

from __future__ import annotations

import socket

import pytest

from pubsub_demo.system import closed_connections
from pubsub_demo.system.closed_connections import READS_AT_ONCE, READS_PER_SECOND, ClosedConnections


class Kernel:
    """A table of closed connections, and a count of how often it was read."""

    def __init__(self) -> None:
        self.table: set[tuple[str, int]] = set()
        self.reads = 0

    def read(self, port: int) -> set[tuple[str, int]]:
        self.reads += 1
        return set(self.table)


def test_a_few_refusals_in_a_row_are_each_named_at_once():
    now, kernel = [0.0], Kernel()
    closed = ClosedConnections(5687, clock=lambda: now[0], read=kernel.read)
    for number in range(READS_AT_ONCE):
        kernel.table.add((f"10.0.0.{number}", 40000 + number))
        assert closed.newest() == f"10.0.0.{number}"


def test_a_flood_reads_the_table_a_few_times_a_second_whatever_its_rate():
    now, kernel = [0.0], Kernel()
    closed = ClosedConnections(5687, clock=lambda: now[0], read=kernel.read)
    reads_before = kernel.reads
    for number in range(185 * 10):  # 185 refusals a second for 10 s, from one address
        now[0] = number / 185
        kernel.table.add(("10.0.0.9", 20000 + number))
        closed.newest()
    assert kernel.reads - reads_before <= READS_AT_ONCE + READS_PER_SECOND * 10
    now[0] += 1 / READS_PER_SECOND
    kernel.table.add(("10.0.0.9", 1))
    assert closed.newest() == "10.0.0.9"  # all that came since the last read came from there


def close_first(listener: socket.socket, source: str) -> int:
    """A connection to `listener` from `source`, closed by the listener's end first; its port."""
    with socket.create_connection(listener.getsockname(), source_address=(source, 0), timeout=5) as client:
        accepted, _ = listener.accept()
        accepted.close()
        client.recv(1)  # its end of the connection, once the listener's end has closed
        return client.getsockname()[1]


@pytest.mark.only_on("linux")  # Linux's kernel is read here, through the code Windows runs (psutil's table)
def test_the_table_windows_gives_through_psutil_names_the_same_connections_as_linux_s():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        source = close_first(listener, "127.0.0.7")
        assert ("127.0.0.7", source) in closed_connections._from_psutil(port)
        assert ("127.0.0.7", source) in closed_connections._from_proc(port)


@pytest.mark.only_on("linux", "win32")  # macOS shows only root the connections no process holds
def test_the_kernel_names_the_connections_a_server_closed_since_it_last_looked():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        close_first(listener, "127.0.0.2")  # before the first look: not news
        closed = ClosedConnections(port)
        assert closed.newest() == "?"
        close_first(listener, "127.0.0.3")
        assert closed.newest() == "127.0.0.3"
        close_first(listener, "127.0.0.4")
        close_first(listener, "127.0.0.4")
        assert closed.newest() == "127.0.0.4"  # two connections, one address
        close_first(listener, "127.0.0.5")
        close_first(listener, "127.0.0.6")
        assert closed.newest() == "?"  # which one? It cannot tell
