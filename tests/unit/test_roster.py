"""The wall's roster on its own: who joined, who left, who is cut off, fed event by event with a clock."""

from __future__ import annotations

from pubsub_demo.wall.roster import DRAIN, LEAVE_WAIT, Roster


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(max_cameras: int = 64) -> tuple[Roster, Clock, list[str], list[str], list[str]]:
    clock, informed, said, logged = Clock(), [], [], []
    roster = Roster(max_cameras=max_cameras, clock=clock, inform=informed.append, say=said.append, log=logged.append)
    return roster, clock, informed, said, logged


def test_a_camera_joins_with_its_first_frame_and_leaves_when_its_connection_closes():
    roster, clock, informed, _, _ = make()
    assert roster.accepted(7, "10.0.0.2")
    assert informed == []  # a connection is not yet a camera: its name comes with its first frame
    roster.heard("ann", "10.0.0.2")
    roster.heard("ann", "10.0.0.2")
    assert informed == ["camera ann (10.0.0.2) joined (1 camera)"]
    roster.closed(7)
    assert roster.names() == ["ann"]  # its last frames may still come in
    clock.now += DRAIN
    assert roster.settle() == ["ann"]
    assert informed[-1] == "camera ann (10.0.0.2) left (0 cameras)"
    assert roster.names() == []


def test_of_several_cameras_at_one_address_the_one_that_fell_silent_left():
    roster, clock, informed, _, _ = make()
    for fd, name in enumerate(["ann", "bob", "cleo"]):
        roster.accepted(fd, "127.0.0.1")
        roster.heard(name, "127.0.0.1")
    roster.closed(1)  # which of the three? The connection does not say
    clock.now += 0.05
    roster.heard("ann", "127.0.0.1")  # still within DRAIN: proves nothing
    assert roster.settle() == []
    clock.now += DRAIN
    roster.heard("cleo", "127.0.0.1")
    assert roster.settle() == []  # ann has not sent since DRAIN: it might be the one
    roster.heard("ann", "127.0.0.1")
    assert informed[-1] == "camera bob (127.0.0.1) left (2 cameras)"
    assert roster.names() == ["ann", "cleo"]


def test_when_the_others_are_slow_the_one_silent_longest_left_after_a_while():
    roster, clock, informed, _, _ = make()
    for fd, name in enumerate(["ann", "bob"]):
        roster.accepted(fd, "127.0.0.1")
        clock.now += 0.2
        roster.heard(name, "127.0.0.1")
    roster.closed(0)
    clock.now += LEAVE_WAIT - 0.01
    assert roster.settle() == []
    clock.now += 0.02
    assert roster.settle() == ["ann"]  # heard before bob
    assert informed[-1] == "camera ann (127.0.0.1) left (1 camera)"


def test_a_connection_that_never_named_a_camera_leaves_no_one():
    roster, clock, informed, _, _ = make()
    roster.accepted(1, "127.0.0.1")
    roster.heard("ann", "127.0.0.1")
    roster.accepted(2, "127.0.0.1")  # a peer that sends nothing, or garbage
    roster.closed(2)
    clock.now += LEAVE_WAIT
    assert roster.settle() == []
    assert roster.names() == ["ann"] and len(informed) == 1


def test_cameras_at_different_addresses_leave_at_once():
    roster, clock, informed, _, _ = make()
    roster.accepted(1, "10.0.0.2")
    roster.heard("ann", "10.0.0.2")
    roster.accepted(2, "10.0.0.3")
    roster.heard("bob", "10.0.0.3")
    roster.closed(2)
    clock.now += DRAIN
    assert roster.settle() == ["bob"]


def test_connections_past_the_limit_are_cut_off_and_said_once():
    roster, _, informed, said, logged = make(max_cameras=2)
    assert roster.accepted(1, "10.0.0.2") and roster.accepted(2, "10.0.0.3")
    assert not roster.accepted(3, "10.0.0.4")
    assert not roster.accepted(4, "10.0.0.5")
    assert said == ["cut off a connection from 10.0.0.4: the wall takes 2 (--max-cameras)"]
    assert len(logged) == 2  # the log has each
    assert not roster.closed(3)  # a cut-off connection's closing is no news
    roster.closed(1)
    assert roster.accepted(5, "10.0.0.6")  # room again
    assert informed == []


def test_a_camera_that_claims_another_name_is_shown_under_its_key_and_said_once():
    roster, _, informed, said, _ = make()
    roster.accepted(1, "10.0.0.2")
    for _ in range(3):
        roster.heard("client2", "10.0.0.2", claimed="client1")
    roster.heard("client3", "10.0.0.2", claimed="client3")
    assert roster.names() == ["client2", "client3"]
    assert said == ["camera client2 (10.0.0.2) calls itself client1: shown as client2, the name of its key"]
    assert informed[0] == "camera client2 (10.0.0.2) joined (1 camera)"
