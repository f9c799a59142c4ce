"""The decisions about what a server's connections may send, and how many it keeps (server/connection_limits.py):
in-process, connection by connection."""

from __future__ import annotations

from pubsub_demo.server.connection_limits import GOODBYE, SUBSCRIBER_BYTES, ConnectionLimits

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
