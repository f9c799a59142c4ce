"""The decisions about what a server's connections may send, and how many it keeps (server/limits.py),
and what the server says of them (server/attendance.py): in-process, connection by connection; and how
the kernel names a connection that was closed before its address was read (system/closed_connections.py)."""

from __future__ import annotations

from pubsub_demo.net import zmtp
from pubsub_demo.server.attendance import Attendance
from pubsub_demo.server.limits import GOODBYE, SUBSCRIBER_BYTES, ConnectionLimits
from pubsub_demo.system.closed_connections import ClosedConnections

import socket

import pytest
import zmq

NEED = SUBSCRIBER_BYTES[False]


def allowance_with(sent: list[int], **limits: int) -> ConnectionLimits:
    """A ConnectionLimits whose connections 0, 1, 2, ... (oldest first) sent `sent` bytes each."""
    allowance = ConnectionLimits(NEED, **limits)
    for fd, count in enumerate(sent):
        assert allowance.opened(fd)
        allowance.counted(fd, count)
    return allowance


def test_connections_that_send_what_a_subscriber_sends_and_say_goodbye_are_kept_however_many():
    assert allowance_with([NEED] * 500).greedy() == []
    assert allowance_with([NEED + GOODBYE] * 500).greedy() == []  # a client that left: its FIN counts as a byte
    assert allowance_with([0, 64, NEED]).greedy() == []  # still in their handshakes


def test_what_all_connections_send_beyond_a_subscribers_need_is_held_to_the_spare_bytes():
    spare = 256
    one_byte_more = NEED + GOODBYE + 1
    assert allowance_with([one_byte_more] * spare, spare=spare).greedy() == []  # 256 extra bytes in all: kept
    assert allowance_with([one_byte_more] * (spare + 1), spare=spare).greedy() == [0]  # one byte over: the oldest goes
    assert allowance_with([NEED + GOODBYE + spare + 1], spare=spare).greedy() == [0]  # one connection alone, too


def test_the_connections_that_sent_the_most_are_cut_off_first_and_no_more_than_needed():
    sent = [NEED, NEED + 101, NEED + 301, NEED, NEED + 201]  # +GOODBYE aside: extra 100, 300, 200
    assert allowance_with(sent, spare=256).greedy() == [2, 4]  # 600 over 256: the 300 and the 200 go, the 100 stays
    assert allowance_with(sent, spare=500).greedy() == [2]
    assert allowance_with(sent, spare=600).greedy() == []


def test_a_connection_being_cut_off_is_not_counted_again_nor_cut_twice():
    allowance = allowance_with([NEED + 1000, NEED + 1000], spare=256)
    assert allowance.greedy() == [0, 1]
    allowance.close(0)
    assert allowance.closing(0) and not allowance.closing(1)
    assert allowance.greedy() == [1]
    allowance.closed(0)
    assert not allowance.closing(0) and allowance.received(0) == 0


def test_connections_past_the_most_a_server_keeps_are_turned_away_newest_first_and_once():
    allowance = ConnectionLimits(NEED, max_connections=3)
    assert [allowance.opened(fd) for fd in range(5)] == [True, True, True, False, False]
    assert allowance.crowding() == [3, 4]
    allowance.close(3)
    assert allowance.crowding() == [4]
    allowance.closed(1)  # one of the first three leaves: the next newcomer may stay
    allowance.close(4)
    allowance.closed(3)
    allowance.closed(4)
    assert allowance.opened(5) and allowance.crowding() == []


def test_a_descriptor_used_again_starts_from_nothing():
    allowance = allowance_with([NEED + 1000])
    allowance.close(0)
    allowance.closed(0)
    assert allowance.opened(0) and not allowance.closing(0) and allowance.greedy() == []


def test_the_server_says_once_that_it_cut_off_or_turned_away_a_connection_and_logs_each():
    said, logged, informed = [], [], []
    audience = Attendance(curve=False, say=said.append, log=logged.append, inform=informed.append)
    for port in (1, 2):
        audience.cut_off(f"10.0.0.7 port {port}", 9000, NEED)
        audience.turned_away(f"10.0.0.8 port {port}", 500)
    assert said == [
        "cut off a subscriber at 10.0.0.7 port 1: it sent 9000 bytes, and a subscriber needs 103",
        "turned away a connection from 10.0.0.8 port 1: 500 are open, the most this server keeps",
    ]
    assert len(logged) == 4


def test_a_connection_turned_away_neither_joins_nor_leaves_nor_is_said_refused():
    said, informed = [], []
    for curve in (False, True):
        audience = Attendance(curve=curve, say=said.append, log=lambda line: None, inform=informed.append)
        audience.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.9", welcome=False)
        audience.event(zmq.EVENT_DISCONNECTED, 7)
        audience.tick()
        assert audience.count == 0
    assert informed == [] and said == []


def test_a_refused_client_gone_before_its_address_was_read_is_named_once_found():
    said = []
    audience = Attendance(curve=True, say=said.append, log=lambda line: None, inform=lambda line: None)
    audience.event(zmq.EVENT_ACCEPTED, 9)  # its address could not be read: "?"
    assert not audience.unnamed_refusal(9)  # no failure yet
    audience.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    assert audience.unnamed_refusal(9)
    audience.named(9, "10.0.0.5")
    audience.event(zmq.EVENT_DISCONNECTED, 9)
    assert said == ["refused 10.0.0.5: it has no CURVE keys"]


def close_first(listener: socket.socket, source: str) -> None:
    """A connection to `listener` from the address `source`, closed by the listener's end first."""
    with socket.create_connection(listener.getsockname(), source_address=(source, 0)) as client:
        accepted, _ = listener.accept()
        accepted.close()
        client.recv(1)  # its end of the connection, once the listener's end has closed


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
