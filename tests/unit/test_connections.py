"""libzmq's connections as the socket module wraps them on every system (system/connections.py),
on real TCP connections over loopback: what a watch learns once libzmq has closed its end."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pubsub_demo.system import connections


@contextmanager
def a_connection() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(libzmq's end, the peer's end) of a TCP connection over loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname(), timeout=5) as peer:
            ours, _ = listener.accept()
            with ours:
                yield ours, peer


def closed_by_libzmq(followed: connections.WatchedConnections, end: socket.socket) -> int:
    """Follow `end` as a watch does, then close it as libzmq would; its descriptor."""
    fd = end.fileno()
    followed.follow(fd)
    os.close(end.detach())
    return fd


def wait_for_data_on(followed: connections.WatchedConnections, fd: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if followed._connections[fd].recv(1, socket.MSG_PEEK):
                return
        except BlockingIOError:
            time.sleep(0.01)


def test_borrowing_a_descriptor_neither_copies_nor_closes_it():
    with a_connection() as (ours, peer):
        with connections.borrowed(ours.fileno()) as connection:
            assert connection.fileno() == ours.fileno()
        assert connections.peer(ours.fileno()) == f"127.0.0.1 port {peer.getsockname()[1]}"
        assert connections.peer_address(ours.fileno()) == "127.0.0.1"


def test_a_peer_that_left_was_not_dropped():
    followed = connections.WatchedConnections()
    with a_connection() as (ours, peer):
        peer.close()  # its end: a FIN
        fd = closed_by_libzmq(followed, ours)
        time.sleep(0.05)  # the FIN crosses loopback
        assert not followed.kept_open_by_peer(fd)
        assert len(followed) == 0


def test_a_peer_still_sending_was_dropped_by_libzmq():
    followed = connections.WatchedConnections()
    with a_connection() as (ours, peer):
        fd = closed_by_libzmq(followed, ours)
        peer.sendall(b"more than it may")
        wait_for_data_on(followed, fd)
        assert followed.kept_open_by_peer(fd)


def test_a_quiet_peer_with_its_end_open_was_dropped_by_libzmq():
    followed = connections.WatchedConnections()
    with a_connection() as (ours, _peer):
        assert followed.kept_open_by_peer(closed_by_libzmq(followed, ours))


def test_a_connection_shut_down_is_seen_closed_by_its_peer():
    with a_connection() as (ours, peer):
        connections.shut_down(ours.fileno())
        assert peer.recv(1) == b""


def test_a_descriptor_already_closed_is_not_followed():
    followed = connections.WatchedConnections()
    gone = socket.socket()
    fd = gone.fileno()
    gone.close()
    followed.follow(fd)
    assert len(followed) == 0 and connections.peer_address(fd) == "?"
