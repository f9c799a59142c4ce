"""diagnosis.ConnectionStatus on its own: what a client says, fed with socket monitor events and
with what arrives, on a clock the test turns by hand; no sockets, no network."""

from __future__ import annotations

import zmq

from pubsub_demo.client import words
from pubsub_demo.client.diagnosis import ConnectionStatus, DiagnosisTools
from pubsub_demo.net import zmtp

ADDRESS = "tcp://10.0.0.1:5687"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(*, curve: bool = False, silence: float = 3.0, resolves: bool = True, probe=None, local: bool = False):
    clock, told, looked = Clock(), [], []

    def look(address: str) -> str | None:
        looked.append(address)
        return probe

    tools = DiagnosisTools(
        tell=told.append, clock=clock, probe=look, resolves=lambda _: resolves, local=lambda _: local
    )
    status = ConnectionStatus(ADDRESS, silence, curve=curve, tools=tools)
    return status, clock, told, looked


def test_a_refused_connection_says_nothing_listens_once_and_asks_about_share_for_another_computer():
    for local in (False, True):
        status, _, told, _ = make(local=local)
        for _ in range(5):
            status.event(zmq.EVENT_CONNECT_DELAYED, 0)
            status.event(zmq.EVENT_CONNECT_RETRIED, 100)
        assert told == [words.unreachable(ADDRESS, local=local)]
        assert status.state == "unreachable" and status.news == told[0]
        assert ("--share" in told[0]) is (not local)


def test_a_name_that_does_not_resolve_is_said_so():
    status, _, told, _ = make(resolves=False)
    status.event(zmq.EVENT_CONNECT_RETRIED, 100)  # retried without ever starting a TCP connection
    assert told == [words.unresolved(ADDRESS)]


def test_the_first_data_is_quiet_and_data_after_trouble_flows_again():
    status, _, told, _ = make()
    status.event(zmq.EVENT_CONNECTED, 5)
    status.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 5)
    status.heard()
    assert told == [] and status.news is None
    status.event(zmq.EVENT_DISCONNECTED, 5)  # the server went away; ZeroMQ tries again and again
    for _ in range(2):  # (the first retry is put down to the connection that had reached the server)
        status.event(zmq.EVENT_CONNECT_DELAYED, 0)
        status.event(zmq.EVENT_CONNECT_RETRIED, 100)
    status.heard()
    assert told == [words.unreachable(ADDRESS, local=False), f"data flows again from {ADDRESS}"]


def test_mechanism_mismatch_tells_each_side_what_to_do():
    keyless, _, told, _ = make()
    keyless.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    assert told == [words.needs_curve(ADDRESS)]
    keyed, _, told, _ = make(curve=True)
    keyed.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    assert told == [f"the server at {ADDRESS} does not use CURVE: start without --curve"]


def test_a_refused_key_is_a_failed_curve_handshake():
    status, _, told, _ = make(curve=True)
    status.event(zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400)
    assert told == [words.curve_failed(ADDRESS)]


def test_silence_while_connected_and_while_waiting():
    status, clock, told, _ = make(silence=2.0)
    status.start()
    assert not status.check()
    clock.now += 1.0
    status.event(zmq.EVENT_CONNECT_DELAYED, 0)  # ZeroMQ is trying
    clock.now += 1.0
    assert not status.check()  # silent for 2 s: said; but ZeroMQ tried a second ago, and goes on
    assert told == [f"no data from {ADDRESS} for 2 s; waiting for the server"]
    clock.now += 2.0
    assert status.check()  # no attempt for 2 s: the client's turn to connect again
    status.event(zmq.EVENT_CONNECTED, 5)
    status.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 5)
    clock.now += 2.0
    status.check()
    assert told[-1] == f"connected to {ADDRESS}, but the server sends nothing (for 2 s now)"


def test_when_zeromq_stops_trying_it_is_the_clients_turn_to_connect_again():
    status, clock, _, _ = make(silence=1.0)
    status.event(zmq.EVENT_CONNECTED, 5)
    status.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 5)
    status.event(zmq.EVENT_DISCONNECTED, 5)  # dropped for a message over the limit: ZeroMQ gives up
    clock.now += 1.0
    assert status.check()


def test_messages_it_cannot_read_are_named_once_the_silence_is_over():
    status, clock, told, _ = make(silence=1.0)
    status.rejected("received a pickle; start with --pickle to accept pickled arrays")
    assert told == []
    clock.now += 1.0
    status.rejected("received a pickle; start with --pickle to accept pickled arrays")
    assert told == [
        f"receiving messages it cannot read from {ADDRESS}: received a pickle; start with --pickle to accept "
        "pickled arrays"
    ]


def test_a_handshake_cut_short_looks_at_what_listens_and_says_what_it_found():
    cases = {
        "": (False, f"something at {ADDRESS} answers, but it is not a ZeroMQ server: is the port right?"),
        "CURVE": (False, words.needs_curve(ADDRESS)),
        "NULL": (True, f"the server at {ADDRESS} does not use CURVE: start without --curve"),
    }
    for found, (curve, expected) in cases.items():
        status, _, told, looked = make(curve=curve, probe=found)
        status.event(zmq.EVENT_CONNECTED, 5)
        status.event(zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 5)
        status.probe.wait(5.0)
        status.event(zmq.EVENT_CONNECT_DELAYED, 0)  # the next event takes the look's answer
        assert looked == [ADDRESS] and told == [expected], found


def test_the_look_is_taken_at_most_once_per_interval():
    status, clock, _, looked = make(probe=None)
    for _ in range(3):
        status.event(zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 5)
        status.probe.wait(5.0)
        status.event(zmq.EVENT_CONNECT_DELAYED, 0)
    assert len(looked) == 1
    clock.now += zmtp.GREETING_INTERVAL
    status.event(zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 5)
    status.probe.wait(5.0)
    assert len(looked) == 2


def test_a_connection_that_waits_for_its_handshake_is_not_zeromq_once_the_silence_is_over():
    """A ZeroMQ peer greets at once; Python's http.server takes the connection and waits for a line."""
    status, clock, told, _ = make(silence=3.0)
    status.event(zmq.EVENT_CONNECTED, 5)
    clock.now += 2.9
    assert not status.handshake_stalled() and told == []
    clock.now += 0.1
    assert status.handshake_stalled() and told == [words.not_zeromq(ADDRESS)]
    clock.now += 3.0
    status.check()  # the client's own look, a silence later: nothing new to say
    assert told == [words.not_zeromq(ADDRESS)]

    status, clock, told, _ = make(silence=3.0)  # a handshake that succeeds in time: nothing to say
    status.event(zmq.EVENT_CONNECTED, 5)
    status.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 5)
    clock.now += 10
    assert not status.handshake_stalled() and told == []
