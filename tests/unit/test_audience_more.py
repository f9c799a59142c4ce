"""attendance.Attendance on its own, more: refusals that wait for a clearer word, greedy connections."""

from __future__ import annotations

from pubsub_demo.net import refusals, zmtp
from pubsub_demo.server import attendance
from pubsub_demo.server.attendance import Attendance

import zmq


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(curve: bool = False) -> tuple[Attendance, Clock, dict[str, list[str]]]:
    clock = Clock()
    said: dict[str, list[str]] = {"inform": [], "say": [], "log": []}
    crowd = Attendance(
        curve=curve, clock=clock, inform=said["inform"].append, say=said["say"].append, log=said["log"].append
    )
    return crowd, clock, said


def test_clients_join_and_leave_with_a_count():
    crowd, _, said = make()
    crowd.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    crowd.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)
    crowd.event(zmq.EVENT_ACCEPTED, 8, "10.0.0.3")
    crowd.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)
    crowd.event(zmq.EVENT_DISCONNECTED, 7)
    assert said["inform"] == [
        "client 10.0.0.2 joined (1 connected)",
        "client 10.0.0.3 joined (2 connected)",
        "client 10.0.0.2 left (1 connected)",
    ]
    assert crowd.count == 1 and list(crowd.peers) == [8]
    assert said["say"] == said["log"] == []


def test_with_curve_a_client_joins_only_once_its_key_is_let_in_and_is_named_after_it():
    crowd, _, said = make(curve=True)
    crowd.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    assert said["inform"] == [] and crowd.count == 0
    crowd.admitted("10.0.0.9", "client3")  # nobody waiting from there: nothing
    crowd.admitted("10.0.0.2", "client7")
    crowd.event(zmq.EVENT_DISCONNECTED, 7)
    assert said["inform"] == ["client7 (10.0.0.2) joined (1 connected)", "client7 (10.0.0.2) left (0 connected)"]


def test_a_refusal_with_a_reason_is_said_once_per_address_and_logged_each_time():
    crowd, _, said = make(curve=True)
    for fd in (7, 8, 9):
        crowd.event(zmq.EVENT_ACCEPTED, fd, "10.0.0.2")
        crowd.event(zmq.EVENT_HANDSHAKE_FAILED_AUTH, fd)
        crowd.event(zmq.EVENT_DISCONNECTED, fd)
    crowd.event(zmq.EVENT_ACCEPTED, 10, "10.0.0.3")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    crowd.event(zmq.EVENT_DISCONNECTED, 10)
    crowd.event(zmq.EVENT_ACCEPTED, 11, "10.0.0.4")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x11000001)  # another protocol error
    crowd.event(zmq.EVENT_DISCONNECTED, 11)
    assert said["say"] == [
        "refused 10.0.0.2: key not authorized",
        f"refused 10.0.0.3: {refusals.NO_KEYS}",
        f"refused 10.0.0.4: {attendance.OTHER_SERVERS_KEY}",
    ]
    assert said["log"].count("refused 10.0.0.2: key not authorized") == 3
    assert crowd.count == 0 and said["inform"] == []


def test_a_client_that_hung_up_is_said_to_have_no_keys_only_if_no_clearer_reason_comes():
    crowd, clock, said = make(curve=True)
    crowd.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    crowd.event(zmq.EVENT_DISCONNECTED, 7)  # no reason given
    crowd.tick()
    assert said["say"] == []  # it waits for a clearer word...
    clock.now += refusals.HUNG_UP_WAIT
    crowd.tick()
    assert said["say"] == [f"refused 10.0.0.2: {refusals.NO_KEYS}"]  # ...and none came

    crowd.event(zmq.EVENT_ACCEPTED, 8, "10.0.0.5")
    crowd.event(zmq.EVENT_DISCONNECTED, 8)  # hung up: maybe a keyless client, maybe another class's
    crowd.event(zmq.EVENT_ACCEPTED, 9, "10.0.0.5")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x11000001)
    crowd.event(zmq.EVENT_DISCONNECTED, 9)  # the clearer word, within the wait
    clock.now += refusals.HUNG_UP_WAIT
    crowd.tick()
    assert said["say"][1:] == [f"refused 10.0.0.5: {attendance.OTHER_SERVERS_KEY}"]


def test_a_client_gone_before_its_address_was_read_waits_for_a_named_refusal():
    crowd, clock, said = make(curve=True)
    crowd.event(zmq.EVENT_ACCEPTED, 7, "?")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    crowd.event(zmq.EVENT_DISCONNECTED, 7)
    clock.now += refusals.UNNAMED_WAIT - 0.1
    crowd.tick()
    assert said["say"] == []
    clock.now += 0.1
    crowd.tick()
    assert said["say"] == [f"refused a client: {refusals.NO_KEYS}"]

    crowd, clock, said = make(curve=True)
    crowd.event(zmq.EVENT_ACCEPTED, 7, "?")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    crowd.event(zmq.EVENT_DISCONNECTED, 7)
    crowd.event(zmq.EVENT_ACCEPTED, 8, "10.0.0.2")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    crowd.event(zmq.EVENT_DISCONNECTED, 8)
    clock.now += refusals.UNNAMED_WAIT
    crowd.tick()
    assert said["say"] == [f"refused 10.0.0.2: {refusals.NO_KEYS}"]  # the named one says it all


def test_an_unnamed_hang_up_beside_a_client_refused_for_its_keys_is_that_client_s_look():
    """A client with another class's keys is refused by address; then it looks at what listens
    (a connection that hangs up), gone before the watch could read its address: that is not a
    client without keys."""
    crowd, clock, said = make(curve=True)
    crowd.event(zmq.EVENT_ACCEPTED, 8, "127.0.0.1")
    crowd.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x11000001)
    crowd.event(zmq.EVENT_DISCONNECTED, 8)
    clock.now += 0.5
    crowd.event(zmq.EVENT_ACCEPTED, 9, "?")
    crowd.event(zmq.EVENT_DISCONNECTED, 9)  # hung up, unnamed
    clock.now += refusals.UNNAMED_WAIT
    crowd.tick()
    assert said["say"] == [f"refused 127.0.0.1: {attendance.OTHER_SERVERS_KEY}"]

    crowd, clock, said = make(curve=True)  # alone, it is said: most likely a client without keys
    crowd.event(zmq.EVENT_ACCEPTED, 9, "?")
    crowd.event(zmq.EVENT_DISCONNECTED, 9)
    clock.now += refusals.UNNAMED_WAIT
    crowd.tick()
    assert said["say"] == [f"refused a client: {refusals.NO_KEYS}"]
