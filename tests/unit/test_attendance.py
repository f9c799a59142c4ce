"""attendance.Attendance's decisions, event by event, in-process: what a server says of its connections
(who joined and left, who was refused and why, who was cut off or turned away)."""

from __future__ import annotations

import zmq

from pubsub_demo.net import refusals, zmtp
from pubsub_demo.net.refusals import HUNG_UP_WAIT, NO_KEYS, UNNAMED_WAIT
from pubsub_demo.server import attendance
from pubsub_demo.server.attendance import CURVE_CLIENT, JOIN_WAIT, Attendance
from pubsub_demo.server.connection_limits import SUBSCRIBER_BYTES


class Heard:
    """An Attendance with a clock the test turns, and the lines it said."""

    def __init__(self, *, curve: bool) -> None:
        self.now = 0.0
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.log: list[str] = []
        self.attendance = Attendance(
            curve=curve, clock=lambda: self.now, inform=self.stdout.append, say=self.stderr.append, log=self.log.append
        )

    def knock(self, fd: int, address: str, *events: tuple[int, int]) -> None:
        """A connection from `address` on `fd`: accepted, then `events`, then closed."""
        self.attendance.event(zmq.EVENT_ACCEPTED, fd, address)
        for event, value in events:
            self.attendance.event(event, value)
        self.attendance.event(zmq.EVENT_DISCONNECTED, fd)


NEED = SUBSCRIBER_BYTES[False]
MISMATCH = (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)


def test_a_plain_client_joins_once_its_handshake_succeeded_and_leaves():
    heard = Heard(curve=False)
    heard.attendance.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    assert heard.stdout == [] and heard.attendance.count == 0  # not yet: it may be a client with keys
    heard.attendance.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 7)
    heard.attendance.event(zmq.EVENT_DISCONNECTED, 7)
    assert heard.stdout == ["client 10.0.0.2 joined (1 connected)", "client 10.0.0.2 left (0 connected)"]
    assert heard.stderr == []


def test_clients_that_connect_together_join_once_they_stay():  # libzmq does not say whose handshake succeeded
    heard = Heard(curve=False)
    heard.attendance.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.2")
    heard.attendance.event(zmq.EVENT_ACCEPTED, 8, "10.0.0.3")  # a student with keys, at the same moment
    heard.attendance.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)
    heard.attendance.event(*MISMATCH)
    heard.attendance.event(zmq.EVENT_DISCONNECTED, 8)
    heard.attendance.tick()
    assert heard.stdout == []  # not yet
    heard.now += JOIN_WAIT
    heard.attendance.tick()
    assert heard.stdout == ["client 10.0.0.2 joined (1 connected)"]
    assert heard.stderr == [f"refused 10.0.0.3: {CURVE_CLIENT}"]


def test_a_student_with_keys_at_a_server_without_curve_is_one_line_however_often_it_knocks():
    heard = Heard(curve=False)
    for attempt in range(20):
        heard.knock(10 + attempt, "10.0.0.2", MISMATCH)
        heard.knock(40 + attempt, "?", MISMATCH)  # gone before its address could be read
        heard.knock(70 + attempt, "10.0.0.2")  # its look at what listens: it hangs up without a word
        heard.now += 1.0
        heard.attendance.tick()
    assert heard.stdout == []  # no joined/left: it never joined
    assert heard.stderr == [f"refused 10.0.0.2: {CURVE_CLIENT}"]
    assert heard.attendance.count == 0 and not heard.attendance.peers
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
    heard.attendance.tick()
    assert heard.stderr == [f"refused a client: {CURVE_CLIENT}"]
    heard.attendance.event(zmq.EVENT_ACCEPTED, 6, "?")
    heard.attendance.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 6)
    assert heard.stdout == ["a client joined (1 connected)"]
    assert not any("?" in line for line in heard.stdout + heard.stderr + heard.log)


def test_without_curve_a_connection_that_hangs_up_before_its_handshake_is_not_news():
    heard = Heard(curve=False)
    heard.knock(5, "10.0.0.9")  # a port scanner, or a client's look at what listens
    heard.knock(6, "10.0.0.9", (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x10000001))  # not ZeroMQ
    heard.now += HUNG_UP_WAIT + UNNAMED_WAIT
    heard.attendance.tick()
    assert heard.stdout == [] and heard.stderr == [] and heard.log == []


def test_with_curve_a_client_without_keys_is_said_once():
    heard = Heard(curve=True)
    for fd in range(5):
        heard.knock(fd, "10.0.0.4", MISMATCH)
    assert heard.stderr == [f"refused 10.0.0.4: {NO_KEYS}"] and heard.stdout == []


def test_with_curve_a_client_joins_when_admitted_and_is_named_after_its_key():
    heard = Heard(curve=True)
    heard.attendance.event(zmq.EVENT_ACCEPTED, 3, "10.0.0.5")
    heard.attendance.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 3)  # the key's name comes with the admission
    assert heard.stdout == []
    heard.attendance.admitted("10.0.0.5", "client7")
    heard.attendance.event(zmq.EVENT_DISCONNECTED, 3)
    assert heard.stdout == ["client7 (10.0.0.5) joined (1 connected)", "client7 (10.0.0.5) left (0 connected)"]


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


def test_the_server_says_once_that_it_cut_off_or_turned_away_a_connection_and_logs_each():
    said, logged, informed = [], [], []
    attendance = Attendance(curve=False, say=said.append, log=logged.append, inform=informed.append)
    for port in (1, 2):
        attendance.cut_off(f"10.0.0.7 port {port}", 9000, NEED)
        attendance.turned_away(f"10.0.0.8 port {port}", 500)
    assert said == [
        "cut off a subscriber at 10.0.0.7 port 1: it sent 9000 bytes, and a subscriber needs 103",
        "turned away a connection from 10.0.0.8 port 1: 500 are open, the most this server keeps",
    ]
    assert len(logged) == 4


def test_a_connection_turned_away_neither_joins_nor_leaves_nor_is_said_refused():
    said, informed = [], []
    for curve in (False, True):
        attendance = Attendance(curve=curve, say=said.append, log=lambda line: None, inform=informed.append)
        attendance.event(zmq.EVENT_ACCEPTED, 7, "10.0.0.9", welcome=False)
        attendance.event(zmq.EVENT_DISCONNECTED, 7)
        attendance.tick()
        assert attendance.count == 0
    assert informed == [] and said == []


def test_a_refused_client_gone_before_its_address_was_read_is_named_once_found():
    said = []
    attendance = Attendance(curve=True, say=said.append, log=lambda line: None, inform=lambda line: None)
    attendance.event(zmq.EVENT_ACCEPTED, 9)  # its address could not be read: "?"
    assert not attendance.unnamed_refusal(9)  # no failure yet
    attendance.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    assert attendance.unnamed_refusal(9)
    attendance.named(9, "10.0.0.5")
    attendance.event(zmq.EVENT_DISCONNECTED, 9)
    assert said == ["refused 10.0.0.5: it has no CURVE keys"]
