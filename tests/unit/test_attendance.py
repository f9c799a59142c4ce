"""audience.Attendance's decisions, event by event, in-process: what a server says of its connections."""

from __future__ import annotations

from pubsub_demo.net import zmtp
from pubsub_demo.net.refusals import HUNG_UP_WAIT, NO_KEYS, UNNAMED_WAIT
from pubsub_demo.server.attendance import CURVE_CLIENT, JOIN_WAIT, Attendance

import zmq


class Heard:
    """An Attendance with a clock the test turns, and the lines it said."""

    def __init__(self, *, curve: bool) -> None:
        self.now = 0.0
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.log: list[str] = []
        self.audience = Attendance(
            curve=curve, clock=lambda: self.now, inform=self.stdout.append, say=self.stderr.append, log=self.log.append
        )

    def knock(self, fd: int, address: str, *events: tuple[int, int]) -> None:
        """A connection from `address` on `fd`: accepted, then `events`, then closed."""
        self.audience.event(zmq.EVENT_ACCEPTED, fd, address)
        for event, value in events:
            self.audience.event(event, value)
        self.audience.event(zmq.EVENT_DISCONNECTED, fd)


MISMATCH = (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)


def test_a_plain_client_joins_once_its_handshake_succeeded_and_leaves():
    heard = Heard(curve=False)
    heard.audience.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    assert heard.stdout == [] and heard.audience.count == 0  # not yet: it may be a client with keys
    heard.audience.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 7)
    heard.audience.event(zmq.EVENT_DISCONNECTED, 7)
    assert heard.stdout == ["client 10.0.0.2 joined (1 connected)", "client 10.0.0.2 left (0 connected)"]
    assert heard.stderr == []


def test_clients_that_connect_together_join_once_they_stay():  # libzmq does not say whose handshake succeeded
    heard = Heard(curve=False)
    heard.audience.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    heard.audience.event(zmq.EVENT_ACCEPTED, 8, "10.0.0.3")  # a student with keys, at the same moment
    heard.audience.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)
    heard.audience.event(*MISMATCH)
    heard.audience.event(zmq.EVENT_DISCONNECTED, 8)
    heard.audience.tick()
    assert heard.stdout == []  # not yet
    heard.now += JOIN_WAIT
    heard.audience.tick()
    assert heard.stdout == ["client 10.0.0.2 joined (1 connected)"]
    assert heard.stderr == [f"refused 10.0.0.3: {CURVE_CLIENT}"]


def test_a_student_with_keys_at_a_server_without_curve_is_one_line_however_often_it_knocks():
    heard = Heard(curve=False)
    for attempt in range(20):
        heard.knock(10 + attempt, "10.0.0.2", MISMATCH)
        heard.knock(40 + attempt, "?", MISMATCH)  # gone before its address could be read
        heard.knock(70 + attempt, "10.0.0.2")  # its look at what listens: it hangs up without a word
        heard.now += 1.0
        heard.audience.tick()
    assert heard.stdout == []  # no joined/left: it never joined
    assert heard.stderr == [f"refused 10.0.0.2: {CURVE_CLIENT}"]
    assert heard.audience.count == 0 and not heard.audience.peers
    assert sum(CURVE_CLIENT in line for line in heard.log) == 40  # the log has each (its flood gate counts them)


def test_two_students_with_keys_are_a_line_each():
    heard = Heard(curve=False)
    heard.knock(5, "10.0.0.2", MISMATCH)
    heard.knock(6, "10.0.0.3", MISMATCH)
    assert heard.stderr == [f"refused 10.0.0.2: {CURVE_CLIENT}", f"refused 10.0.0.3: {CURVE_CLIENT}"]


def test_an_unnamed_client_is_never_a_question_mark():
    heard = Heard(curve=False)
    heard.knock(5, "?", MISMATCH)  # no named client is refused for that reason meanwhile
    heard.now += UNNAMED_WAIT
    heard.audience.tick()
    assert heard.stderr == [f"refused a client: {CURVE_CLIENT}"]
    heard.audience.event(zmq.EVENT_ACCEPTED, 6, "?")
    heard.audience.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 6)
    assert heard.stdout == ["a client joined (1 connected)"]
    assert not any("?" in line for line in heard.stdout + heard.stderr + heard.log)


def test_without_curve_a_connection_that_hangs_up_before_its_handshake_is_not_news():
    heard = Heard(curve=False)
    heard.knock(5, "10.0.0.9")  # a port scanner, or a client's look at what listens
    heard.knock(6, "10.0.0.9", (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x10000001))  # not ZeroMQ
    heard.now += HUNG_UP_WAIT + UNNAMED_WAIT
    heard.audience.tick()
    assert heard.stdout == [] and heard.stderr == [] and heard.log == []


def test_with_curve_a_client_without_keys_is_said_once():
    heard = Heard(curve=True)
    for fd in range(5):
        heard.knock(fd, "10.0.0.4", MISMATCH)
    assert heard.stderr == [f"refused 10.0.0.4: {NO_KEYS}"] and heard.stdout == []


def test_with_curve_a_client_joins_when_admitted_and_is_named_after_its_key():
    heard = Heard(curve=True)
    heard.audience.event(zmq.EVENT_ACCEPTED, 3, "10.0.0.5")
    heard.audience.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 3)  # the key's name comes with the admission
    assert heard.stdout == []
    heard.audience.admitted("10.0.0.5", "client7")
    heard.audience.event(zmq.EVENT_DISCONNECTED, 3)
    assert heard.stdout == ["client7 (10.0.0.5) joined (1 connected)", "client7 (10.0.0.5) left (0 connected)"]
